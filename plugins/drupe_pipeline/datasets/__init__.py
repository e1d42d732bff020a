"""Datasets: the built-in ones (standard library only) and the base for your own.

The file datasets are imported on first use (``drupe --help`` imports this
plugin, and most runs use a few dataset types at most).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from drupe_pipeline.datasets.base import AbstractDataset, DatasetError, Version
from drupe_pipeline.datasets.memory import MemoryDataset

if TYPE_CHECKING:
    from drupe_pipeline.datasets.files import (
        CSVDataset,
        FileDataset,
        JSONDataset,
        PickleDataset,
        TextDataset,
        YAMLDataset,
    )

_FILES = "drupe_pipeline.datasets.files"

#: The names a catalog entry's ``type:`` may use without a dotted path, and their modules.
BUILTIN_DATASETS: dict[str, str] = {
    "MemoryDataset": "drupe_pipeline.datasets.memory",
    "JSONDataset": _FILES,
    "YAMLDataset": _FILES,
    "TextDataset": _FILES,
    "PickleDataset": _FILES,
    "CSVDataset": _FILES,
}


def builtin_dataset(name: str) -> type[AbstractDataset] | None:
    """The built-in dataset class called ``name``, or ``None``."""
    module = BUILTIN_DATASETS.get(name)
    if module is None:
        return None
    cls: type[AbstractDataset] = getattr(importlib.import_module(module), name)
    return cls


def __getattr__(name: str) -> Any:
    if name == "FileDataset" or name in BUILTIN_DATASETS:
        return getattr(importlib.import_module(_FILES), name)
    raise AttributeError(f"module 'drupe_pipeline.datasets' has no attribute {name!r}")


__all__ = [
    "BUILTIN_DATASETS",
    "AbstractDataset",
    "CSVDataset",
    "DatasetError",
    "FileDataset",
    "JSONDataset",
    "MemoryDataset",
    "PickleDataset",
    "TextDataset",
    "Version",
    "YAMLDataset",
    "builtin_dataset",
]
