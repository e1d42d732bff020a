"""`DaskRunner`: each node one Dask task, run on a worker as soon as its inputs exist.

The runner is a *graph engine* for the pipeline plugin: it receives the
run as a `TaskGraph` (picklable tasks and callables, see
``drupe_pipeline.runners.graph``) and never imports that plugin.

What runs where:

* the session's process submits every node at once, each task depending on
  the tasks of the nodes it reads from, so the scheduler starts a node the
  moment its inputs exist (the graph's parallelism, not layer by layer);
* a worker runs the node with the session's plugins re-created there (node
  and dataset hooks fire on the worker), loads and saves its persisted
  datasets itself, and keeps its in-memory outputs: a node downstream gets
  them from worker to worker as Dask futures;
* only outputs no node reads (the run's free outputs) and the plugins' node
  reports come back to the session's process.

When a node fails, every task not yet finished is cancelled and the run
raises the pipeline plugin's ``NodeError`` chained to the node's exception,
with the worker's traceback. Ctrl-C and SIGTERM cancel the run's tasks the
same way and propagate as `KeyboardInterrupt`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from drupe_dask.cluster import connected, quiet_distributed, require_distributed
from drupe_dask.interrupts import terminate_as_interrupt
from drupe_dask.options import DaskOptions

log = logging.getLogger("drupe_dask")


class TaskLost(RuntimeError):
    """A node's task ended without a result or an error of its own."""


class _Released:
    """Stands for a node future let go once every node reading it is done (its data freed)."""

    status = "finished"


RELEASED = _Released()


class DaskRunner:
    """Runs a pipeline on a ``dask.distributed`` cluster.

    Args:
        address: the scheduler to use (``tcp://host:8786``); ``None`` starts a
            local cluster of processes for the run and closes it after.
        workers / threads_per_worker: the size of that local cluster
            (default: sized to the machine, as Dask decides).
        timeout: seconds to wait for the scheduler.

    ``session.run(runner=DaskRunner("tcp://10.0.0.5:8786"))`` and
    ``session.run(runner="dask")`` (options from ``DRUPE_DASK_ADDRESS`` and
    the settings' ``DASK_RUNNER_ARGS``) are equivalent ways to choose it.
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        threads_per_worker: int | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.options = DaskOptions(
            address=address,
            workers=workers,
            threads_per_worker=threads_per_worker,
            timeout=timeout,
        )

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None, settings: Any = None) -> DaskRunner:
        """The runner for ``--runner dask``: run options, ``DRUPE_DASK_ADDRESS``, settings."""
        runner = cls.__new__(cls)
        runner.options = DaskOptions.resolve(options, settings)
        return runner

    def run_graph(self, graph: Any) -> None:
        """Run every task of ``graph`` on the cluster; raise the first node failure."""
        if not graph.tasks:
            return
        require_distributed()
        from drupe_dask.workers import register

        with (
            terminate_as_interrupt(),
            quiet_distributed(),
            connected(self.options) as (client, details),
        ):
            log.info("dask runner: %s", details)
            register(client, graph.prepare_worker, graph.worker_spec)
            graph.runner_started(self.name, details)
            _Run(client, graph).wait()

    def __repr__(self) -> str:
        return f"DaskRunner({self.options.describe()})"


class _Run:
    """One run's futures: submitted at once, watched as they complete."""

    def __init__(self, client: Any, graph: Any) -> None:
        self.client = client
        self.graph = graph
        self.prefix = f"drupe-{graph.run_id or uuid.uuid4().hex}-"
        self.nodes: dict[str, Any] = {}  # node name -> future of its result
        self.watched: dict[Any, str] = {}  # future that says a node is done -> node name
        self.returns: list[Any] = []  # futures of the free outputs
        self.upstream = {task.name: task.upstream for task in graph.tasks}
        self.waiting = dict(self.upstream)
        self.done: set[str] = set()
        self.readers: dict[str, int] = {task.name: 0 for task in graph.tasks}
        for task in graph.tasks:
            for name in task.upstream:
                self.readers[name] += 1
        self._submit_all()

    def _submit_all(self) -> None:
        client, graph = self.client, self.graph
        reports = graph.wants_reports()
        for task in graph.tasks:
            inputs = [self.nodes[name] for name in task.upstream]
            future = client.submit(
                graph.run_task, task.payload, *inputs, key=self.prefix + task.name, pure=False
            )
            self.nodes[task.name] = future
            watch = future
            if reports:
                watch = client.submit(
                    graph.reports_of, future, key=self.prefix + "reports-" + task.name
                )
            self.watched[watch] = task.name
            if task.returns:
                self.returns.append(
                    client.submit(
                        graph.outputs_of,
                        future,
                        task.returns,
                        key=self.prefix + "returns-" + task.name,
                    )
                )
        self._announce_ready()

    def _announce_ready(self) -> None:
        for name, upstream in list(self.waiting.items()):
            if self.done.issuperset(upstream):
                del self.waiting[name]
                self.graph.node_started(name)

    def wait(self) -> None:
        from distributed import as_completed

        try:
            for future in as_completed(list(self.watched), loop=self.client.loop):
                name = self.watched.pop(future)
                if future.status != "finished":
                    self._fail(name, future)
                reports = future.result() if future is not self.nodes[name] else None
                self.done.add(name)
                self.graph.node_finished(name, reports)
                self._release(name)
                self._announce_ready()
            if self.returns:
                values: dict[str, Any] = {}
                for part in self.client.gather(self.returns):
                    values.update(part)
                self.graph.set_free_outputs(values)
        except BaseException:
            self._cancel()
            raise

    def _release(self, name: str) -> None:
        """Let go of futures no pending node reads: Dask frees their data on the workers."""
        for candidate in (name, *self.upstream[name]):
            if candidate != name:
                self.readers[candidate] -= 1
            if candidate in self.done and self.readers[candidate] == 0:
                self.nodes[candidate] = RELEASED

    def _fail(self, name: str, future: Any) -> None:
        name = self._blame(name)
        failed = self.nodes[name]
        error = failed.exception() if failed.status == "error" else None
        if error is None:
            error = TaskLost(
                f"its task ended {failed.status!r} on the Dask cluster (a worker died or "
                f"the task was cancelled by another client)"
            )
        else:
            error = error.with_traceback(failed.traceback())
        raise self.graph.node_error(name, error) from error

    def _blame(self, name: str) -> str:
        """The node whose own failure this is (Dask fails a node's dependents with its error)."""
        seen = {name}
        while True:
            culprit = next(
                (up for up in self.upstream[name] if self.nodes[up].status == "error"), None
            )
            if culprit is None or culprit in seen:
                return name
            seen.add(culprit)
            name = culprit

    def _cancel(self) -> None:
        pending = [
            f
            for f in [*self.nodes.values(), *self.watched, *self.returns]
            if f is not RELEASED and not f.done()
        ]
        if pending:
            try:
                self.client.cancel(pending, force=True)
            except Exception as exc:  # the scheduler may be gone: the run fails anyway
                log.warning("dask runner: could not cancel %d task(s): %s", len(pending), exc)
