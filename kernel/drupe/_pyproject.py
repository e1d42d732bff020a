"""Read the one thing the kernel needs from ``pyproject.toml`` before plugins load.

``[tool.drupe] disable_plugins`` must act *before* plugin modules are
imported, so it cannot wait for the ``project`` plugin: the kernel walks up
from the start folder to the first ``pyproject.toml`` that has a
``[tool.drupe]`` table and reads only that list. Everything else about the
project is the discovery plugin's business.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from drupe.errors import ProjectError
from drupe.parse_cache import cached_parse


def _load_toml(text: str) -> dict[str, Any]:
    """Parse by content through `cached_parse`: a later command does not import tomllib."""

    def fresh(data: bytes) -> dict[str, Any]:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - exercised on Python 3.10 only
            import tomli as tomllib
        return tomllib.loads(data.decode("utf-8"))

    parsed: dict[str, Any] = cached_parse(text.encode("utf-8"), "toml:1", fresh)
    return parsed


def project_disable_list(start: Path) -> Sequence[str]:
    """``[tool.drupe] disable_plugins`` of the project containing ``start``, or ``()``."""
    folder: Path | None = start
    while folder is not None:
        # One folder at a time: pathlib's `parents` sequence is slow to build in full.
        candidate = folder / "pyproject.toml"
        folder = folder.parent if folder.parent != folder else None
        try:
            text = candidate.read_text(encoding="utf-8")
        except OSError:
            continue
        if "tool.drupe" not in text and "[tool]" not in text:
            continue  # cheap pre-check: no table could be there
        try:
            data = _load_toml(text)
        except Exception as exc:
            raise ProjectError(f"{candidate} is not valid TOML: {exc}; fix the file") from exc
        table = data.get("tool", {}).get("drupe")
        if not isinstance(table, dict):
            continue
        names = table.get("disable_plugins", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ProjectError(
                f"{candidate}: [tool.drupe] disable_plugins must be a list of plugin names, "
                f"got {names!r}"
            )
        return names
    return ()
