"""Rewriting catalog files: Kedro dataset types that drupe bundles with the same meaning.

Only types whose drupe dataset loads and saves the same Python values are
mapped (JSON, YAML, text, pickle, memory). ``pandas.CSVDataset`` is not:
drupe's ``CSVDataset`` gives a list of dicts, not a DataFrame, and mapping it
would change what nodes receive; such entries are reported instead. Lines are
edited in place, so comments and anchors stay.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from drupe_migrate.plan import Report

#: Kedro type (short or full) -> drupe's built-in dataset of the same behaviour.
TYPES: Mapping[str, str] = {
    **{
        prefix + name: target
        for prefix in ("", "kedro_datasets.")
        for name, target in (
            ("json.JSONDataset", "JSONDataset"),
            ("yaml.YAMLDataset", "YAMLDataset"),
            ("text.TextDataset", "TextDataset"),
            ("pickle.PickleDataset", "PickleDataset"),
        )
    },
    "MemoryDataset": "MemoryDataset",
    "kedro.io.MemoryDataset": "MemoryDataset",
    "kedro.io.memory_dataset.MemoryDataset": "MemoryDataset",
}

#: Arguments of Kedro file datasets that drupe's file datasets do not take.
_UNSUPPORTED_ARGS = ("fs_args", "metadata")

_TYPE_LINE = re.compile(r"^(\s*type\s*:\s*)([\"']?)([A-Za-z0-9_.:]+)\2(\s*(#.*)?)$")
_ARG_LINE = re.compile(r"^\s*([A-Za-z_]+)\s*:")


def rewrite_catalog(text: str, report: Report) -> str:
    """``text`` with mappable ``type:`` values replaced; every other type reported."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        body = line.rstrip("\r\n")
        match = _TYPE_LINE.match(body)
        if match:
            kedro_type = match.group(3)
            target = TYPES.get(kedro_type)
            if target is not None:
                ending = line[len(body) :]
                lines[index] = f"{match.group(1)}{target}{match.group(4)}{ending}"
            elif "." in kedro_type and not kedro_type.startswith(("drupe_", "kedro.io")):
                report(
                    f"dataset type {kedro_type} has no drupe equivalent with the same values: "
                    "write a drupe_pipeline.AbstractDataset subclass and give its dotted path, "
                    "or use a bundled type (JSONDataset, YAMLDataset, TextDataset, PickleDataset, "
                    "CSVDataset: a list of dicts)",
                    index + 1,
                )
            continue
        argument = _ARG_LINE.match(body)
        if argument and argument.group(1) in _UNSUPPORTED_ARGS:
            report(
                f"{argument.group(1)} is not an argument of drupe's file datasets: remove it",
                index + 1,
            )
    return "".join(lines)
