"""Datasets: the built-in ones and the base for your own.

Every dataset module is imported on first use (``drupe --help`` imports this
plugin, and most runs use a few dataset types at most), and the optional
libraries a dataset needs (pandas, polars, fsspec...) only when it loads or
saves.
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
_PANDAS = "drupe_pipeline.datasets.pandas"
_POLARS = "drupe_pipeline.datasets.polars"
_PLOTS = "drupe_pipeline.datasets.plots"

#: The names a catalog entry's ``type:`` may use without a dotted path, and
#: ``module:Class`` for each. Namespaced names follow the Kedro ecosystem's, so
#: an existing catalog keeps its ``type:`` lines.
BUILTIN_DATASETS: dict[str, str] = {
    "MemoryDataset": "drupe_pipeline.datasets.memory:MemoryDataset",
    "JSONDataset": f"{_FILES}:JSONDataset",
    "YAMLDataset": f"{_FILES}:YAMLDataset",
    "TextDataset": f"{_FILES}:TextDataset",
    "PickleDataset": f"{_FILES}:PickleDataset",
    "CSVDataset": f"{_FILES}:CSVDataset",
    "json.JSONDataset": f"{_FILES}:JSONDataset",
    "yaml.YAMLDataset": f"{_FILES}:YAMLDataset",
    "text.TextDataset": f"{_FILES}:TextDataset",
    "pickle.PickleDataset": f"{_FILES}:PickleDataset",
    "pandas.CSVDataset": f"{_PANDAS}:CSVDataset",
    "pandas.ParquetDataset": f"{_PANDAS}:ParquetDataset",
    "pandas.JSONDataset": f"{_PANDAS}:JSONDataset",
    "pandas.ExcelDataset": f"{_PANDAS}:ExcelDataset",
    "pandas.FeatherDataset": f"{_PANDAS}:FeatherDataset",
    "pandas.SQLTableDataset": f"{_PANDAS}:SQLTableDataset",
    "polars.CSVDataset": f"{_POLARS}:CSVDataset",
    "polars.ParquetDataset": f"{_POLARS}:ParquetDataset",
    "polars.LazyPolarsDataset": f"{_POLARS}:LazyPolarsDataset",
    "matplotlib.MatplotlibWriter": f"{_PLOTS}:MatplotlibWriter",
    "plotly.JSONDataset": f"{_PLOTS}:JSONDataset",
}


def builtin_dataset(name: str) -> type[AbstractDataset] | None:
    """The built-in dataset class called ``name``, or ``None``."""
    target = BUILTIN_DATASETS.get(name)
    if target is None:
        return None
    module, _, attr = target.partition(":")
    cls: type[AbstractDataset] = getattr(importlib.import_module(module), attr)
    return cls


_FILE_CLASSES = ("FileDataset", "JSONDataset", "YAMLDataset", "TextDataset", "PickleDataset")


def __getattr__(name: str) -> Any:
    if name in _FILE_CLASSES or name == "CSVDataset":
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
