"""Real `drupe run`s of a small project whose data lives on a real S3-compatible server
(moto), through drupe's datasets and a kedro-datasets class: versions, --load-versions,
--only-missing-outputs, dataset hooks, credentials from conf/local/credentials.yml kept
out of the session store, and the one-line error of a missing extra.

The ``--only-missing-outputs`` and ``--load-versions`` runs, which check
only what is skipped or loaded, run the real command in this process
(``drupe_in_process``), as a service would run again and again: an object
deleted on S3 in between must still be noticed. The others are subprocesses:
a fresh interpreter spends a second importing pandas, s3fs and kedro-datasets.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

DRUPE = [sys.executable, "-m", "drupe"]
R1 = "2026-01-01T00.00.00.000001Z-0000000001"
R2 = "2026-01-02T00.00.00.000001Z-0000000002"

NODES = """
def summarise(shuttles, factor):
    table = shuttles.groupby("shuttle_type", as_index=False)["price"].mean()
    table["price"] = table["price"] * factor
    return table


def report(summary):
    return summary.sort_values("price", ascending=False).reset_index(drop=True)


def keep(summary):
    return summary
"""

REGISTRY = """
from drupe_pipeline import Pipeline, node

from fleet.nodes import keep, report, summarise


def register_pipelines():
    fleet = Pipeline(
        [
            node(summarise, ["shuttles", "params:factor"], "summary", name="summarise"),
            node(report, "summary", "report", name="report"),
            node(keep, "summary", "kedro_copy", name="keep"),
        ]
    )
    return {"__default__": fleet}
"""

SETTINGS = """
import os

import drupe


class RecordSaves:
    @drupe.hookimpl
    def after_dataset_saved(self, dataset_name):
        with open(os.path.join(os.path.dirname(__file__), "saved.log"), "a") as handle:
            handle.write(dataset_name + "\\n")


HOOKS = (RecordSaves(),)
"""


def write_project(root: Path, bucket: str, credentials: dict[str, Any]) -> None:
    package = root / "src" / "fleet"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "nodes.py").write_text(NODES)
    (package / "pipeline_registry.py").write_text(REGISTRY)
    (package / "settings.py").write_text(SETTINGS)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "fleet"\nversion = "0.1"\n\n[tool.drupe]\npackage_name = "fleet"\n'
    )
    for folder in ("conf/base", "conf/local", "data/01_raw"):
        (root / folder).mkdir(parents=True)
    pd.DataFrame({"shuttle_type": ["F5", "F5", "A1"], "price": [100.0, 300.0, 50.0]}).to_csv(
        root / "data/01_raw/shuttles.csv", index=False
    )
    catalog = {
        "shuttles": {"type": "pandas.CSVDataset", "filepath": "data/01_raw/shuttles.csv"},
        "summary": {
            "type": "pandas.ParquetDataset",
            "filepath": f"s3://{bucket}/primary/summary.parquet",
            "credentials": "object_store",
            "versioned": True,
        },
        "report": {
            "type": "pandas.CSVDataset",
            "filepath": f"s3://{bucket}/reporting/report.csv",
            "credentials": "object_store",
        },
        "kedro_copy": {
            "type": "kedro_datasets.pandas.CSVDataset",
            "filepath": f"s3://{bucket}/intermediate/summary.csv",
            "credentials": "object_store",
            "versioned": True,
        },
    }
    (root / "conf/base/catalog.yml").write_text(yaml.safe_dump(catalog))
    (root / "conf/base/parameters.yml").write_text("factor: 1\n")
    (root / "conf/local/credentials.yml").write_text(yaml.safe_dump({"object_store": credentials}))


def drupe(root: Path, *args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*DRUPE, *args],
        cwd=root,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def ran(done: subprocess.CompletedProcess[str]) -> list[str]:
    return re.findall(r"running node (\S+)", done.stderr)


@pytest.fixture
def fleet(tmp_path: Path, bucket: str, s3_credentials: dict[str, Any]) -> Path:
    root = tmp_path / "fleet"
    write_project(root, bucket, s3_credentials)
    return root


@pytest.mark.slow(seconds=15)
def test_runs_on_s3_with_versions_and_only_missing_outputs(
    fleet: Path, bucket: str, s3_credentials: dict[str, Any], drupe_in_process: Any
) -> None:
    import s3fs

    s3 = s3fs.S3FileSystem(**s3_credentials)
    first = drupe(fleet, "run", "--run-id", R1)
    assert sorted(ran(first)) == ["keep", "report", "summarise"]
    assert s3.isfile(f"{bucket}/primary/summary.parquet/{R1}/summary.parquet")
    assert s3.isfile(f"{bucket}/intermediate/summary.csv/{R1}/summary.csv")
    # dataset hooks fire for drupe's datasets and for the Kedro class alike
    saved = (fleet / "src/fleet/saved.log").read_text().split()
    assert sorted(saved) == ["kedro_copy", "report", "summary"]

    # everything exists: nothing runs
    again, logged = drupe_in_process(fleet, "run", "--only-missing-outputs")
    assert again.exit_code == 0, again.output
    assert not [line for line in logged if line.startswith("running node")]
    assert "skipping node report" in "\n".join(logged)
    # a missing object on S3 is noticed
    s3.rm(f"{bucket}/reporting/report.csv")
    again, logged = drupe_in_process(fleet, "run", "--only-missing-outputs")
    assert again.exit_code == 0, again.output
    assert [line for line in logged if line.startswith("running node")] == ["running node report"]

    # a second version (worker processes reach S3 and Kedro's class too), then
    # --load-versions picks the first one back
    parallel = drupe(fleet, "run", "--run-id", R2, "--params", "factor=10", "--runner", "parallel")
    assert sorted(ran(parallel)) == ["keep", "report", "summarise"]
    with s3.open(f"{bucket}/reporting/report.csv") as handle:
        assert pd.read_csv(handle)["price"].tolist() == [2000.0, 500.0]
    loaded, _ = drupe_in_process(
        fleet, "run", "--nodes", "report", "--load-versions", f"summary:{R1}"
    )
    assert loaded.exit_code == 0, loaded.output
    with s3.open(f"{bucket}/reporting/report.csv") as handle:
        assert pd.read_csv(handle)["price"].tolist() == [200.0, 50.0]
    kedro_versions = sorted(
        p.rsplit("/", 1)[-1] for p in s3.ls(f"{bucket}/intermediate/summary.csv")
    )
    assert kedro_versions == [R1, R2]

    # the credentials never reach the session store, nor any output
    secret = s3_credentials["secret"]
    stored = b"".join(p.read_bytes() for p in (fleet / ".drupe").rglob("*") if p.is_file())
    assert stored  # the store was written ...
    assert secret.encode() not in stored  # ... and holds no secret
    listed = drupe(fleet, "sessions", "list", "--json")
    assert secret not in listed.stdout


@pytest.mark.slow(seconds=3)
def test_a_wrong_secret_fails_as_one_line_without_the_secret(
    fleet: Path, s3_credentials: dict[str, Any]
) -> None:
    broken = {**s3_credentials, "client_kwargs": {"endpoint_url": "http://127.0.0.1:9"}}
    (fleet / "conf/local/credentials.yml").write_text(yaml.safe_dump({"object_store": broken}))
    done = drupe(fleet, "run", "--nodes", "summarise", ok=False, AWS_MAX_ATTEMPTS="1")
    assert done.returncode != 0
    assert "summary" in done.stderr and s3_credentials["secret"] not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_extra_is_one_line_naming_it(fleet: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "no_pandas"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        textwrap.dedent(
            """
            import sys


            class NoPandas:
                def find_spec(self, name, path=None, target=None):
                    if name == "pandas" or name.startswith("pandas."):
                        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                    return None


            sys.meta_path.insert(0, NoPandas())
            """
        )
    )
    done = drupe(fleet, "run", ok=False, PYTHONPATH=str(blocker))
    assert done.returncode != 0
    assert "pip install 'drupe[pandas]'" in done.stderr
    assert "catalog entry 'shuttles'" in done.stderr
    assert "running node" not in done.stderr and "Traceback" not in done.stderr
