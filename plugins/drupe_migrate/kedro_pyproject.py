"""Rewriting ``pyproject.toml``: ``[tool.kedro]`` becomes ``[tool.drupe]``, Kedro packages go.

The file is edited as text, table by table and line by line, so comments and
layout survive (drupe has no TOML writer among its dependencies, and a
migration should produce a diff a reviewer can read). The result is parsed
again; if it does not parse, or has no ``[tool.drupe]`` table, the file is
left unchanged and the reason reported.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from drupe_migrate.plan import Report

#: ``[tool.kedro]`` keys drupe keeps (same meaning) and the ones only Kedro reads.
KEPT_KEYS = ("package_name", "project_name", "source_dir")
KEDRO_ONLY_KEYS = ("kedro_init_version", "tools", "example_pipeline")

#: kedro-datasets extras (by prefix) -> the drupe extra installing the same libraries.
DATASET_EXTRAS: tuple[tuple[str, str], ...] = (
    ("pandas", "pandas"),
    ("polars", "polars"),
    ("matplotlib", "matplotlib"),
    ("plotly", "plotly"),
)

_KEDRO = re.compile(r"kedro(\[[^\]]*\])?\s*([<>=~!].*)?")
_KEDRO_DATASETS = re.compile(r"kedro[-_]datasets(\[(?P<extras>[^\]]*)\])?.*")
_DROPPED = (
    (re.compile(r"kedro[-_]viz\b.*"), "kedro-viz removed: it reads Kedro sessions only"),
    (re.compile(r"kedro[-_]telemetry\b.*"), "kedro-telemetry removed"),
)

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\"'-]+)\s*=")
_STRING_ITEM = re.compile(r"^(\s*)([\"'])(.*?)\2(\s*,?\s*(#.*)?)$")


def rewrite_pyproject(text: str, report: Report) -> str:
    """The migrated text of a Kedro ``pyproject.toml`` (unchanged when it cannot be done)."""
    lines = text.splitlines(keepends=True)
    extras = _drupe_extras(text, report)
    out: list[str] = []
    table = ""
    in_dependencies = False
    for number, line in enumerate(lines, 1):
        header = _HEADER.match(line)
        if header:
            table = header.group(1).strip().strip('"')
            in_dependencies = False
            if table == "tool.kedro":
                out.append(line.replace("tool.kedro", "tool.drupe", 1))
                continue
            if table.startswith("tool.kedro_telemetry"):
                report(
                    "[tool.kedro_telemetry] removed (Kedro's telemetry settings)", number, done=True
                )
                continue
            if table == 'project.entry-points."kedro.hooks"' or "kedro.hooks" in table:
                report(
                    "entry points in the kedro.hooks group are Kedro plugins' hooks: "
                    "register drupe plugins in the drupe.plugins group instead",
                    number,
                )
            out.append(line)
            continue
        if table.startswith("tool.kedro_telemetry"):
            continue
        if table == "tool.kedro":
            key = _KEY.match(line)
            if key and key.group(1) in KEDRO_ONLY_KEYS:
                report(
                    f"[tool.kedro] {key.group(1)} removed (only Kedro reads it)", number, done=True
                )
                continue
            if key and key.group(1) not in KEPT_KEYS:
                report(
                    f"[tool.kedro] {key.group(1)} is not a [tool.drupe] key: kept, but drupe "
                    "will reject it; remove it or move it elsewhere",
                    number,
                )
            out.append(line)
            continue
        if table == "project":
            stripped = line.strip()
            if stripped.startswith("dependencies") and "=" in stripped:
                in_dependencies = not stripped.rstrip().endswith("]")
                if not in_dependencies and "kedro" in stripped:
                    report(
                        "dependencies on one line: replace the kedro packages by drupe by hand",
                        number,
                    )
                out.append(line)
                continue
            if in_dependencies:
                if stripped.startswith("]"):
                    in_dependencies = False
                    out.append(line)
                    continue
                item = _STRING_ITEM.match(line.rstrip("\r\n"))
                if item:
                    replaced = _dependency(item.group(3), extras, report, number)
                    if replaced is None:
                        continue
                    if replaced != item.group(3):
                        ending = line[len(line.rstrip("\r\n")) :]
                        quote = item.group(2)
                        line = f"{item.group(1)}{quote}{replaced}{quote}{item.group(4)}{ending}"
                out.append(line)
                continue
        out.append(line)
    result = "".join(out)
    problem = _check(result)
    if problem:
        report(f"pyproject.toml left unchanged: {problem}", None)
        return text
    return result


def _drupe_extras(text: str, report: Report) -> list[str]:
    """The drupe extras that replace kedro-datasets' (``pandas-csvdataset`` -> ``pandas``)."""
    found: list[str] = []
    for match in re.finditer(r"[\"']kedro[-_]datasets\[([^\]]*)\]", text):
        for extra in match.group(1).split(","):
            extra = extra.strip()
            target = next((t for prefix, t in DATASET_EXTRAS if extra.startswith(prefix)), None)
            if target is None:
                report(
                    f"kedro-datasets[{extra}] has no drupe extra: if the catalog uses that "
                    "type, add kedro-datasets back (drupe reads its classes through an adapter)",
                    None,
                )
            elif target not in found:
                found.append(target)
    return found


def _dependency(requirement: str, extras: list[str], report: Report, line: int) -> str | None:
    """The requirement to keep (``None``: drop it)."""
    requirement = requirement.strip()
    if _KEDRO.fullmatch(requirement):
        return f"drupe[{','.join(extras)}]" if extras else "drupe"
    if _KEDRO_DATASETS.fullmatch(requirement):
        report(
            "kedro-datasets removed: drupe bundles the json, yaml, text, pickle, pandas, "
            "polars, matplotlib and plotly types"
            + (f" (its extras became drupe[{','.join(extras)}])" if extras else ""),
            line,
            done=True,
        )
        return None
    for pattern, message in _DROPPED:
        if pattern.fullmatch(requirement):
            report(message, line, done=True)
            return None
    return requirement


def _check(text: str) -> str | None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 only
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except ValueError as exc:
        return f"the rewritten file would not be valid TOML ({exc})"
    tool = data.get("tool")
    if not isinstance(tool, dict) or not isinstance(tool.get("drupe"), dict):
        return "no [tool.kedro] table to turn into [tool.drupe]"
    if "package_name" not in tool["drupe"]:
        return "[tool.kedro] has no package_name"
    return None
