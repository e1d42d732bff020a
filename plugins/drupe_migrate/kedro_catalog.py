"""Rewriting catalog files: what drupe reads differently from Kedro.

drupe reads Kedro's dataset type names as they are (``json.JSONDataset``,
``pandas.CSVDataset``...: see docs/catalog.md), so ``type:`` lines mostly
stay. What changes:

* ``kedro.io.MemoryDataset`` (a path into Kedro) becomes ``MemoryDataset``;
* a pickle dataset gets ``allow_load: true``: Kedro unpickles without asking,
  drupe only when an entry says so (unpickling runs code from the file), and
  a migrated project's pickles are the ones its own pipeline wrote;
* a ``kedro_datasets.`` path is reported: it asks for Kedro's own class, so
  kedro-datasets (and Kedro) must stay installed.

Lines are edited in place, so comments and anchors stay.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from drupe_migrate.plan import Report

#: Kedro types that name Kedro itself -> drupe's type.
TYPES: Mapping[str, str] = {
    "kedro.io.MemoryDataset": "MemoryDataset",
    "kedro.io.memory_dataset.MemoryDataset": "MemoryDataset",
}
_PICKLE_TYPES = frozenset(
    {"PickleDataset", "pickle.PickleDataset", "kedro_datasets.pickle.PickleDataset"}
)

_TYPE_LINE = re.compile(r"^(\s*)(type\s*:\s*)([\"']?)([A-Za-z0-9_.:]+)\3(\s*(#.*)?)$")
_KEY_LINE = re.compile(r"^(\s*)[^\s#][^:]*:")


def rewrite_catalog(text: str, report: Report) -> str:
    """``text`` with Kedro-only types replaced and pickle entries allowed to load."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    for index, line in enumerate(lines):
        body = line.rstrip("\r\n")
        ending = line[len(body) :] or "\n"
        match = _TYPE_LINE.match(body)
        if not match:
            out.append(line)
            continue
        indent, kind = match.group(1), match.group(4)
        target = TYPES.get(kind)
        if target is not None:
            line = f"{indent}{match.group(2)}{target}{match.group(5)}{ending}"
            report(f"type {kind} -> {target}", index + 1, done=True)
        elif kind.startswith("kedro_datasets."):
            report(
                f"type {kind} is kedro-datasets' own class: keep kedro-datasets installed, "
                f"or write {kind.removeprefix('kedro_datasets.')} for drupe's (docs/catalog.md)",
                index + 1,
            )
        out.append(line)
        if kind in _PICKLE_TYPES and not _entry_has(lines, index, indent, "allow_load"):
            out.append(f"{indent}allow_load: true{ending}")
            report(
                "allow_load: true added: drupe unpickles only when an entry allows it "
                "(Kedro always did); keep it only for pickles your pipeline writes",
                index + 1,
                done=True,
            )
    return "".join(out)


def _entry_has(lines: list[str], index: int, indent: str, key: str) -> bool:
    """Whether the mapping holding line ``index`` (keys at ``indent``) has ``key``."""
    for step in (-1, 1):
        position = index + step
        while 0 <= position < len(lines):
            body = lines[position].rstrip("\r\n")
            match = _KEY_LINE.match(body)
            if match and len(match.group(1)) < len(indent):
                break
            if match and len(match.group(1)) == len(indent) and body.strip().startswith(key):
                return True
            position += step
    return False
