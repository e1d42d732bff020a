"""Node and dataset hooks: order per node, arguments, and what a return value does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import drupe
from drupe.testing import HookRecorder
from drupe_pipeline import NodeError


class ListensToEveryNodeHook:
    """Implements every node and dataset hook (a hook nobody implements is not dispatched)."""

    @drupe.hookimpl(optionalhook=True)
    def before_node_run(self) -> None: ...

    @drupe.hookimpl(optionalhook=True)
    def after_node_run(self) -> None: ...

    @drupe.hookimpl(optionalhook=True)
    def before_dataset_loaded(self) -> None: ...

    @drupe.hookimpl(optionalhook=True)
    def after_dataset_loaded(self) -> None: ...

    @drupe.hookimpl(optionalhook=True)
    def before_dataset_saved(self) -> None: ...

    @drupe.hookimpl(optionalhook=True)
    def after_dataset_saved(self) -> None: ...


def test_hook_order_per_node(exec_project: Path, hook_recorder: HookRecorder) -> None:
    with drupe.Session.create(
        project_path=exec_project,
        save_on_close=False,
        plugins=[hook_recorder, ListensToEveryNodeHook()],
    ) as session:
        session.run()
    names = hook_recorder.names()
    run = names[names.index("execute_run") + 1 : names.index("after_run")]
    run = [n for n in run if n != "register_pipelines"]  # asked once, by the first run
    node_hooks = [n for n in run if n != "after_catalog_created"]
    assert run[0] == "after_catalog_created"
    per_input = ["before_dataset_loaded", "after_dataset_loaded"]
    one_in_one_out = [
        *per_input,
        "before_node_run",
        "after_node_run",
        "before_dataset_saved",
        "after_dataset_saved",
    ]
    two_in_one_out = [*per_input, *one_in_one_out]
    assert node_hooks == one_in_one_out + one_in_one_out + two_in_one_out

    calls = hook_recorder.named("before_node_run")
    assert [c.kwargs["node"].name for c in calls] == ["double_a", "double_b", "add"]
    add = calls[-1].kwargs
    assert add["inputs"] == {"a": 6, "b": 6}
    assert add["is_async"] is False
    run_record = hook_recorder.named("before_run")[0].kwargs["run"]
    assert add["run_id"] == run_record.run_id
    assert add["session_id"] == session.session_id
    saved = hook_recorder.named("after_dataset_saved")
    assert [(c.kwargs["dataset_name"], c.kwargs["data"]) for c in saved] == [
        ("a", 6),
        ("b", 6),
        ("total", 12),
    ]
    created = hook_recorder.named("after_catalog_created")[0].kwargs
    assert created["save_version"] == run_record.run_id
    assert created["parameters"]["start"] == 3
    assert "saved_first" in created["conf_catalog"]


class ReplaceInput:
    @drupe.hookimpl(optionalhook=True)
    def before_node_run(self, node: Any, inputs: dict[str, Any]) -> dict[str, Any] | None:
        if node.name == "add":
            return {"b": 100}
        return None


def test_before_node_run_may_replace_inputs(exec_project: Path) -> None:
    with drupe.Session.create(
        project_path=exec_project, save_on_close=False, plugins=[ReplaceInput()]
    ) as session:
        assert session.run() == {"total": 106}


class RecordErrors:
    def __init__(self) -> None:
        self.errors: list[tuple[str, BaseException, dict[str, Any]]] = []

    @drupe.hookimpl(optionalhook=True)
    def on_node_error(self, error: BaseException, node: Any, inputs: dict[str, Any]) -> None:
        self.errors.append((node.name, error, dict(inputs)))


def test_on_node_error_gets_the_original_error_and_run_error_hooks_follow(
    exec_project: Path, hook_recorder: HookRecorder
) -> None:
    recorder = RecordErrors()
    with (
        drupe.Session.create(
            project_path=exec_project, save_on_close=False, plugins=[recorder, hook_recorder]
        ) as session,
        pytest.raises(NodeError),
    ):
        session.run(pipeline_names=["failing"])
    [(name, error, inputs)] = recorder.errors
    assert name == "explode" and isinstance(error, ValueError) and inputs == {"saved_first": 6}
    run_error = hook_recorder.named("on_run_error")[0].kwargs["error"]
    assert isinstance(run_error, NodeError) and run_error.__cause__ is error
    names = hook_recorder.names()
    assert names.index("on_node_error") < names.index("on_run_error")
    assert "after_run" not in names
