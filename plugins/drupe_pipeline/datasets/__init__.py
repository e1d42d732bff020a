"""Datasets: the built-in ones (standard library only) and the base for your own."""

from drupe_pipeline.datasets.base import AbstractDataset, DatasetError
from drupe_pipeline.datasets.files import (
    CSVDataset,
    FileDataset,
    JSONDataset,
    PickleDataset,
    TextDataset,
    Version,
    YAMLDataset,
)
from drupe_pipeline.datasets.memory import MemoryDataset

#: The names a catalog entry's ``type:`` may use without a dotted path.
BUILTIN_DATASETS: dict[str, type[AbstractDataset]] = {
    "MemoryDataset": MemoryDataset,
    "JSONDataset": JSONDataset,
    "YAMLDataset": YAMLDataset,
    "TextDataset": TextDataset,
    "PickleDataset": PickleDataset,
    "CSVDataset": CSVDataset,
}

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
]
