"""polars datasets (extra ``drupe[polars]``): CSV, Parquet, and a lazy scan.

Catalog types ``polars.CSVDataset``, ``polars.ParquetDataset`` and
``polars.LazyPolarsDataset``. Like every `FileDataset` they work on any
filesystem, are versioned and written atomically; ``load_args`` /
``save_args`` go to polars unchanged.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from drupe_pipeline.datasets.base import DatasetError
from drupe_pipeline.datasets.extras import require
from drupe_pipeline.datasets.files import FileDataset

__all__ = ["CSVDataset", "LazyPolarsDataset", "ParquetDataset"]

EXTRA = "polars"


def _polars() -> Any:
    return require("polars", EXTRA)


class CSVDataset(FileDataset):
    """`polars.read_csv` / `DataFrame.write_csv`."""

    text = False
    requires: ClassVar[tuple[tuple[str, str], ...]] = (("polars", EXTRA),)

    def _read_from(self, source: str | BinaryIO) -> Any:
        return _polars().read_csv(source, **self._load_args)

    def _write_to(self, path: Path, data: Any) -> None:
        if not isinstance(data, _polars().DataFrame):
            raise DatasetError(f"{self!r} saves a polars DataFrame, got {type(data).__name__}")
        data.write_csv(str(path), **self._save_args)


class ParquetDataset(FileDataset):
    """`polars.read_parquet` / `DataFrame.write_parquet`."""

    text = False
    requires: ClassVar[tuple[tuple[str, str], ...]] = (("polars", EXTRA),)

    def _read_from(self, source: str | BinaryIO) -> Any:
        return _polars().read_parquet(source, **self._load_args)

    def _write_to(self, path: Path, data: Any) -> None:
        if not isinstance(data, _polars().DataFrame):
            raise DatasetError(f"{self!r} saves a polars DataFrame, got {type(data).__name__}")
        data.write_parquet(str(path), **self._save_args)


class LazyPolarsDataset(FileDataset):
    """Loads a `polars.LazyFrame` (`scan_parquet` / `scan_csv`): nothing is read until collected.

    Saves a LazyFrame (streamed with ``sink_*``) or a DataFrame. On a remote
    filesystem the file is fetched whole at load and scanned lazily from
    memory. ``file_format``: ``parquet`` (default) or ``csv``.
    """

    text = False
    requires: ClassVar[tuple[tuple[str, str], ...]] = (("polars", EXTRA),)
    FORMATS = ("parquet", "csv")

    def __init__(self, filepath: Any, *, file_format: str = "parquet", **kwargs: Any) -> None:
        if file_format not in self.FORMATS:
            raise DatasetError(
                f"LazyPolarsDataset file_format {file_format!r} is not one of "
                f"{', '.join(self.FORMATS)}"
            )
        super().__init__(filepath, **kwargs)
        self._format = file_format

    def _read_from(self, source: str | BinaryIO) -> Any:
        polars = _polars()
        scan = getattr(polars, f"scan_{self._format}")
        if isinstance(source, str):
            return scan(source, **self._load_args)
        return scan(io.BytesIO(source.read()), **self._load_args)

    def _write_to(self, path: Path, data: Any) -> None:
        polars = _polars()
        if isinstance(data, polars.LazyFrame):
            getattr(data, f"sink_{self._format}")(str(path), **self._save_args)
        elif isinstance(data, polars.DataFrame):
            getattr(data, f"write_{self._format}")(str(path), **self._save_args)
        else:
            raise DatasetError(
                f"{self!r} saves a polars LazyFrame or DataFrame, got {type(data).__name__}"
            )

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "file_format": self._format}
