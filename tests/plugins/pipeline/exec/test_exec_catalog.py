"""The catalog and the built-in datasets: types, factories, parameters, credentials,
copy modes, versions, and errors that name what failed."""

from __future__ import annotations

import os
import traceback
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from drupe_pipeline import (
    AbstractDataset,
    CSVDataset,
    DataCatalog,
    DatasetError,
    JSONDataset,
    MemoryDataset,
    PickleDataset,
    TextDataset,
    Version,
    YAMLDataset,
)


@pytest.mark.parametrize(
    ("cls", "name", "data"),
    [
        (JSONDataset, "d.json", {"a": [1, 2.5, None, True]}),
        (YAMLDataset, "d.yml", {"a": [1, 2.5, None, True], "b": "text"}),
        (TextDataset, "d.txt", "line one\nline two\n"),
        (partial(PickleDataset, allow_load=True), "d.pkl", {"set": {1, 2}, "tuple": (1, "x")}),
        (CSVDataset, "d.csv", [{"id": "1", "name": "a, b"}, {"id": "2", "name": 'quote "q"'}]),
    ],
)
def test_file_datasets_round_trip(tmp_path: Path, cls: Any, name: str, data: Any) -> None:
    dataset = cls(filepath=tmp_path / "sub" / name)
    assert not dataset.exists()
    dataset.save(data)
    assert dataset.exists()
    assert dataset.load() == data


def test_csv_rows_load_as_dicts_of_strings(tmp_path: Path) -> None:
    path = tmp_path / "cars.csv"
    path.write_text("make,seats\nfiat,4\nmini,2\n", encoding="utf-8")
    assert CSVDataset(filepath=path).load() == [
        {"make": "fiat", "seats": "4"},
        {"make": "mini", "seats": "2"},
    ]


def test_a_missing_file_is_a_dataset_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"JSONDataset\(filepath=.*nope\.json.*does not exist"):
        JSONDataset(filepath=tmp_path / "nope.json").load()


def test_memory_copy_modes() -> None:
    data = {"rows": [1, 2]}
    deep = MemoryDataset(data)
    deep.load()["rows"].append(3)
    assert deep.load() == {"rows": [1, 2]}, "deepcopy: a node cannot change what others see"
    shared = MemoryDataset(data, copy_mode="assign")
    assert shared.load() is data
    shallow = MemoryDataset(data, copy_mode="copy")
    assert shallow.load() is not data and shallow.load()["rows"] is data["rows"]
    with pytest.raises(
        DatasetError, match="copy_mode 'clone' is not one of deepcopy, copy, assign"
    ):
        MemoryDataset(copy_mode="clone")
    with pytest.raises(DatasetError, match="holds no data"):
        MemoryDataset().load()


def test_types_by_short_name_or_dotted_path_and_errors_name_the_entry(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "short": {"type": "JSONDataset", "filepath": "a.json"},
            "dotted": {"type": "drupe_pipeline.datasets.TextDataset", "filepath": "b.txt"},
            "colon": {"type": "drupe_pipeline.datasets:PickleDataset", "filepath": "c.pkl"},
            "bad": {"type": "NoSuchDataset"},
            "not_a_dataset": {"type": "pathlib.Path"},
        },
        root=tmp_path,
    )
    assert isinstance(catalog.get("short"), JSONDataset)
    assert isinstance(catalog.get("dotted"), TextDataset)
    assert isinstance(catalog.get("colon"), PickleDataset)
    with pytest.raises(DatasetError, match="catalog entry 'bad': type 'NoSuchDataset' is neither"):
        catalog.get("bad")
    with pytest.raises(DatasetError, match=r"'not_a_dataset'.*not a subclass of .*AbstractDataset"):
        catalog.get("not_a_dataset")
    with pytest.raises(DatasetError, match="catalog entry 'typeless' has no 'type'"):
        DataCatalog.from_config({"typeless": {"filepath": "x"}})


def test_relative_paths_resolve_against_the_root_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    root = tmp_path / "project"
    catalog = DataCatalog.from_config(
        {"out": {"type": "JSONDataset", "filepath": "data/out.json"}}, root=root
    )
    catalog.save("out", [1])
    assert (root / "data" / "out.json").is_file()
    assert not (elsewhere / "data").exists()


def test_factories_match_and_the_most_specific_pattern_wins(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "{name}": {"type": "PickleDataset", "filepath": "any/{name}.pkl"},
            "{name}_raw": {"type": "CSVDataset", "filepath": "raw/{name}.csv"},
            "{name}_raw_{part}": {"type": "JSONDataset", "filepath": "raw/{name}/{part}.json"},
            "cars_raw": {"type": "TextDataset", "filepath": "explicit.txt"},
        },
        root=tmp_path,
    )
    assert isinstance(catalog.get("cars_raw"), TextDataset), "an explicit entry beats factories"
    boats = catalog.get("boats_raw")
    assert isinstance(boats, CSVDataset) and boats.filepath == tmp_path / "raw" / "boats.csv"
    parts = catalog.get("boats_raw_2024")
    assert isinstance(parts, JSONDataset)
    assert parts.filepath == tmp_path / "raw" / "boats" / "2024.json"
    other = catalog.get("anything")
    assert isinstance(other, PickleDataset) and other.filepath == tmp_path / "any" / "anything.pkl"


def test_parameters_and_nested_params_datasets() -> None:
    catalog = DataCatalog(parameters={"model": {"lr": 0.1, "layers": [3, 2]}, "seed": 7})
    assert catalog.load("parameters") == {"model": {"lr": 0.1, "layers": [3, 2]}, "seed": 7}
    assert catalog.load("params:model.lr") == 0.1
    assert catalog.load("params:seed") == 7
    assert "params:model.missing" not in catalog
    assert "params:nothing" not in catalog


class SecretStore(AbstractDataset):
    def __init__(self, table: str, credentials: dict[str, str]) -> None:
        if credentials["password"] != "s3cr3t-pa55":
            raise ValueError(f"login refused for password {credentials['password']}")
        self.table = table
        self.credentials = credentials

    def _load(self) -> Any:
        raise ConnectionError(f"no database for {self.credentials}")

    def _save(self, data: Any) -> None:
        raise NotImplementedError

    def _describe(self) -> dict[str, Any]:
        return {"table": self.table}


def test_credentials_reach_the_dataset_but_never_a_repr_or_error() -> None:
    secret_type = f"{__name__}.SecretStore"
    credentials = {"db": {"user": "ada", "password": "s3cr3t-pa55"}}
    wrong = {"db": {"user": "ada", "password": "wr0ng-pa55"}}
    catalog = DataCatalog.from_config(
        {
            "rows": {"type": secret_type, "table": "t", "credentials": "db"},
            "missing": {"type": secret_type, "table": "t", "credentials": "nope"},
        },
        credentials,
    )
    dataset = catalog.get("rows")
    assert isinstance(dataset, SecretStore) and dataset.credentials == credentials["db"]
    assert "s3cr3t" not in repr(dataset) and "s3cr3t" not in repr(catalog)
    with pytest.raises(DatasetError) as caught:
        catalog.load("rows")  # the dataset's own error quotes its credentials
    shown = "".join(traceback.format_exception(caught.value))
    assert "s3cr3t-pa55" not in shown and "no database" in shown
    with pytest.raises(DatasetError) as caught:
        catalog.get("missing")
    assert "credentials 'nope'" in str(caught.value)

    refused = DataCatalog.from_config(
        {"rows": {"type": secret_type, "table": "t", "credentials": "db"}}, wrong
    )
    with pytest.raises(DatasetError) as caught:
        refused.get("rows")
    assert "wr0ng-pa55" not in str(caught.value) and "***" in str(caught.value)
    shown = "".join(traceback.format_exception(caught.value))  # what --verbose prints
    assert "wr0ng-pa55" not in shown


def _versioned(path: Path, *, load: str | None = None, save: str | None = None) -> JSONDataset:
    return JSONDataset(filepath=path, version=Version(load=load, save=save))


def test_versioned_saves_under_the_run_id_and_loads_latest_or_asked(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    _versioned(path, save="2026-01-01T00.00.00.000001Z-aaaaaaaaaa").save({"v": 1})
    _versioned(path, save="2026-01-02T00.00.00.000001Z-bbbbbbbbbb").save({"v": 2})
    assert (path / "2026-01-01T00.00.00.000001Z-aaaaaaaaaa" / "model.json").is_file()
    assert _versioned(path).load() == {"v": 2}
    assert _versioned(path, load="2026-01-01T00.00.00.000001Z-aaaaaaaaaa").load() == {"v": 1}
    assert _versioned(path).versions() == [
        "2026-01-01T00.00.00.000001Z-aaaaaaaaaa",
        "2026-01-02T00.00.00.000001Z-bbbbbbbbbb",
    ]
    with pytest.raises(
        DatasetError, match=r"version 'nope' .* does not exist.*available: 2026-01-01"
    ):
        _versioned(path, load="nope").load()
    with pytest.raises(DatasetError, match="never overwrites"):
        _versioned(path, save="2026-01-02T00.00.00.000001Z-bbbbbbbbbb").save({"v": 3})
    with pytest.raises(DatasetError, match="has no saved version"):
        _versioned(tmp_path / "never.json").load()
    with pytest.raises(DatasetError, match="not a valid version"):
        _versioned(path, load="../../etc").load()


def test_a_run_reads_the_version_it_saved_even_if_a_newer_one_appears(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    mine = _versioned(path, save="2026-01-01T00.00.00.000001Z-aaaaaaaaaa")
    mine.save("mine")
    _versioned(path, save="2026-01-09T00.00.00.000001Z-cccccccccc").save("newer, other run")
    assert mine.load() == "mine"


def test_catalog_load_versions_must_name_versioned_entries(tmp_path: Path) -> None:
    config = {
        "model": {"type": "JSONDataset", "filepath": "m.json", "versioned": True},
        "plain": {"type": "JSONDataset", "filepath": "p.json"},
    }
    DataCatalog.from_config(config, root=tmp_path, save_version="v1").save("model", 1)
    catalog = DataCatalog.from_config(config, root=tmp_path, load_versions={"model": "v1"})
    assert catalog.load("model") == 1
    with pytest.raises(DatasetError, match=r"'plain'.*is not versioned"):
        DataCatalog.from_config(config, root=tmp_path, load_versions={"plain": "v1"})
    with pytest.raises(DatasetError, match="names 'ghost', which is not in the catalog"):
        DataCatalog.from_config(config, root=tmp_path, load_versions={"ghost": "v1"})


def test_writes_are_atomic_no_partial_file_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    dataset = JSONDataset(filepath=path)
    dataset.save({"ok": True})
    with pytest.raises(DatasetError, match="failed to save"):
        dataset.save({"bad": object()})
    assert dataset.load() == {"ok": True}
    assert os.listdir(tmp_path) == ["d.json"]
