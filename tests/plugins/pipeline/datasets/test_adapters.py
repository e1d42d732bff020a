"""Datasets drupe did not write: kedro-datasets classes and duck-typed classes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from drupe_pipeline import DataCatalog, DatasetError

DUCK = '''
import json

from drupe_pipeline import FileDataset


class Notes:
    """Not a drupe dataset, but it has load and save."""

    def __init__(self, filepath):
        self.filepath = filepath

    def load(self):
        with open(self.filepath) as handle:
            return json.load(handle)

    def save(self, data):
        with open(self.filepath, "w") as handle:
            json.dump(data, handle)


class NeedsAcme(FileDataset):
    requires = (("acme_no_such_package", "acme-datasets[fast]"),)


class LoadOnly:
    def __init__(self, **kwargs):
        pass

    def load(self):
        return 1
'''


@pytest.fixture
def duck_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "duck_datasets_mod.py").write_text(DUCK, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "duck_datasets_mod"


def test_a_duck_typed_class_is_a_dataset(tmp_path: Path, duck_module: str) -> None:
    config = {"notes": {"type": f"{duck_module}.Notes", "filepath": "notes.json"}}
    catalog = DataCatalog.from_config(config, root=tmp_path)
    catalog.save("notes", {"a": 1})
    assert catalog.load("notes") == {"a": 1}
    assert catalog.exists("notes") is False  # it cannot tell: no exists()


def test_a_class_without_save_is_refused_naming_what_is_missing(
    tmp_path: Path, duck_module: str
) -> None:
    config = {"half": {"type": f"{duck_module}.LoadOnly"}}
    with pytest.raises(DatasetError, match=r"'half'.*it has no save\(\) method"):
        DataCatalog.from_config(config, root=tmp_path).get("half")


def test_a_duck_typed_class_cannot_be_versioned(tmp_path: Path, duck_module: str) -> None:
    config = {"n": {"type": f"{duck_module}.Notes", "filepath": "n.json", "versioned": True}}
    with pytest.raises(DatasetError, match="cannot be versioned"):
        DataCatalog.from_config(config, root=tmp_path, save_version="v").get("n")


def test_a_kedro_dataset_through_the_adapter_is_versioned_like_drupes(tmp_path: Path) -> None:
    config = {
        "table": {
            "type": "kedro_datasets.pandas.CSVDataset",
            "filepath": "data/table.csv",
            "save_args": {"index": False},
            "versioned": True,
        },
        "generic": {"type": "pandas.GenericDataset", "filepath": "g.csv", "file_format": "csv"},
    }
    first = pd.DataFrame({"a": [1, 2]})
    DataCatalog.from_config(config, root=tmp_path, save_version="2026-01-01T00.00.00.000Z").save(
        "table", first
    )
    second = DataCatalog.from_config(config, root=tmp_path, save_version="2026-01-02T00.00.00.000Z")
    second.save("table", first * 10)
    assert second.load("table")["a"].tolist() == [10, 20]
    asked = DataCatalog.from_config(
        config, root=tmp_path, load_versions={"table": "2026-01-01T00.00.00.000Z"}
    )
    assert asked.load("table")["a"].tolist() == [1, 2]
    assert (tmp_path / "data/table.csv/2026-01-01T00.00.00.000Z/table.csv").is_file()
    # a short name drupe does not bundle is looked up in kedro_datasets
    catalog = DataCatalog.from_config(config, root=tmp_path)
    assert not catalog.exists("generic")
    catalog.save("generic", first)
    assert catalog.exists("generic") and catalog.load("generic")["a"].tolist() == [1, 2]


def test_a_project_without_kedro_datasets_never_imports_kedro(tmp_path: Path) -> None:
    script = f"""
import sys
from pathlib import Path
import pandas as pd
from drupe_pipeline import DataCatalog

catalog = DataCatalog.from_config(
    {{
        "a": {{"type": "pandas.ParquetDataset", "filepath": "a.parquet"}},
        "b": {{"type": "PickleDataset", "filepath": "b.pkl", "backend": "joblib"}},
    }},
    root=Path({str(tmp_path)!r}),
)
catalog.save("a", pd.DataFrame({{"x": [1]}}))
catalog.save("b", 1)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("kedro", "kedro_datasets")))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_third_party_dataset_names_its_own_extra_when_a_package_is_missing(
    tmp_path: Path, duck_module: str
) -> None:
    config = {"fast": {"type": f"{duck_module}.NeedsAcme", "filepath": "f.bin"}}
    with pytest.raises(DatasetError) as raised:
        DataCatalog.from_config(config, root=tmp_path).get("fast")
    assert str(raised.value) == (
        f"catalog entry 'fast': type {duck_module}.NeedsAcme needs the Python package "
        f"'acme_no_such_package', which is not installed: pip install 'acme-datasets[fast]'"
    )
