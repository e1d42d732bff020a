"""Dataframe datasets round-trip through every format, on local files and on a real
S3-compatible server, unversioned and versioned, built by the catalog as a run builds them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

from drupe_pipeline import DataCatalog, DatasetError

PANDAS = [
    ("pandas.CSVDataset", "csv"),
    ("pandas.ParquetDataset", "parquet"),
    ("pandas.JSONDataset", "json"),
    ("pandas.ExcelDataset", "xlsx"),
    ("pandas.FeatherDataset", "feather"),
]
POLARS = [
    ("polars.CSVDataset", "csv"),
    ("polars.ParquetDataset", "parquet"),
    ("polars.LazyPolarsDataset", "parquet"),
]


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"id": [1, 2, 3], "shuttle": ["Type F5", "Type A1", "Type F5"], "price": [1.5, 2.25, 3.0]}
    )


def same(loaded: Any, expected: pd.DataFrame) -> None:
    if isinstance(loaded, pl.LazyFrame):
        loaded = loaded.collect()
    if isinstance(loaded, pl.DataFrame):
        loaded = loaded.to_pandas()
    pd.testing.assert_frame_equal(
        loaded.reset_index(drop=True), expected, check_dtype=False, check_like=True
    )


def data_for(type_name: str) -> Any:
    return pl.from_pandas(frame()) if type_name.startswith("polars.") else frame()


def location(where: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, dict]:
    """A base location and the credentials configuration for it."""
    if where == "local":
        return "data", {}
    bucket = request.getfixturevalue("bucket")
    return f"s3://{bucket}/data", {"s3": request.getfixturevalue("s3_credentials")}


def entry(type_name: str, path: str, *, versioned: bool = False, s3: bool = False) -> dict:
    config: dict[str, Any] = {"type": type_name, "filepath": path}
    if versioned:
        config["versioned"] = True
    if s3:
        config["credentials"] = "s3"
    return config


@pytest.mark.parametrize("where", ["local", "s3"])
@pytest.mark.parametrize(("type_name", "suffix"), PANDAS + POLARS)
def test_round_trip(
    where: str, type_name: str, suffix: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    base, credentials = location(where, tmp_path, request)
    path = f"{base}/table.{suffix}"
    catalog = DataCatalog.from_config(
        {"table": entry(type_name, path, s3=where == "s3")}, credentials, root=tmp_path
    )
    assert not catalog.exists("table")
    catalog.save("table", data_for(type_name))
    assert catalog.exists("table")
    same(catalog.load("table"), frame())
    if where == "local":
        assert (tmp_path / "data" / f"table.{suffix}").is_file()
        assert [p.name for p in (tmp_path / "data").iterdir()] == [f"table.{suffix}"]


@pytest.mark.parametrize("where", ["local", "s3"])
@pytest.mark.parametrize(
    ("type_name", "suffix"), [("pandas.ParquetDataset", "parquet"), ("polars.CSVDataset", "csv")]
)
def test_versioned_saves_never_overwrite_and_load_the_version_asked_for(
    where: str, type_name: str, suffix: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    base, credentials = location(where, tmp_path, request)
    config = {"table": entry(type_name, f"{base}/t.{suffix}", versioned=True, s3=where == "s3")}
    first, second = "2026-01-01T00.00.00.000001Z-aaaa", "2026-01-02T00.00.00.000001Z-bbbb"
    small = frame().head(1)

    def catalog(**kwargs: Any) -> DataCatalog:
        return DataCatalog.from_config(config, credentials, root=tmp_path, **kwargs)

    assert not catalog(save_version=first).exists("table")
    catalog(save_version=first).save("table", data_for(type_name))
    run2 = catalog(save_version=second)
    run2.save("table", pl.from_pandas(small) if type_name.startswith("polars.") else small)
    same(run2.load("table"), small)  # the version this run saved
    with pytest.raises(DatasetError, match="never overwrites"):
        run2.save("table", data_for(type_name))
    same(catalog().load("table"), small)  # the newest
    same(catalog(load_versions={"table": first}).load("table"), frame())
    assert catalog(load_versions={"table": first}).exists("table")
    with pytest.raises(DatasetError, match=r"version '2000' .* does not exist.*available: 2026"):
        catalog(load_versions={"table": "2000"}).load("table")
    if where == "local":
        saved = sorted(p.name for p in (tmp_path / "data" / f"t.{suffix}").iterdir())
        assert saved == [first, second]


def test_sql_table_round_trip_with_the_url_from_credentials(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    config = {
        "orders": {
            "type": "pandas.SQLTableDataset",
            "table_name": "orders",
            "credentials": "warehouse",
            "save_args": {"if_exists": "replace"},
        }
    }
    catalog = DataCatalog.from_config(config, {"warehouse": {"con": url}}, root=tmp_path)
    assert not catalog.exists("orders")
    catalog.save("orders", frame())
    catalog.save("orders", frame())  # replace, as save_args say
    assert catalog.exists("orders")
    same(catalog.load("orders"), frame())
    assert "warehouse.db" not in repr(catalog.get("orders"))


def test_sql_table_without_a_url_says_where_to_put_it(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"orders": {"type": "pandas.SQLTableDataset", "table_name": "orders"}}, root=tmp_path
    )
    with pytest.raises(DatasetError, match=r"'orders'.*credentials with a 'con' key"):
        catalog.get("orders")


def test_a_type_without_versions_refuses_versioned_true(tmp_path: Path) -> None:
    config = {"orders": {"type": "pandas.SQLTableDataset", "table_name": "o", "versioned": True}}
    catalog = DataCatalog.from_config(config, root=tmp_path, save_version="v")
    with pytest.raises(DatasetError, match=r"'orders'.*cannot be versioned.*remove `versioned"):
        catalog.get("orders")


def test_load_and_save_args_reach_pandas(tmp_path: Path) -> None:
    (tmp_path / "raw.csv").write_text("id;price\n1;2,5\n", encoding="utf-8")
    config = {
        "raw": {
            "type": "pandas.CSVDataset",
            "filepath": "raw.csv",
            "load_args": {"sep": ";", "decimal": ","},
        },
        "out": {
            "type": "pandas.CSVDataset",
            "filepath": "out.csv",
            "save_args": {"sep": "|"},
        },
    }
    catalog = DataCatalog.from_config(config, root=tmp_path)
    loaded = catalog.load("raw")
    assert loaded["price"].tolist() == [2.5]
    catalog.save("out", loaded)
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "id|price\n1|2.5\n"


def test_saving_the_wrong_kind_of_data_names_the_dataset(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"t": {"type": "pandas.ParquetDataset", "filepath": "t.parquet"}}, root=tmp_path
    )
    with pytest.raises(DatasetError, match=r"ParquetDataset\(.*saves a pandas DataFrame, got list"):
        catalog.save("t", [1, 2])
    assert not (tmp_path / "t.parquet").exists()


def test_a_failed_save_leaves_the_previous_file_whole(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"t": {"type": "pandas.ParquetDataset", "filepath": "t.parquet"}}, root=tmp_path
    )
    catalog.save("t", frame())
    unsavable = pd.DataFrame({"x": [object()]})
    with pytest.raises(DatasetError, match="failed to save"):
        catalog.save("t", unsavable)
    same(catalog.load("t"), frame())
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_file_urls_are_local_paths(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/t.csv"
    catalog = DataCatalog.from_config({"t": {"type": "pandas.CSVDataset", "filepath": url}})
    catalog.save("t", frame())
    assert catalog.get("t").filepath == tmp_path / "t.csv"
    same(catalog.load("t"), frame())


def test_memory_filesystem_and_fs_args(tmp_path: Path) -> None:
    config = {
        "t": {
            "type": "pandas.CSVDataset",
            "filepath": "memory://drupe-tests/t.csv",
            "fs_args": {"open_args_load": {"block_size": 1024}},
        }
    }
    DataCatalog.from_config(config).save("t", frame())
    same(DataCatalog.from_config(config).load("t"), frame())


class _NoGcsfs:
    """An import finder that makes gcsfs uninstallable for one test."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] == "gcsfs":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def test_a_filesystem_whose_package_is_missing_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setattr(sys, "meta_path", [_NoGcsfs(), *sys.meta_path])
    for name in [m for m in sys.modules if m.split(".")[0] == "gcsfs"]:
        monkeypatch.delitem(sys.modules, name)
    catalog = DataCatalog.from_config(
        {"t": {"type": "pandas.CSVDataset", "filepath": "gs://bucket/t.csv"}}, root=tmp_path
    )
    with pytest.raises(DatasetError) as raised:
        catalog.get("t")
    assert str(raised.value) == (
        "catalog entry 't': gs://bucket/t.csv needs the Python package 'gcsfs', "
        "which is not installed: pip install 'drupe[gcs]'"
    )


LOCAL_ONLY = """
import sys
from pathlib import Path

from drupe_pipeline import DataCatalog

root = Path(sys.argv[1])
catalog = DataCatalog.from_config(
    {
        "rows": {"type": "JSONDataset", "filepath": "rows.json", "versioned": True},
        "frame": {"type": "pandas.CSVDataset", "filepath": "frame.csv"},
    },
    root=root,
    save_version="v1",
)
catalog.save("rows", [1, 2])
assert catalog.load("rows") == [1, 2]
print(sorted({m.split(".")[0] for m in sys.modules} & {"fsspec", "pandas", "polars", "s3fs"}))
catalog.save("frame", __import__("pandas").DataFrame({"a": [1]}))
catalog.load("frame")
print(sorted({m.split(".")[0] for m in sys.modules} & {"fsspec", "s3fs", "polars"}))
"""


def test_local_files_never_import_fsspec_nor_unused_libraries(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", LOCAL_ONLY, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "[]"]
