"""Node reports: a plugin's data gathered where nodes run reaches its object in the session.

A node timer whose hooks fire in worker processes (parallel runner) used to
leave an empty table in the session's process; through ``node_report`` and
``receive_node_report`` every runner fills it the same way.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import drupe

NODES = """
def double(x):
    return x * 2


def add(a, b):
    return a + b
"""

REGISTRY = """
from drupe_pipeline import Pipeline, node

from report_demo.nodes import add, double


def register_pipelines():
    return {
        "__default__": Pipeline(
            [
                node(double, "params:start", "a", name="double_a"),
                node(double, "params:start", "b", name="double_b"),
                node(add, ["a", "b"], "total", name="add"),
            ]
        )
    }
"""

SETTINGS = """
import os

import drupe


class NodeTimer:
    def __init__(self):
        self.table = {}

    @drupe.hookimpl(optionalhook=True)
    def after_node_run(self, node, outputs):
        self.table[node.name] = {"pid": os.getpid(), "outputs": sorted(outputs)}

    @drupe.hookimpl(optionalhook=True)
    def node_report(self, node, run_id):
        row = self.table.pop(node.name, None)
        return None if row is None else {**row, "run_id": run_id}

    @drupe.hookimpl(optionalhook=True)
    def receive_node_report(self, node, report):
        self.table[node.name] = report


class SilentPlugin:
    \"\"\"Reports but has no receiver: its reports are dropped, nothing fails.\"\"\"

    @drupe.hookimpl(optionalhook=True)
    def node_report(self, node):
        return "ignored"


HOOKS = (NodeTimer(), SilentPlugin())
"""

METHODS = [m for m in ("fork", "spawn") if m in multiprocessing.get_all_start_methods()]


@pytest.fixture
def report_project(make_project: Callable[..., Path]) -> Path:
    return make_project(
        "report_demo",
        files={
            "src/report_demo/nodes.py": NODES,
            "src/report_demo/pipeline_registry.py": REGISTRY,
            "src/report_demo/settings.py": SETTINGS,
            "conf/base/parameters.yml": "start: 3\n",
            "conf/local/.gitkeep": "",
        },
    )


@pytest.mark.parametrize(
    ("runner", "method"),
    [
        ("sequential", None),
        ("thread", None),
        *[pytest.param("parallel", m, id=f"parallel-{m}") for m in METHODS],
    ],
)
def test_every_runner_brings_node_reports_back_to_the_plugin_in_the_session(
    report_project: Path, monkeypatch: pytest.MonkeyPatch, runner: str, method: str | None
) -> None:
    if method:
        monkeypatch.setenv("DRUPE_MP_CONTEXT", method)
    with drupe.Session.create(project_path=report_project, save_on_close=False) as session:
        assert session.run(runner=runner) == {"total": 12}
        timer: Any = importlib.import_module("report_demo.settings").HOOKS[0]
        table = dict(timer.table)
    assert set(table) == {"double_a", "double_b", "add"}
    assert table["add"]["outputs"] == ["total"]
    run_ids = {row["run_id"] for row in table.values()}
    assert len(run_ids) == 1 and "" not in run_ids, "node_report got the run's id"
    pids = {row["pid"] for row in table.values()}
    if runner == "parallel":
        assert os.getpid() not in pids, "the rows were made in worker processes"
    else:
        assert pids == {os.getpid()}
