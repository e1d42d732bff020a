"""Settings: a node timer whose table fills up whichever runner runs the nodes.

Its hooks fire where each node runs (a worker process with the parallel
runner, a Dask worker with the dask runner); ``node_report`` sends each row
to the timer object of the process that runs the session, which prints the
table after the run. Set ``RUNNER = "dask"`` here to make Dask the default.
"""

from __future__ import annotations

import os
import time

import drupe


class NodeTimer:
    """Times every node where it runs; prints the table where the session runs."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, float]] = {}
        self._started: dict[str, float] = {}

    @drupe.hookimpl(optionalhook=True)
    def before_node_run(self, node) -> None:
        self._started[node.name] = time.perf_counter()

    @drupe.hookimpl(optionalhook=True)
    def after_node_run(self, node) -> None:
        seconds = time.perf_counter() - self._started.pop(node.name)
        self.rows[node.name] = {"seconds": seconds, "pid": os.getpid()}

    @drupe.hookimpl(optionalhook=True)
    def node_report(self, node):
        return self.rows.pop(node.name, None)

    @drupe.hookimpl(optionalhook=True)
    def receive_node_report(self, node, report) -> None:
        self.rows[node.name] = report

    @drupe.hookimpl
    def after_run(self) -> None:
        if os.environ.get("FANOUT_TIMINGS"):
            for name, row in sorted(self.rows.items()):
                print(f"{name:<12} {row['seconds']:7.3f} s  pid {row['pid']}")
        self.rows = {}


HOOKS = (NodeTimer(),)
