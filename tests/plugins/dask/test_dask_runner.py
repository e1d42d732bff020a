"""The dask runner on a real LocalCluster of 2 worker processes: what a user relies on.

Runs go through ``Session.run(runner="dask")`` exactly as from ``drupe run``;
the shared cluster is reached through ``DRUPE_DASK_ADDRESS``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import drupe
from drupe_dask import DaskRunner
from drupe_pipeline import NodeError

Timings = Callable[[Path, str], dict[str, Any]]


def _run(root: Path, **kwargs: Any) -> tuple[str, dict[str, Any]]:
    params = kwargs.pop("runtime_params", None)
    with drupe.Session.create(project_path=root, runtime_params=params) as session:
        outputs = session.run(runner=kwargs.pop("runner", "dask"), **kwargs)
        run_id = _last_run(root)["run_id"]
    return run_id, outputs


def _last_run(root: Path) -> dict[str, Any]:
    with sqlite3.connect(root / ".drupe" / "sessions.db") as conn:
        row = conn.execute("SELECT record FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
    record: dict[str, Any] = json.loads(row[0])
    return record


def test_diamond_branches_run_at_once_on_workers_and_timings_come_back(
    dask_project: Path, on_cluster: str, timings: Timings
) -> None:
    run_id, outputs = _run(dask_project, pipeline_names=["diamond"])

    # the free output comes back; persisted ones were saved by the workers
    assert outputs == {}
    assert json.loads((dask_project / "data" / "joined.json").read_text()) == {"sum": 4 + 30}

    table = timings(dask_project, run_id)
    nodes = table["nodes"]
    assert set(nodes) == {"source", "left", "right", "join"}, "every node's timing came back"
    assert table["driver_pid"] not in {row["pid"] for row in nodes.values()}, "hooks ran on workers"
    left, right = nodes["left"], nodes["right"]
    assert left["start"] < right["end"] and right["start"] < left["end"], "branches overlapped"
    assert nodes["join"]["start"] >= max(left["end"], right["end"]), "join waited for both"
    assert nodes["source"]["end"] <= min(left["start"], right["start"])

    record = _last_run(dask_project)
    assert record["status"] == "succeeded"
    assert record["runner"]["name"] == "dask"
    assert record["runner"]["scheduler"] == on_cluster
    assert record["runner"]["workers"] == 2


def test_a_failing_node_stops_the_run_naming_node_error_and_worker_traceback(
    dask_project: Path, on_cluster: str, timings: Timings
) -> None:
    with pytest.raises(NodeError) as caught:
        _run(dask_project, pipeline_names=["failing"])
    error = caught.value
    assert "node 'explode'" in str(error)
    assert "ValueError: cannot handle 3" in str(error)
    cause = error.__cause__
    assert isinstance(cause, ValueError)
    frames = "".join(traceback.format_tb(cause.__traceback__))
    assert "in explode" in frames, "the worker's traceback is kept"

    assert (dask_project / "data" / "saved.json").exists(), "output saved before the failure"
    record = _last_run(dask_project)
    assert record["status"] == "failed"
    assert "explode" in record["error"]["message"]
    assert "in explode" in record["error"]["traceback"]
    assert "after_explode" not in timings(dask_project, record["run_id"])["nodes"]


def test_selection_flags_pick_the_same_nodes_as_with_other_runners(
    dask_project: Path, on_cluster: str, timings: Timings
) -> None:
    run_id, _ = _run(dask_project, pipeline_names=["diamond"], tags=["head"])
    assert set(timings(dask_project, run_id)["nodes"]) == {"source"}

    run_id, outputs = _run(dask_project, pipeline_names=["versioned"], to_outputs=["scores"])
    assert set(timings(dask_project, run_id)["nodes"]) == {"write_scores"}
    assert outputs == {}

    run_id, outputs = _run(dask_project, pipeline_names=["versioned"], from_inputs=["scores"])
    assert set(timings(dask_project, run_id)["nodes"]) == {"read_scores"}
    assert outputs == {"read_back": 6}

    record = _last_run(dask_project)
    assert record["request"]["selection"]["runner"] == "dask"
    assert record["request"]["selection"]["from_inputs"] == ["scores"]


def test_only_missing_outputs_skips_nodes_whose_files_exist(
    dask_project: Path, on_cluster: str, timings: Timings
) -> None:
    run_id, _ = _run(dask_project, pipeline_names=["failing"], to_nodes=["save_first"])
    assert set(timings(dask_project, run_id)["nodes"]) == {"save_first"}
    run_id, _ = _run(
        dask_project, pipeline_names=["failing"], to_nodes=["save_first"], only_missing_outputs=True
    )
    assert timings(dask_project, run_id)["nodes"] == {}


def test_versioned_file_dataset_round_trip(dask_project: Path, on_cluster: str) -> None:
    first, outputs = _run(dask_project, pipeline_names=["versioned"])
    assert outputs == {"read_back": 6}
    saved = dask_project / "data" / "scores.json" / first / "scores.json"
    assert json.loads(saved.read_text()) == 6, "saved by a worker under the run id"

    second, outputs = _run(dask_project, pipeline_names=["versioned"], runtime_params={"factor": 7})
    assert outputs == {"read_back": 21}
    assert (dask_project / "data" / "scores.json" / second / "scores.json").exists()

    _, outputs = _run(
        dask_project,
        pipeline_names=["versioned"],
        node_names=["read_scores"],
        load_versions={"scores": first},
    )
    assert outputs == {"read_back": 6}, "--load-versions reads the older version on a worker"


def test_a_runner_object_and_explicit_address_work_without_the_environment(
    dask_project: Path, cluster_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRUPE_DASK_ADDRESS", raising=False)
    runner = DaskRunner(cluster_address, timeout=10)
    _, outputs = _run(dask_project, pipeline_names=["versioned"], runner=runner)
    assert outputs == {"read_back": 6}
    assert _last_run(dask_project)["runner"]["scheduler"] == cluster_address


def test_unreachable_scheduler_fails_fast_naming_the_address(
    dask_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(drupe.RunError, match=f"cannot reach the Dask scheduler at {address}"):
        _run(dask_project, runner=DaskRunner(address, timeout=2))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"adress": "tcp://127.0.0.1:1"}, "unknown dask runner option"),
        ({"address": "not an address"}, "is not like tcp://host:8786"),
        ({"workers": "two"}, "workers='two' is not a whole number"),
        ({"timeout": "-1"}, "timeout='-1' is not a number of seconds"),
    ],
)
def test_bad_runner_options_are_usage_errors_naming_the_option(
    options: dict[str, str], message: str
) -> None:
    from drupe_dask.options import DaskOptions

    with pytest.raises(drupe.UsageError, match=message):
        DaskOptions.resolve(options, None, environ={})


def test_options_come_from_run_then_environment_then_settings() -> None:
    from drupe_dask.options import DaskOptions

    class Settings:
        DASK_RUNNER_ARGS = {"address": "tcp://10.0.0.1:8786", "workers": 3}

    from_settings = DaskOptions.resolve({}, Settings(), environ={})
    assert (from_settings.address, from_settings.workers) == ("tcp://10.0.0.1:8786", 3)
    from_env = DaskOptions.resolve({}, Settings(), environ={"DRUPE_DASK_ADDRESS": "h:9"})
    assert from_env.address == "tcp://h:9"
    given = DaskOptions.resolve({"address": ""}, Settings(), environ={"DRUPE_DASK_ADDRESS": "h:9"})
    assert given.address is None, "an empty address option asks for a local cluster"


def test_nodes_run_in_worker_processes_not_the_session_process(
    dask_project: Path, on_cluster: str, timings: Timings
) -> None:
    run_id, _ = _run(dask_project, pipeline_names=["diamond"], tags=["head"])
    table = timings(dask_project, run_id)
    assert table["driver_pid"] == os.getpid()
    assert table["nodes"]["source"]["pid"] != os.getpid()


def test_settings_make_dask_the_default_runner_with_its_address(
    dask_project: Path, cluster_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRUPE_DASK_ADDRESS", raising=False)
    settings = dask_project / "src" / "dask_demo" / "settings.py"
    settings.write_text(
        settings.read_text()
        + f'\nRUNNER = "dask"\nDASK_RUNNER_ARGS = {{"address": "{cluster_address}"}}\n'
    )
    with drupe.Session.create(project_path=dask_project) as session:
        assert session.run(pipeline_names=["versioned"]) == {"read_back": 6}
    record = _last_run(dask_project)
    assert record["runner"]["name"] == "dask"
    assert record["runner"]["scheduler"] == cluster_address


def test_asking_for_dask_with_the_plugin_disabled_says_where_runners_come_from(
    dask_project: Path,
) -> None:
    with (
        drupe.Session.create(
            project_path=dask_project, save_on_close=False, disable_plugins=["dask"]
        ) as session,
        pytest.raises(drupe.UsageError, match=r"unknown runner 'dask'.*drupe\[dask\]"),
    ):
        session.run(runner="dask")


def test_a_plugin_cannot_take_a_bundled_runner_name(dask_project: Path) -> None:
    class Impostor:
        @drupe.hookimpl(optionalhook=True)
        def pipeline_runners(self) -> dict[str, Any]:
            return {"thread": object}

    with (
        drupe.Session.create(
            project_path=dask_project, save_on_close=False, plugins=[Impostor()]
        ) as session,
        pytest.raises(drupe.PluginError, match="bundled runner's name"),
    ):
        session.run(runner="dask")


def test_memory_data_moves_between_workers_never_through_the_session_process(
    dask_project: Path, on_cluster: str, tmp_path: Path
) -> None:
    log = tmp_path / "unpickled-in.txt"
    log.write_text("")
    _, outputs = _run(
        dask_project, pipeline_names=["tracing"], runtime_params={"trace_log": str(log)}
    )
    assert outputs == {"traced_again": {"traced": True}}, "only the free output comes back"
    assert json.loads((dask_project / "data" / "joined.json").read_text()) == {"traced": True}
    unpickled_in = {int(pid) for pid in log.read_text().split()}
    assert unpickled_in, "two branches read it on two workers: it moved between them"
    assert os.getpid() not in unpickled_in, "the memory dataset passed through the driver"
