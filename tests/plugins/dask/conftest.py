"""A real project and a real Dask cluster for the dask runner's tests.

The cluster is a `LocalCluster` of 2 worker processes (1 thread each) on
127.0.0.1 with OS-chosen ports, shared by the tests of a module and closed
after them; the fixture checks that no worker process outlives it. The
project's ``settings.HOOKS`` hold a node timer whose hooks fire where nodes
run and whose table comes back through the node reports.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

NODES = """
import os
import time
from pathlib import Path


def source(start):
    return start


def left(x):
    time.sleep(1.0)
    return x + 1


def right(x):
    time.sleep(1.0)
    return x * 10


def join(a, b):
    return {"sum": a + b}


def explode(x):
    raise ValueError(f"cannot handle {x}")


def after_explode(x):
    return x


def scale(x, factor):
    return x * factor


class Tracer:
    # Appends the pid of every process that unpickles it to a log file.

    def __init__(self, log):
        self.log = log

    def __setstate__(self, state):
        self.__dict__.update(state)
        with open(self.log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\\n")


def make_tracer(log):
    return Tracer(log)


def use_tracer(tracer):
    time.sleep(0.5)  # long enough for the other branch to go to the other worker
    return {"traced": True}


def wait_forever(x):
    marker = Path(os.environ["DASK_DEMO_MARKER"])
    marker.write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(120)
    return x
"""

REGISTRY = """
from drupe_pipeline import Pipeline, node

from dask_demo.nodes import (
    after_explode, explode, join, left, make_tracer, right, scale, source, use_tracer,
    wait_forever,
)


def register_pipelines():
    diamond = Pipeline(
        [
            node(source, "params:start", "origin", name="source", tags="head"),
            node(left, "origin", "a", name="left", tags="branches"),
            node(right, "origin", "b", name="right", tags="branches"),
            node(join, ["a", "b"], "joined", name="join"),
        ]
    )
    failing = Pipeline(
        [
            node(source, "params:start", "saved", name="save_first"),
            node(explode, "saved", "boom", name="explode"),
            node(after_explode, "boom", "never", name="after_explode"),
        ]
    )
    versioned = Pipeline(
        [
            node(scale, ["params:start", "params:factor"], "scores", name="write_scores"),
            node(source, "scores", "read_back", name="read_scores"),
        ]
    )
    slow = Pipeline([node(wait_forever, "params:start", "forever", name="wait_forever")])
    tracing = Pipeline(
        [
            node(make_tracer, "params:trace_log", "tracer", name="make_tracer"),
            node(use_tracer, "tracer", "joined", name="use_tracer"),
            node(use_tracer, "tracer", "traced_again", name="use_tracer_again"),
        ]
    )
    return {
        "__default__": diamond,
        "diamond": diamond,
        "failing": failing,
        "versioned": versioned,
        "slow": slow,
        "tracing": tracing,
    }
"""

SETTINGS = """
import json
import os
import time

import drupe


class NodeTimer:
    \"\"\"Times nodes where they run; the table comes back through the node reports.\"\"\"

    def __init__(self):
        self.table = {}
        self._started = {}

    @drupe.hookimpl(optionalhook=True)
    def before_node_run(self, node):
        self._started[node.name] = time.time()

    @drupe.hookimpl(optionalhook=True)
    def after_node_run(self, node):
        self.table[node.name] = {
            "start": self._started.pop(node.name),
            "end": time.time(),
            "pid": os.getpid(),
        }

    @drupe.hookimpl(optionalhook=True)
    def node_report(self, node):
        return self.table.pop(node.name, None)

    @drupe.hookimpl(optionalhook=True)
    def receive_node_report(self, node, report):
        self.table[node.name] = report

    @drupe.hookimpl
    def after_run(self, session, run):
        path = os.path.join(str(session.project.root), f"timings-{run.run_id}.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"driver_pid": os.getpid(), "nodes": self.table}, handle)
        self.table = {}

    @drupe.hookimpl
    def on_run_error(self, session, run):
        self.after_run(session, run)


HOOKS = (NodeTimer(),)
"""

CATALOG = """
saved:
  type: JSONDataset
  filepath: data/saved.json

scores:
  type: JSONDataset
  filepath: data/scores.json
  versioned: true

joined:
  type: JSONDataset
  filepath: data/joined.json
"""


@pytest.fixture
def dask_project(make_project: Callable[..., Path]) -> Path:
    """The project root (package ``dask_demo``); node timings land in ``timings-RUN.json``."""
    return make_project(
        "dask_demo",
        name="dask_demo_project",
        files={
            "src/dask_demo/nodes.py": NODES,
            "src/dask_demo/pipeline_registry.py": REGISTRY,
            "src/dask_demo/settings.py": SETTINGS,
            "conf/base/parameters.yml": "start: 3\nfactor: 2\n",
            "conf/base/catalog.yml": CATALOG,
            "conf/local/.gitkeep": "",
        },
    )


def read_timings(root: Path, run_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / f"timings-{run_id}.json").read_text("utf-8"))
    return data


@pytest.fixture
def timings() -> Callable[[Path, str], dict[str, Any]]:
    """``timings(root, run_id)``: what the node timer wrote in the session's process."""
    return read_timings


def pids_alive_after(pids: set[int], timeout: float = 30.0) -> set[int]:
    """The pids still alive after ``timeout`` seconds (zombies count as gone)."""
    deadline = time.monotonic() + timeout
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if _alive(pid)}
        if alive:
            time.sleep(0.2)
    return alive


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def wait_gone() -> Callable[..., set[int]]:
    """``wait_gone(pids)``: the pids still alive after up to 30 s."""
    return pids_alive_after


@pytest.fixture(scope="module")
def cluster_address() -> Iterator[str]:
    """A LocalCluster of 2 processes on 127.0.0.1; no worker process outlives the module."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        scheduler_port=0,
        # An OS-chosen port: with None the scheduler's HTTP server still tries 8787 first.
        dashboard_address="127.0.0.1:0",
    )
    try:
        with Client(cluster, set_as_default=False) as client:
            pids = set(client.run(os.getpid).values())
        assert len(pids) == 2
        yield cluster.scheduler_address
    finally:
        cluster.close(timeout=30)
    assert not pids_alive_after(pids), "a Dask worker process outlived its cluster"


@pytest.fixture
def on_cluster(cluster_address: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs named ``dask`` in this test use the shared cluster (through DRUPE_DASK_ADDRESS)."""
    monkeypatch.setenv("DRUPE_DASK_ADDRESS", cluster_address)
    return cluster_address
