"""What dataframe datasets cost: pandas.ParquetDataset against pandas, and spaceflights runs.

Run by hand: ``python benchmarks/bench_datasets.py [--rows 1000000] [--repeat 7]``
(needs ``pip install -e '.[pandas,plotly]'``).

1. Save then load a dataframe of ``--rows`` rows (ints, floats, strings,
   booleans, timestamps) through a catalog entry ``type: pandas.ParquetDataset``
   (`DataCatalog.save` + `DataCatalog.load`: path resolution, the atomic
   rename, the exists checks) against ``DataFrame.to_parquet`` +
   ``pandas.read_parquet`` on the same disk. The two alternate, median of
   ``--repeat`` rounds. Target: the dataset within 5% of pandas (ratio <= 1.05).
2. ``drupe run`` of ``examples/spaceflights`` against ``kedro run`` of the same
   project (same nodes, data, parameters and catalog types, generated here),
   median wall time of ``--runs`` runs each. Kedro is never installed by this
   script: without it, this part says so and is skipped.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SPACEFLIGHTS = ROOT / "examples" / "spaceflights"


def frame(rows: int) -> object:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "id": np.arange(rows, dtype="int64"),
            "price": rng.normal(2000, 300, rows),
            "engines": rng.integers(1, 5, rows),
            "shuttle_type": rng.choice(["Type F5", "Type A1", "Type V2", "Type Z9"], rows),
            "approved": rng.random(rows) > 0.5,
            "checked_at": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 10**6, rows), unit="s"),
        }
    )


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def parquet_round_trip(work: Path, rows: int, repeat: int) -> None:
    import pandas as pd

    from drupe_pipeline import DataCatalog

    data = frame(rows)
    direct_path = work / "direct" / "table.parquet"
    direct_path.parent.mkdir()
    catalog = DataCatalog.from_config(
        {"table": {"type": "pandas.ParquetDataset", "filepath": "dataset/table.parquet"}},
        root=work,
    )

    def with_pandas() -> None:
        data.to_parquet(direct_path)  # type: ignore[attr-defined]
        pd.read_parquet(direct_path)

    def with_dataset() -> None:
        catalog.save("table", data)
        catalog.load("table")

    with_pandas(), with_dataset()  # warm the imports and the page cache
    pandas_times, dataset_times = [], []
    for _ in range(repeat):
        pandas_times.append(timed(with_pandas))
        dataset_times.append(timed(with_dataset))
    print(f"1. save + load of {rows:,} rows as Parquet, {repeat} alternating rounds")
    print("   (the machine's noise shows as the gap between best and median)")
    print(f"   {'':<26} {'best':>9} {'median':>9}")
    rounds = {"pandas directly": pandas_times, "pandas.ParquetDataset": dataset_times}
    for name, times in rounds.items():
        best, median = min(times) * 1000, statistics.median(times) * 1000
        print(f"   {name:<26} {best:6.1f} ms {median:6.1f} ms")
    best_ratio = min(dataset_times) / min(pandas_times)
    median_ratio = statistics.median(dataset_times) / statistics.median(pandas_times)
    verdict = "met" if best_ratio <= 1.05 else "MISSED"
    print(
        f"   dataset / pandas = {best_ratio:.3f} best, {median_ratio:.3f} median "
        f"(target <= 1.05 on the best rounds: {verdict})"
    )


KEDRO_REGISTRY = """
from kedro.pipeline import Pipeline, node, pipeline

from spaceflights.pipelines.data_processing.nodes import (
    create_model_input_table,
    preprocess_companies,
    preprocess_shuttles,
)
from spaceflights.pipelines.data_science.nodes import evaluate_model, split_data, train_model
from spaceflights.pipelines.reporting.nodes import compare_passenger_capacity


def register_pipelines():
    processing = pipeline(
        [
            node(preprocess_companies, "companies_raw", "preprocessed_companies",
                 name="preprocess_companies"),
            node(preprocess_shuttles, "shuttles_raw", "preprocessed_shuttles",
                 name="preprocess_shuttles"),
            node(create_model_input_table,
                 ["preprocessed_shuttles", "preprocessed_companies", "reviews_raw"],
                 "model_input_table", name="create_model_input_table"),
        ],
        namespace="data_processing",
        inputs=["companies_raw", "shuttles_raw", "reviews_raw"],
        outputs=["preprocessed_companies", "preprocessed_shuttles", "model_input_table"],
    )
    template = Pipeline(
        [
            node(split_data, ["model_input_table", "params:model_options"],
                 ["X_train", "X_test", "y_train", "y_test"], name="split_data"),
            node(train_model, ["X_train", "y_train"], "regressor", name="train_model"),
            node(evaluate_model, ["regressor", "X_test", "y_test"], "metrics",
                 name="evaluate_model"),
        ]
    )
    science = sum(
        (
            pipeline(
                template,
                namespace=namespace,
                inputs="model_input_table",
                parameters={"params:model_options": f"params:{namespace}.model_options"},
            )
            for namespace in ("active_modelling", "candidate_modelling")
        ),
        Pipeline([]),
    )
    reporting = pipeline(
        [node(compare_passenger_capacity, "preprocessed_shuttles",
              "shuttle_passenger_capacity_plot", name="compare_passenger_capacity")],
        namespace="reporting",
        inputs="preprocessed_shuttles",
        outputs="shuttle_passenger_capacity_plot",
    )
    return {"__default__": processing + science + reporting}
"""


def kedro_spaceflights(where: Path) -> Path | None:
    """The same project as a Kedro project: same data, parameters, node functions, types."""
    if (
        importlib.util.find_spec("kedro") is None
        or importlib.util.find_spec("kedro_datasets") is None
    ):
        return None
    import kedro  # type: ignore[import-not-found]

    root = where / "spaceflights_kedro"
    package = root / "src" / "spaceflights_kedro"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text("")
    (package / "pipeline_registry.py").write_text(KEDRO_REGISTRY)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "spaceflights_kedro"\nversion = "0.1.0"\n\n[tool.kedro]\n'
        'package_name = "spaceflights_kedro"\nproject_name = "spaceflights_kedro"\n'
        f'kedro_init_version = "{kedro.__version__}"\nsource_dir = "src"\n'
    )
    shutil.copytree(SPACEFLIGHTS / "data" / "01_raw", root / "data" / "01_raw")
    (root / "conf" / "base").mkdir(parents=True)
    (root / "conf" / "local").mkdir()
    shutil.copy(SPACEFLIGHTS / "conf/base/parameters.yml", root / "conf/base/parameters.yml")
    catalog = yaml.safe_load((SPACEFLIGHTS / "conf/base/catalog.yml").read_text())
    for entry in catalog.values():
        entry.pop("allow_load", None)  # drupe's opt-in; Kedro's pickle loads unasked
    (root / "conf/base/catalog.yml").write_text(yaml.safe_dump(catalog))
    return root


def median_wall(argv: list[str], cwd: Path, runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs + 1):  # the first run warms caches and is not counted
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def spaceflights_runs(work: Path, runs: int) -> None:
    print(f"2. spaceflights, whole process, median of {runs} runs")
    drupe_root = work / "spaceflights"
    shutil.copytree(SPACEFLIGHTS, drupe_root, ignore=shutil.ignore_patterns(".drupe", "0[2-9]_*"))
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    drupe_seconds = median_wall([sys.executable, "-m", "drupe", "run"], drupe_root, runs, env)
    print(f"   drupe run                 {drupe_seconds * 1000:8.1f} ms")
    kedro_root = kedro_spaceflights(work)
    kedro = shutil.which("kedro")
    if kedro_root is None or kedro is None:
        print("   kedro (with kedro-datasets) is not importable: no kedro comparison")
        print("   (this script never installs it: pip install kedro-datasets to compare)")
        return
    env["PYTHONPATH"] = os.pathsep.join([str(SPACEFLIGHTS / "src"), env.get("PYTHONPATH", "")])
    kedro_seconds = median_wall([kedro, "run"], kedro_root, runs, env)
    print(f"   kedro run                 {kedro_seconds * 1000:8.1f} ms")
    print(f"   kedro run / drupe run = {kedro_seconds / drupe_seconds:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        parquet_round_trip(work, args.rows, args.repeat)
        spaceflights_runs(work, args.runs)


if __name__ == "__main__":
    main()
