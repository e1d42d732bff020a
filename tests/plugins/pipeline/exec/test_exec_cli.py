"""Every ``drupe run`` flag end to end: the real ``drupe`` command, all bundled
plugins, on temporary copies of the example projects.

The command runs in a subprocess where the test checks what a process
shows (its exit code, its stderr, a terminal) and for every flag that is
not about selecting nodes. Commands whose test checks only what was
selected, loaded or listed run in this process (``drupe_in_process``): a
fresh interpreter spends most of a spaceflights run importing pandas,
scikit-learn and plotly. ``docs/runners.md`` runs the selection flags and
``--only-missing-outputs`` in real processes too.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

InProcess = Callable[..., tuple[Result, list[str]]]

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
DRUPE = [sys.executable, "-m", "drupe"]


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(
        EXAMPLES / name,
        target,
        ignore=shutil.ignore_patterns(".drupe", "__pycache__", "0[2-9]_*"),
    )
    return target


def drupe(cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DRUPE_MP_CONTEXT", None)
    done = subprocess.run(
        [*DRUPE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def ran(done: subprocess.CompletedProcess[str]) -> list[str]:
    return re.findall(r"running node (\S+)", done.stderr)


def ran_in_process(done: tuple[Result, list[str]]) -> list[str]:
    """The nodes a `drupe_in_process` command ran, once it succeeded."""
    result, logged = done
    assert result.exit_code == 0, (result.output, result.exception)
    return [line.split()[-1] for line in logged if line.startswith("running node ")]


@pytest.fixture(scope="module")
def spaceflights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy, fully run once (in a subprocess): later tests select parts of it."""
    root = _copy("spaceflights", tmp_path_factory.mktemp("cli"))
    drupe(root, "run", "--run-id", "2026-01-01T00.00.00.000001Z-0000000001")
    return root


ALL_NODES = {
    "data_processing.preprocess_companies",
    "data_processing.preprocess_shuttles",
    "data_processing.create_model_input_table",
    "reporting.compare_passenger_capacity",
    *(
        f"{ns}.{name}"
        for ns in ("active_modelling", "candidate_modelling")
        for name in ("split_data", "train_model", "evaluate_model")
    ),
}


def test_hello_runs_and_returns_its_free_output(tmp_path: Path) -> None:
    done = drupe(_copy("hello", tmp_path), "run")
    assert ran(done) == ["greet", "shout", "measure"]
    assert "output stats = {'characters': 15, 'words': 2}" in done.stderr


def test_full_run_writes_versioned_outputs_under_the_run_id(spaceflights: Path) -> None:
    run_id = "2026-01-01T00.00.00.000001Z-0000000001"
    metrics = spaceflights / "data/08_reporting/active_modelling/metrics.json"
    assert json.loads((metrics / run_id / "metrics.json").read_text())["r2_score"] > 0.9
    model = spaceflights / "data/06_models/candidate_modelling/regressor.pickle"
    assert (model / run_id / "regressor.pickle").is_file()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--pipelines", "data_processing"], {n for n in ALL_NODES if "data_processing" in n}),
        (
            ["--tags", "preprocessing,evaluation"],
            {
                "data_processing.preprocess_companies",
                "data_processing.preprocess_shuttles",
                "active_modelling.evaluate_model",
                "candidate_modelling.evaluate_model",
            },
        ),
        (["--nodes", "active_modelling.train_model"], {"active_modelling.train_model"}),
        (
            ["--from-nodes", "active_modelling.train_model"],
            {
                "active_modelling.train_model",
                "active_modelling.evaluate_model",
            },
        ),
        (
            ["--to-nodes", "data_processing.create_model_input_table"],
            {n for n in ALL_NODES if "data_processing" in n},
        ),
        (
            ["--from-inputs", "model_input_table", "--namespaces", "candidate_modelling"],
            {f"candidate_modelling.{n}" for n in ("split_data", "train_model", "evaluate_model")},
        ),
        (["--to-outputs", "preprocessed_shuttles"], {"data_processing.preprocess_shuttles"}),
        (
            ["--namespace", "active_modelling", "--tags", "training"],
            {"active_modelling.train_model"},
        ),
    ],
    ids=[
        "pipelines",
        "tags",
        "nodes",
        "from-nodes",
        "to-nodes",
        "from-inputs",
        "to-outputs",
        "namespaces",
    ],
)
def test_selection_flags(
    spaceflights: Path, flags: list[str], expected: set[str], drupe_in_process: InProcess
) -> None:
    done = drupe_in_process(spaceflights, "run", *flags)
    assert set(ran_in_process(done)) == expected


def test_load_versions_reads_the_version_asked_for(
    spaceflights: Path, drupe_in_process: InProcess
) -> None:
    first = "2026-01-01T00.00.00.000001Z-0000000001"
    second = "2999-01-01T00.00.00.000001Z-0000000002"  # newer than any real run
    trained = ["--nodes", "active_modelling.train_model", "--run-id", second]
    assert ran_in_process(drupe_in_process(spaceflights, "run", *trained)) == [
        "active_modelling.train_model"
    ]
    broken = spaceflights / "data/06_models/active_modelling/regressor.pickle" / second
    (broken / "regressor.pickle").write_bytes(b"not a pickle")
    # the newest version (broken) is what a plain run would load (a real process: its exit code)
    failed = drupe(spaceflights, "run", "--nodes", "active_modelling.evaluate_model", ok=False)
    assert failed.returncode == 1
    assert "active_modelling.evaluate_model" in failed.stderr
    assert "regressor.pickle" in failed.stderr and second in failed.stderr
    # ... and --load-versions picks the good one
    done = drupe_in_process(
        spaceflights,
        "run",
        "--nodes",
        "active_modelling.evaluate_model",
        "--load-versions",
        f"active_modelling.regressor:{first}",
    )
    assert ran_in_process(done) == ["active_modelling.evaluate_model"]


def test_bad_load_versions_exit_2(tmp_path: Path) -> None:
    done = drupe(tmp_path, "run", "--load-versions", "model", ok=False)
    assert done.returncode == 2 and "dataset:version" in done.stderr


FANOUT_NODES = {"make_chunks", "digest_0", "digest_1", "digest_2", "digest_3", "combine"}


@pytest.mark.parametrize("runner", ["thread", "parallel", "drupe_pipeline.ThreadRunner"])
def test_runner_flag(tmp_path: Path, runner: str) -> None:
    # examples/dask: four independent branches between a split and a join, made
    # light (rounds=1000); docs/runners.md runs these flags on spaceflights too.
    root = _copy("dask", tmp_path)
    done = drupe(root, "run", "--runner", runner, "--params", "rounds=1000")
    assert set(ran(done)) == FANOUT_NODES
    assert len(list((root / "data/report.json").iterdir())) == 1


def test_params_env_and_conf_source(tmp_path: Path) -> None:
    root = _copy("hello", tmp_path)
    with (root / "conf/base/catalog.yml").open("a") as catalog:
        catalog.write("stats:\n  type: JSONDataset\n  filepath: data/stats.json\n")

    def characters(*flags: str) -> int:
        drupe(root, "run", *flags)
        return int(json.loads((root / "data/stats.json").read_text())["characters"])

    assert characters() == len("HELLO, DRUPE!!!")
    assert characters("--params", "name=world,times=1") == len("HELLO, WORLD!")
    (root / "conf/shouty").mkdir()
    (root / "conf/shouty/parameters.yml").write_text("greeting: Hey\n")
    assert characters("--env", "shouty", "--params", "times=0") == len("HEY, DRUPE")
    other = tmp_path / "other_conf"
    shutil.copytree(root / "conf", other)
    (other / "base/parameters.yml").write_text("greeting: Yo\nname: x\ntimes: 2\n")
    assert characters("--conf-source", str(other)) == len("YO, X!!")


def test_only_missing_outputs_flag(tmp_path: Path, drupe_in_process: InProcess) -> None:
    root = _copy("spaceflights", tmp_path)
    drupe_in_process(root, "run", "--pipelines", "data_processing")
    done = drupe_in_process(root, "run", "--pipelines", "data_processing", "--only-missing-outputs")
    assert ran_in_process(done) == []
    assert "skipping node data_processing.preprocess_companies" in "\n".join(done[1])
    (root / "data/02_intermediate/preprocessed_shuttles.parquet").unlink()
    done = drupe_in_process(root, "run", "--pipelines", "data_processing", "--only-missing-outputs")
    assert ran_in_process(done) == [
        "data_processing.preprocess_shuttles",
        "data_processing.create_model_input_table",
    ]


def test_unknown_pipeline_and_missing_version_fail_as_one_line(spaceflights: Path) -> None:
    done = drupe(spaceflights, "run", "--pipelines", "data_procesing", ok=False)
    assert done.returncode == 2  # a bad selection is bad usage
    assert "Did you mean 'data_processing'" in done.stderr
    assert "Traceback" not in done.stderr
    done = drupe(
        spaceflights,
        "run",
        "--nodes",
        "active_modelling.evaluate_model",
        "--load-versions",
        "active_modelling.regressor:2000-01-01",
        ok=False,
    )
    assert "version '2000-01-01'" in done.stderr and "Traceback" not in done.stderr


def test_pipelines_command_lists_names_and_node_counts(
    spaceflights: Path, drupe_in_process: InProcess
) -> None:
    done = drupe(spaceflights, "pipelines")
    assert re.search(r"__default__\s+10 nodes", done.stdout)
    assert re.search(r"data_processing\s+3 nodes", done.stdout)
    as_json, _ = drupe_in_process(spaceflights, "pipelines", "--json")
    assert as_json.exit_code == 0, (as_json.output, as_json.exception)
    listed = json.loads(as_json.stdout)
    counts = {row["name"]: row["nodes"] for row in listed["pipelines"]}
    assert counts == {"__default__": 10, "data_processing": 3, "data_science": 6, "reporting": 1}
    science = next(row for row in listed["pipelines"] if row["name"] == "data_science")
    assert science["namespaces"] == ["active_modelling", "candidate_modelling"]


def test_progress_on_a_terminal_plain_log_lines_when_piped(tmp_path: Path) -> None:
    root = _copy("hello", tmp_path)
    piped = drupe(root, "run")
    assert "INFO drupe_pipeline: running node greet" in piped.stderr
    assert "\r" not in piped.stderr

    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [*DRUPE, "run"],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=120,
        )
        os.close(terminal)
        terminal = -1
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if terminal >= 0:
            os.close(terminal)
        os.close(controller)
    shown = b"".join(chunks).decode()
    assert done.returncode == 0
    assert "[1/3] running: shout" in shown
    assert "[3/3] done" in shown
    assert "INFO drupe_pipeline" not in shown
