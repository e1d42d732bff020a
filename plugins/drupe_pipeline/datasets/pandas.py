"""pandas datasets (extra ``drupe[pandas]``): CSV, Parquet, JSON, Excel, Feather, SQL tables.

Catalog types ``pandas.CSVDataset``, ``pandas.ParquetDataset``... as in the
Kedro ecosystem, so an existing ``catalog.yml`` keeps its ``type:`` lines.
The file datasets work on any filesystem, are versioned and written
atomically like every `FileDataset`; ``load_args`` / ``save_args`` go to
pandas unchanged. A local file is handed to pandas by its path, so a load or
save costs what calling pandas directly costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from drupe_pipeline.datasets.base import AbstractDataset, DatasetError
from drupe_pipeline.datasets.extras import missing, require
from drupe_pipeline.datasets.files import FileDataset

__all__ = [
    "CSVDataset",
    "ExcelDataset",
    "FeatherDataset",
    "JSONDataset",
    "ParquetDataset",
    "SQLTableDataset",
]

EXTRA = "pandas"


class PandasFileDataset(FileDataset):
    """A dataframe in one file; subclasses say how pandas reads and writes it."""

    text = False
    requires: ClassVar[tuple[tuple[str, str], ...]] = (("pandas", EXTRA),)

    def _pandas(self) -> Any:
        for package, extra in self.requires:
            require(package, extra)
        return require("pandas", EXTRA)

    def _read_from(self, source: str | BinaryIO) -> Any:
        pandas = self._pandas()
        try:
            return self._read_frame(pandas, source)
        except ImportError as exc:
            raise missing(exc.name or "pandas", EXTRA) from None

    def _write_to(self, path: Path, data: Any) -> None:
        pandas = self._pandas()
        if not isinstance(data, pandas.DataFrame):
            raise DatasetError(f"{self!r} saves a pandas DataFrame, got {type(data).__name__}")
        try:
            self._write_frame(data, str(path))
        except ImportError as exc:
            raise missing(exc.name or "pandas", EXTRA) from None

    def _read_frame(self, pandas: Any, source: str | BinaryIO) -> Any:
        raise NotImplementedError

    def _write_frame(self, frame: Any, path: str) -> None:
        raise NotImplementedError


class CSVDataset(PandasFileDataset):
    """`pandas.read_csv` / `DataFrame.to_csv` (default ``save_args``: ``index: false``)."""

    default_save_args: ClassVar[Mapping[str, Any]] = {"index": False}

    def _read_frame(self, pandas: Any, source: str | BinaryIO) -> Any:
        return pandas.read_csv(source, **self._load_args)

    def _write_frame(self, frame: Any, path: str) -> None:
        frame.to_csv(path, **self._save_args)


class ParquetDataset(PandasFileDataset):
    """`pandas.read_parquet` / `DataFrame.to_parquet` (pyarrow)."""

    requires = (("pandas", EXTRA), ("pyarrow", EXTRA))

    def _read_frame(self, pandas: Any, source: str | BinaryIO) -> Any:
        return pandas.read_parquet(source, **self._load_args)

    def _write_frame(self, frame: Any, path: str) -> None:
        frame.to_parquet(path, **self._save_args)


class JSONDataset(PandasFileDataset):
    """`pandas.read_json` / `DataFrame.to_json`."""

    def _read_frame(self, pandas: Any, source: str | BinaryIO) -> Any:
        return pandas.read_json(source, **self._load_args)

    def _write_frame(self, frame: Any, path: str) -> None:
        frame.to_json(path, **self._save_args)


class ExcelDataset(PandasFileDataset):
    """`pandas.read_excel` / `DataFrame.to_excel` with openpyxl (default ``index: false``)."""

    requires = (("pandas", EXTRA), ("openpyxl", EXTRA))
    default_save_args: ClassVar[Mapping[str, Any]] = {"index": False}

    def _read_frame(self, pandas: Any, source: str | BinaryIO) -> Any:
        return pandas.read_excel(source, **self._load_args)

    def _write_frame(self, frame: Any, path: str) -> None:
        frame.to_excel(path, **self._save_args)


class FeatherDataset(PandasFileDataset):
    """`pandas.read_feather` / `DataFrame.to_feather` (pyarrow)."""

    requires = (("pandas", EXTRA), ("pyarrow", EXTRA))

    def _read_frame(self, pandas: Any, source: str | BinaryIO) -> Any:
        return pandas.read_feather(source, **self._load_args)

    def _write_frame(self, frame: Any, path: str) -> None:
        frame.to_feather(path, **self._save_args)


class SQLTableDataset(AbstractDataset):
    """One table of a SQL database, through SQLAlchemy.

    Args:
        table_name: the table.
        credentials: ``{con: <SQLAlchemy URL>}``, e.g. from
            ``conf/local/credentials.yml`` (the URL holds the password: keep
            it out of ``catalog.yml``).
        load_args: to `pandas.read_sql_table` (``schema``, ``columns``...).
        save_args: to `DataFrame.to_sql` (default ``index: false``; pandas'
            ``if_exists: fail`` applies unless you set ``replace`` or ``append``).
    """

    requires: ClassVar[tuple[tuple[str, str], ...]] = (("pandas", EXTRA), ("sqlalchemy", EXTRA))

    def __init__(
        self,
        table_name: str,
        *,
        credentials: Mapping[str, Any] | None = None,
        load_args: Mapping[str, Any] | None = None,
        save_args: Mapping[str, Any] | None = None,
    ) -> None:
        if not table_name or not isinstance(table_name, str):
            raise DatasetError("SQLTableDataset needs a table_name")
        con = (credentials or {}).get("con") if isinstance(credentials, Mapping) else None
        if not con or not isinstance(con, str):
            raise DatasetError(
                "SQLTableDataset needs credentials with a 'con' key holding a SQLAlchemy URL "
                "(e.g. postgresql://user:password@host/db), kept in conf/local/credentials.yml"
            )
        self._table = table_name
        self._con = con
        self._load_args = dict(load_args or {})
        self._save_args = {"index": False, **(save_args or {})}
        self._engine: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_engine": None}  # a worker opens its own connections

    def _connect(self) -> Any:
        if self._engine is None:
            sqlalchemy = require("sqlalchemy", EXTRA)
            self._engine = sqlalchemy.create_engine(self._con)
        return self._engine

    def _load(self) -> Any:
        pandas = require("pandas", EXTRA)
        return pandas.read_sql_table(self._table, con=self._connect(), **self._load_args)

    def _save(self, data: Any) -> None:
        pandas = require("pandas", EXTRA)
        if not isinstance(data, pandas.DataFrame):
            raise DatasetError(f"{self!r} saves a pandas DataFrame, got {type(data).__name__}")
        data.to_sql(self._table, con=self._connect(), **self._save_args)

    def _exists(self) -> bool:
        sqlalchemy = require("sqlalchemy", EXTRA)
        schema = self._load_args.get("schema")
        return bool(sqlalchemy.inspect(self._connect()).has_table(self._table, schema=schema))

    def _describe(self) -> dict[str, Any]:
        return {"table_name": self._table}
