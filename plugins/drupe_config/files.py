"""Reading a configuration file's bytes into a mapping, by content, without PyYAML when cached.

`parse` is what the loader calls. It hands the bytes to `drupe.cached_parse`,
so a file already parsed (in this process, or by an earlier ``drupe`` command,
with the same bytes) is not parsed again and `drupe_config.reading` (which
imports PyYAML, about a third of drupe's import floor) is not even imported.
The cache key names the parser by the size and time of the files that decide
what bytes mean (the YAML loader, the scalar rules, the shape limits), so
editing or upgrading them retires older results. YAML 1.1 ambiguities are
kept with the result and logged on every read, as an uncached parse does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import drupe
from drupe_config import shape

_parser_tag: str | None = None


def parse(data: bytes, name: str) -> dict[str, Any]:
    """The top-level mapping of a file's bytes; `drupe.ConfigError` naming ``name`` if invalid."""
    kind = "json" if name.lower().endswith(".json") else "yaml"

    def fresh(raw: bytes) -> tuple[dict[str, Any], list[tuple[int, str, str]]]:
        from drupe_config.reading import parse_document

        return parse_document(raw, name)

    value, ambiguous = drupe.cached_parse(data, f"{kind}:{_tag()}", fresh)
    if ambiguous:
        from drupe_config.reading import warn_ambiguous

        warn_ambiguous(name, [tuple(item) for item in ambiguous])
    return value  # type: ignore[no-any-return]


def _tag() -> str:
    """Stat of the modules that decide what bytes parse to, plus the shape limits.

    The stats are taken once per process; the limits are read on every call,
    so a changed limit never serves a result checked against another.
    """
    global _parser_tag
    if _parser_tag is None:
        here = Path(__file__).parent
        scalars = Path(drupe.__file__).with_name("scalars.py")
        deciding = (here / "reading.py", here / "shape.py", scalars)
        stamps = []
        for path in deciding:
            try:
                st = os.stat(path)
                stamps.append(f"{st.st_mtime_ns}.{st.st_size}")
            except OSError:
                stamps.append("-")
        _parser_tag = ":".join(stamps)
    return f"{_parser_tag}:{shape.MAX_EXPANDED_NODES}:{shape.MAX_DEPTH}"
