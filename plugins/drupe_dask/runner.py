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

from drupe_dask.cluster import connected, distributed, quiet_distributed, require_distributed
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
        require_distributed()
        self.options = DaskOptions(
            address=address,
            workers=workers,
            threads_per_worker=threads_per_worker,
            timeout=timeout,
        )

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None, settings: Any = None) -> DaskRunner:
        """The runner for ``--runner dask``: run options, ``DRUPE_DASK_ADDRESS``, settings."""
        require_distributed()
        runner = cls.__new__(cls)
        runner.options = DaskOptions.resolve(options, settings)
        return runner

    def run_graph(self, graph: Any) -> None:
        """Run every task of ``graph`` on the cluster; raise the first node failure."""
        if not graph.tasks:
            return
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
    """One run's futures: each node submitted the moment the nodes it reads from are done.

    Where a node goes: a node that becomes ready alone is submitted with the
    results it reads as Dask dependencies, so Dask runs it where that data
    already is (a chain of nodes stays on one worker, nothing moves). When
    several nodes become ready at once (the branches of a diamond), Dask
    would queue them all on the worker that holds their common input (its
    work stealing corrects that late, if at all, for tasks it has not timed
    yet); so all but the first get no Dask dependency: the results they read
    are published on the scheduler under run-unique names and the task
    fetches them itself, worker to worker (`run_on_worker`), and the
    scheduler places it by load, on an idle worker.
    """

    def __init__(self, client: Any, graph: Any) -> None:
        self.client = client
        self.graph = graph
        # Keys start with the node's name: Dask groups tasks (and learns their
        # durations) by that prefix; the suffix makes them unique to the run.
        self.suffix = "-" + uuid.uuid4().hex
        self.tasks = {task.name: task for task in graph.tasks}
        self.reports = graph.wants_reports()
        self.nodes: dict[str, Any] = {}  # node name -> future of its result
        self.watched: dict[Any, str] = {}  # future that says a node is done -> node name
        self.returns: list[Any] = []  # futures of the free outputs
        self.published: set[str] = set()  # dataset names on the scheduler
        self.blocked = {name: set(task.upstream) for name, task in self.tasks.items()}
        self.dependents: dict[str, list[str]] = {name: [] for name in self.tasks}
        self.readers: dict[str, int] = {name: 0 for name in self.tasks}
        self.submitted: set[str] = set()
        for task in graph.tasks:
            for name in task.upstream:
                self.dependents[name].append(task.name)
            for name in task.reads_from:
                self.readers[name] += 1
        #: Nodes each of whose upstream nodes feeds this node only (may be submitted ahead).
        self.sole_reader = {
            task.name: bool(task.upstream)
            and all(len(self.dependents[up]) == 1 for up in task.upstream)
            for task in graph.tasks
        }

    def _published_name(self, node: str) -> str:
        return "drupe-result-" + node + self.suffix

    def _submit(self, name: str, *, near_data: bool = True) -> Any:
        """Submit one node's task (and its report and free-output tasks); return what to watch.

        ``near_data``: the task depends on its upstream tasks in Dask (it
        waits for them and runs where their data is); otherwise it may run
        anywhere and fetches the results it reads itself.
        """
        client, graph, task = self.client, self.graph, self.tasks[name]
        self.submitted.add(name)
        key = name + self.suffix
        if near_data or not task.reads_from:
            reads = [self.nodes[up] for up in task.reads_from]
            after = [  # only waited for: those already done (and let go of) need no waiting
                self.nodes[up]
                for up in task.upstream
                if up not in task.reads_from and self.nodes[up] is not RELEASED
            ]
            future = client.submit(
                run_after, graph.run_task, task.payload, reads, after, key=key, pure=False
            )
        else:
            for up in task.reads_from:
                self._publish(up)
            future = client.submit(
                run_on_worker,
                graph.run_task,
                task.payload,
                [self._published_name(up) for up in task.reads_from],
                key=key,
                pure=False,
            )
        self.nodes[name] = future
        watch = future
        if self.reports:
            watch = client.submit(graph.reports_of, future, key="reports-" + name + self.suffix)
        self.watched[watch] = name
        if task.returns:
            self.returns.append(
                client.submit(
                    graph.outputs_of, future, task.returns, key="returns-" + name + self.suffix
                )
            )
        return watch

    def _submit_ahead(self, name: str, completed: Any) -> None:
        """Submit the nodes that can only run after ``name`` and compete with nothing.

        A node whose upstream nodes are all submitted and feed no other node
        (the next link of a chain, a join) is submitted at once, depending on
        them in Dask: it starts on the worker the moment they are done,
        without waiting for a round trip to this process.
        """
        for dependent in self.dependents[name]:
            if dependent in self.submitted or not self.sole_reader[dependent]:
                continue
            if all(up in self.submitted for up in self.tasks[dependent].upstream):
                completed.add(self._submit(dependent))
                self._submit_ahead(dependent, completed)

    def _start(self, name: str, completed: Any, *, near_data: bool) -> None:
        if name not in self.submitted:
            completed.add(self._submit(name, near_data=near_data))
            self._submit_ahead(name, completed)
        self.graph.node_started(name)

    def wait(self) -> None:
        as_completed = distributed().as_completed
        try:
            completed = as_completed([], loop=self.client.loop)
            for name in [name for name, upstream in self.blocked.items() if not upstream]:
                del self.blocked[name]
                self._start(name, completed, near_data=True)
            for future in completed:
                name = self.watched.pop(future)
                if future.status != "finished":
                    self._fail(name)
                reports = future.result() if self.reports else None
                self.graph.node_finished(name, reports)
                ready = []
                for dependent in self.dependents[name]:
                    waiting_for = self.blocked[dependent]
                    waiting_for.discard(name)
                    if not waiting_for:
                        del self.blocked[dependent]
                        ready.append(dependent)
                for index, dependent in enumerate(ready):
                    self._start(dependent, completed, near_data=index == 0)
                self._release(name)
            if self.blocked:  # cannot happen with a valid pipeline; never end silently
                raise RuntimeError(f"nodes never became ready: {', '.join(sorted(self.blocked))}")
            if self.returns:
                values: dict[str, Any] = {}
                for part in self.client.gather(self.returns):
                    values.update(part)
                self.graph.set_free_outputs(values)
        except BaseException:
            self._cancel()
            raise
        finally:
            self._unpublish(list(self.published))

    def _release(self, name: str) -> None:
        """Let go of results no node still has to read: Dask frees their data on the workers."""
        task = self.tasks[name]
        if not self.readers[name]:
            self.nodes[name] = RELEASED
        for upstream in task.reads_from:
            self.readers[upstream] -= 1
            if not self.readers[upstream]:
                self.nodes[upstream] = RELEASED
                self._unpublish([self._published_name(upstream)])

    def _publish(self, node: str) -> None:
        published = self._published_name(node)
        if published not in self.published:
            self.client.publish_dataset(**{published: self.nodes[node]})
            self.published.add(published)

    def _unpublish(self, names: list[str]) -> None:
        for published in names:
            if published in self.published:
                self.published.discard(published)
                try:
                    self.client.unpublish_dataset(published)
                except Exception as exc:  # the scheduler may be gone: nothing left to free
                    log.debug("dask runner: could not unpublish %s: %s", published, exc)

    def _fail(self, name: str) -> None:
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
        """The node whose own failure this is (Dask fails a task submitted ahead with its
        upstream task's error)."""
        while True:
            upstream = self.tasks[name].upstream
            culprit = next((up for up in upstream if self.nodes[up].status == "error"), None)
            if culprit is None:
                return name
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


def run_after(run_task: Any, payload: Any, reads: list[Any], after: list[Any]) -> Any:
    """On a worker: run the node with the results it reads (``after``: tasks it only waits for)."""
    return run_task(payload, *reads)


def run_on_worker(run_task: Any, payload: Any, published: list[str]) -> Any:
    """On a worker: fetch the results the node reads (worker to worker), then run the node.

    They are published on the scheduler under run-unique names until every
    node reading them is done, so they cannot be released meanwhile.
    """
    upstream: list[Any] = []
    if published:
        from distributed import worker_client

        # worker_client() leaves the worker's thread pool while waiting (Dask's
        # documented way for a task to use the cluster), so it never deadlocks it.
        with worker_client() as client:
            upstream = client.gather(client.get_dataset(published))
    return run_task(payload, *upstream)
