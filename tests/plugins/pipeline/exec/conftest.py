"""A small real project for the execution tests: nodes in an importable package,
``conf/`` read by the real config plugin, and project hooks (``settings.HOOKS``)
that append every node and dataset hook call to a log file, so hooks that
fire in worker processes are visible to the test."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

NODES = """
import os
import time

import drupe


def double(x):
    return x * 2


def add(a, b):
    return a + b


def explode(x):
    raise ValueError(f"cannot handle {x}")


def current_session_id(x):
    return drupe.get_current_session().session_id


def slow_double(x):
    time.sleep(0.2)
    return x * 2
"""

REGISTRY = """
from drupe_pipeline import Pipeline, node

from exec_demo.nodes import add, double, explode, slow_double


def register_pipelines():
    adding = Pipeline(
        [
            node(double, "params:start", "a", name="double_a", tags="left"),
            node(double, "params:start", "b", name="double_b", tags="right"),
            node(add, ["a", "b"], "total", name="add"),
        ]
    )
    failing = Pipeline(
        [
            node(double, "params:start", "saved_first", name="save_first"),
            node(explode, "saved_first", "never", name="explode"),
            node(slow_double, "params:start", "side", name="side"),
        ]
    )
    return {"__default__": adding, "adding": adding, "failing": failing}
"""

SETTINGS = """
import json
import os

import drupe


def _log(event, **fields):
    # The configured project is the one this process (or worker) runs; every
    # process appends to the same file in its root.
    from drupe_project import configured_project

    path = os.path.join(str(configured_project().root), "hooks.jsonl")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"event": event, "pid": os.getpid(), **fields}) + "\\n")


class LoggingHooks:
    @drupe.hookimpl(optionalhook=True)
    def before_node_run(self, node, is_async):
        _log("before_node_run", node=node.name, is_async=is_async)

    @drupe.hookimpl(optionalhook=True)
    def after_node_run(self, node, outputs):
        _log("after_node_run", node=node.name, outputs=sorted(outputs))

    @drupe.hookimpl(optionalhook=True)
    def on_node_error(self, node, error):
        _log("on_node_error", node=node.name, error=repr(error))

    @drupe.hookimpl(optionalhook=True)
    def before_dataset_loaded(self, dataset_name, node):
        _log("before_dataset_loaded", dataset=dataset_name, node=node.name)

    @drupe.hookimpl(optionalhook=True)
    def after_dataset_saved(self, dataset_name, node):
        _log("after_dataset_saved", dataset=dataset_name, node=node.name)


HOOKS = (LoggingHooks(),)
"""

CATALOG = """
saved_first:
  type: JSONDataset
  filepath: data/saved_first.json
"""


@pytest.fixture
def exec_project(make_project: Callable[..., Path], tmp_path: Path) -> Path:
    """The project root; its hooks log to ``<root>/hooks.jsonl``."""
    root = make_project(
        "exec_demo",
        name="exec_demo_project",
        files={
            "src/exec_demo/nodes.py": NODES,
            "src/exec_demo/pipeline_registry.py": REGISTRY,
            "src/exec_demo/settings.py": SETTINGS,
            "conf/base/parameters.yml": "start: 3\n",
            "conf/base/catalog.yml": CATALOG,
            "conf/local/.gitkeep": "",
        },
    )
    return root


@pytest.fixture
def hook_log(exec_project: Path) -> Callable[[], list[dict[str, Any]]]:
    """Read the project hooks' log (every process appends to the same file)."""
    path = exec_project / "hooks.jsonl"

    def read() -> list[dict[str, Any]]:
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    return read
