"""Each runner, under each start method that applies, on a real project.

The project's hooks (``settings.HOOKS``) log every call with the process id,
so a parallel run proves that project code imported and hooks fired in the
worker processes, whatever the start method.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import drupe
from drupe_pipeline import (
    NodeError,
    ParallelRunner,
    SequentialRunner,
    ThreadRunner,
)
from drupe_pipeline.runners import resolve_runner

METHODS = [
    m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
]

RUNNERS: list[Any] = [
    pytest.param("sequential", None, id="sequential"),
    pytest.param("thread", None, id="thread"),
    *[pytest.param("parallel", method, id=f"parallel-{method}") for method in METHODS],
]


def _run(root: Path, runner: Any, **kwargs: Any) -> dict[str, Any]:
    with drupe.Session.create(project_path=root, save_on_close=False) as session:
        return session.run(runner=runner, **kwargs)


@pytest.mark.parametrize(("runner", "method"), RUNNERS)
def test_runner_runs_the_pipeline_and_fires_hooks_where_nodes_run(
    exec_project: Path,
    hook_log: Callable[[], list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    runner: str,
    method: str | None,
) -> None:
    if method:
        monkeypatch.setenv("DRUPE_MP_CONTEXT", method)
    result = _run(exec_project, runner)
    assert result == {"total": 12}

    events = hook_log()
    started = [e["node"] for e in events if e["event"] == "before_node_run"]
    assert sorted(started) == ["add", "double_a", "double_b"]
    finished = {e["node"]: e["outputs"] for e in events if e["event"] == "after_node_run"}
    assert finished == {"double_a": ["a"], "double_b": ["b"], "add": ["total"]}
    loaded = sorted(
        (e["node"], e["dataset"]) for e in events if e["event"] == "before_dataset_loaded"
    )
    assert loaded == [
        ("add", "a"),
        ("add", "b"),
        ("double_a", "params:start"),
        ("double_b", "params:start"),
    ]
    # "add" runs after both its inputs were saved, in every runner
    order = [(e["event"], e.get("node")) for e in events]
    add_starts = order.index(("before_node_run", "add"))
    assert ("after_dataset_saved", "double_a") in order[:add_starts]
    assert ("after_dataset_saved", "double_b") in order[:add_starts]

    node_pids = {e["pid"] for e in events if e["event"] == "before_node_run"}
    if runner == "parallel":
        assert os.getpid() not in node_pids, "parallel nodes (and their hooks) run in workers"
        assert all(e["is_async"] for e in events if e["event"] == "before_node_run")
    else:
        assert node_pids == {os.getpid()}


@pytest.mark.parametrize(("runner", "method"), RUNNERS)
def test_failing_node_stops_the_run_naming_node_inputs_and_cause(
    exec_project: Path,
    hook_log: Callable[[], list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    runner: str,
    method: str | None,
) -> None:
    if method:
        monkeypatch.setenv("DRUPE_MP_CONTEXT", method)
    with pytest.raises(NodeError) as caught:
        _run(exec_project, runner, pipeline_names=["failing"])
    message = str(caught.value)
    assert "'explode'" in message
    assert "inputs: saved_first" in message
    assert "ValueError: cannot handle 6" in message
    cause = caught.value.__cause__
    assert isinstance(cause, ValueError) and str(cause) == "cannot handle 6"

    # the output saved before the failure stays saved
    assert (exec_project / "data" / "saved_first.json").read_text().strip() == "6"
    errors = [e for e in hook_log() if e["event"] == "on_node_error"]
    assert [e["node"] for e in errors] == ["explode"]
    assert "cannot handle 6" in errors[0]["error"]


def test_thread_runner_nodes_see_the_current_session(
    exec_project: Path, make_project: Callable[..., Path]
) -> None:
    root = make_project(
        "exec_ctx",
        files={
            "src/exec_ctx/pipeline_registry.py": """
                from drupe_pipeline import Pipeline, node

                import drupe


                def whose(x):
                    return drupe.get_current_session().session_id


                def register_pipelines():
                    return {"__default__": Pipeline([
                        node(whose, "params:x", "first", name="first"),
                        node(whose, "params:x", "second", name="second"),
                    ])}
            """,
            "conf/base/parameters.yml": "x: 1\n",
        },
    )
    with drupe.Session.create(project_path=root, save_on_close=False) as session:
        result = session.run(runner=ThreadRunner(max_workers=2))
    assert result == {"first": session.session_id, "second": session.session_id}


def test_parallel_runner_rejects_a_node_it_cannot_send_to_a_worker(
    make_project: Callable[..., Path],
) -> None:
    root = make_project(
        "exec_lambda",
        files={
            "src/exec_lambda/pipeline_registry.py": """
                from drupe_pipeline import Pipeline, node


                def register_pipelines():
                    anon = node(lambda x: x, "params:x", "y", name="anon")
                    return {"__default__": Pipeline([anon])}
            """,
            "conf/base/parameters.yml": "x: 1\n",
        },
    )
    with pytest.raises(drupe.RunError, match="cannot send the function of node 'anon'"):
        _run(root, "parallel")


def test_bad_start_method_is_named(exec_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUPE_MP_CONTEXT", "teleport")
    with pytest.raises(
        drupe.RunError, match=r"DRUPE_MP_CONTEXT='teleport'.*fork, spawn, forkserver"
    ):
        _run(exec_project, "parallel")


def test_runners_are_chosen_by_name_dotted_path_class_or_object() -> None:
    assert isinstance(resolve_runner(None), SequentialRunner)
    assert isinstance(resolve_runner("thread"), ThreadRunner)
    assert isinstance(resolve_runner("Parallel"), ParallelRunner)
    assert isinstance(resolve_runner("drupe_pipeline.runners.ThreadRunner"), ThreadRunner)
    assert isinstance(resolve_runner(ThreadRunner), ThreadRunner)
    mine = ThreadRunner(max_workers=3)
    assert resolve_runner(mine) is mine
    with pytest.raises(drupe.UsageError, match="sequential, thread, parallel"):
        resolve_runner("turbo")
    with pytest.raises(drupe.RunError, match="max_workers must be >= 1"):
        ThreadRunner(max_workers=0)
