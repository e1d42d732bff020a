"""`TaskGraph`: a run's nodes as picklable tasks, for engines that run them elsewhere.

A plugin that runs nodes on another engine (``drupe_dask`` on a Dask
cluster) never imports this plugin: it answers ``pipeline_runners`` with a
*graph engine*, an object with ``run_graph(graph)``, and `GraphRunner`
hands it a `TaskGraph`. The graph holds everything as data and callables:

* ``graph.tasks``: every node as a `NodeTask`, in an order where each task
  comes after the tasks it waits for (``task.upstream``);
* ``graph.run_task(task.payload, *upstream_results)``: runs one node where it
  is called (a worker), with its hooks, and returns an opaque result that
  holds the node's in-memory outputs and its reports. It is a module-level
  function, pickled by reference, and so are ``outputs_of``, ``reports_of``
  and ``prepare_worker``: an engine ships them to its workers as they are;
* ``graph.prepare_worker(graph.worker_spec)``: re-creates the session's
  plugins in a worker and makes the project importable (call it before a
  worker unpickles the first payload: node functions live in the project);
* back in the session's process: ``graph.node_started(name)``,
  ``graph.node_finished(name, reports)``, ``graph.set_free_outputs(values)``,
  ``graph.node_error(name, error)`` and ``graph.runner_started(name, details)``.

What crosses to a worker, per node (`TaskPayload`): the node, the persisted
datasets it reads and writes (they load and save on the worker), the values
of its in-memory inputs that no node of the run produces (parameters), and
the names of those that upstream tasks produce. In-memory data produced by a
node stays with the engine (Dask keeps it on the worker) until a node
downstream asks for it; only outputs that no node reads come back.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping
from typing import Any

import attrs

import drupe
from drupe_pipeline.catalog import DataCatalog
from drupe_pipeline.datasets import MemoryDataset
from drupe_pipeline.errors import NodeError
from drupe_pipeline.node import Node
from drupe_pipeline.pipeline import Pipeline
from drupe_pipeline.progress import Progress
from drupe_pipeline.runners import reports
from drupe_pipeline.runners.base import AbstractRunner
from drupe_pipeline.runners.node_run import NO_HOOKS, NodeHooks, RunInfo, node_error, run_node
from drupe_pipeline.runners.workers import worker_hooks, worker_spec

#: What `run_task` returns: the node's in-memory outputs and its reports.
TaskResult = tuple[dict[str, Any], reports.Reports]


@attrs.frozen
class TaskPayload:
    """What a worker needs to run one node (picklable; the node's function by reference)."""

    node: Node
    info: RunInfo
    datasets: Mapping[str, Any]
    values: Mapping[str, Any]
    memory_inputs: tuple[str, ...]
    memory_outputs: tuple[str, ...]
    secrets: Mapping[str, set[str]]
    spec: Any = None
    #: What the session knows is secret: scrubbed from the worker's log records meanwhile.
    log_secrets: tuple[str, ...] = ()


@attrs.frozen
class NodeTask:
    """One node of the graph, as an engine schedules it.

    Attributes:
        name: the node's full name, unique in the run (a good task key).
        upstream: the tasks this one waits for, by name (it reads what they
            wrote: in memory or persisted).
        reads_from: those of ``upstream`` whose in-memory outputs it reads:
            their results are passed to ``run_task`` after the payload, in
            this order (the others only have to be finished).
        payload: the first argument of ``run_task``.
        returns: the node's in-memory outputs that no node of the run reads:
            fetch them with ``outputs_of(result, returns)`` and give them
            to ``set_free_outputs``.
    """

    name: str
    upstream: tuple[str, ...]
    reads_from: tuple[str, ...]
    payload: TaskPayload
    returns: tuple[str, ...]


class _WorkerFailure(Exception):
    """A node's error that could not be pickled back as itself."""


def run_task(payload: TaskPayload, *upstream: TaskResult) -> TaskResult:
    """Run one node here (a worker) with the session's hooks; return its result.

    A failing node raises the node's own exception (so the engine carries
    its traceback back), or `_WorkerFailure` with its text when that
    exception cannot be pickled.
    """
    with drupe.scrubbed_logs(payload.log_secrets):
        return _run_task_here(payload, upstream)


def _run_task_here(payload: TaskPayload, upstream: tuple[TaskResult, ...]) -> TaskResult:
    hook = NodeHooks(worker_hooks(payload.spec)) if payload.spec is not None else NO_HOOKS
    available: dict[str, Any] = {}
    for outputs, _ in upstream:
        available.update(outputs)
    catalog = DataCatalog(dict(payload.datasets))
    catalog.scrub(payload.secrets)
    for name, value in payload.values.items():
        catalog.add(name, MemoryDataset(value, copy_mode="assign"))
    for name in payload.memory_inputs:
        catalog.add(name, MemoryDataset(available[name], copy_mode="assign"))
    for name in payload.memory_outputs:
        catalog.add(name, MemoryDataset(copy_mode="assign"))
    node = payload.node
    failure: BaseException | None = None
    try:
        run_node(node, catalog, hook, payload.info, is_async=True)
    except NodeError as exc:
        failure = exc.__cause__ if exc.__cause__ is not None else exc
    if failure is not None:
        # Raised outside the handler, so it carries no __context__ pointing back at the
        # NodeError (a cycle an engine's serializer may choke on).
        raise _sendable(failure)
    outputs = {name: catalog.load(name) for name in payload.memory_outputs}
    return outputs, reports.collect(hook, node, payload.info)


def _sendable(error: BaseException) -> BaseException:
    """``error`` itself if it survives pickling, else a `_WorkerFailure` with its text."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return _WorkerFailure(f"{type(error).__name__}: {error}")
    return error


def outputs_of(result: TaskResult, names: tuple[str, ...]) -> dict[str, Any]:
    """The named in-memory outputs of a task's result (run it where the result is)."""
    outputs = result[0]
    return {name: outputs[name] for name in names}


def reports_of(result: TaskResult) -> reports.Reports:
    """The reports of a task's result (small: fetch them to the session's process)."""
    return result[1]


def prepare_worker(spec: Any) -> None:
    """In a worker: re-create the session's plugins and make the project importable."""
    if spec is not None:
        worker_hooks(spec)


class TaskGraph:
    """One run's nodes as tasks, and the callbacks an engine reports back through.

    Built by `GraphRunner` in the session's process; only its tasks and
    the module-level callables cross to workers.
    """

    run_task: Callable[..., TaskResult] = staticmethod(run_task)
    outputs_of: Callable[..., dict[str, Any]] = staticmethod(outputs_of)
    reports_of: Callable[..., reports.Reports] = staticmethod(reports_of)
    prepare_worker: Callable[[Any], None] = staticmethod(prepare_worker)

    def __init__(
        self,
        pipeline: Pipeline,
        catalog: DataCatalog,
        hook: Any,
        info: RunInfo,
        *,
        session: Any = None,
        progress: Progress | None = None,
    ) -> None:
        self.run_id = info.run_id
        self.session_id = info.session_id
        self.worker_spec = worker_spec(session)
        secrets = getattr(session, "secrets", None)
        self._log_secrets = tuple(sorted(secrets.scrubber().values)) if secrets else ()
        self._catalog = catalog
        self._hook = hook
        self._info = info
        self._session = session
        self._progress = progress or Progress()
        self._nodes: dict[str, Node] = {node.name: node for node in pipeline.nodes}
        self.tasks = tuple(self._tasks(pipeline))

    def _tasks(self, pipeline: Pipeline) -> list[NodeTask]:
        catalog = self._catalog
        producers = {name: node.name for node in pipeline.nodes for name in node.outputs}
        consumed = {name for node in pipeline.nodes for name in node.inputs}
        dependencies = pipeline.node_dependencies
        tasks = []
        for node in pipeline.nodes:
            datasets: dict[str, Any] = {}
            values: dict[str, Any] = {}
            memory_inputs: list[str] = []
            for name in node.inputs:
                dataset = catalog.get(name)
                if dataset.persisted:
                    datasets[name] = dataset
                elif name in producers:
                    memory_inputs.append(name)
                else:
                    values[name] = dataset.load()
            memory_outputs: list[str] = []
            for name in node.outputs:
                dataset = catalog.get(name)
                if dataset.persisted:
                    datasets[name] = dataset
                else:
                    memory_outputs.append(name)
            payload = TaskPayload(
                node=node,
                info=self._info,
                datasets=datasets,
                values=values,
                memory_inputs=tuple(memory_inputs),
                memory_outputs=tuple(memory_outputs),
                secrets=catalog.secrets_of(datasets),
                spec=self.worker_spec,
                log_secrets=self._log_secrets,
            )
            upstream = tuple(sorted(dep.name for dep in dependencies[node]))
            reads_from = tuple(sorted({producers[name] for name in memory_inputs}))
            returns = tuple(name for name in memory_outputs if name not in consumed)
            tasks.append(NodeTask(node.name, upstream, reads_from, payload, returns))
        return tasks

    def node_started(self, name: str) -> None:
        """The engine started (or queued) the task: progress shows it running."""
        self._progress.node_started(self._nodes[name])

    def node_finished(self, name: str, node_reports: reports.Reports | None = None) -> None:
        """The task succeeded: deliver its reports to the plugins here, count it done."""
        node = self._nodes[name]
        if node_reports:
            reports.deliver(self._hook, node, node_reports, self._info)
        self._progress.node_done(node)

    def wants_reports(self) -> bool:
        """Whether a plugin here receives node reports (if not, do not fetch them)."""
        caller = getattr(self._hook, "receive_node_report", None)
        return bool(getattr(caller, "get_hookimpls", lambda: [])())

    def set_free_outputs(self, values: Mapping[str, Any]) -> None:
        """The outputs no node reads, fetched from the engine: kept for the caller."""
        for name, value in values.items():
            self._catalog.get(name).save(value)

    def node_error(self, name: str, error: BaseException) -> NodeError:
        """The error to raise (``from error``) for task ``name`` failing with ``error``."""
        if isinstance(error, NodeError):
            return error
        return node_error(self._nodes[name], error)

    def runner_started(self, runner: str, details: Mapping[str, Any]) -> None:
        """Tell plugins (the store) where the nodes run: ``after_runner_started``."""
        manager = getattr(self._session, "plugin_manager", None)
        caller = getattr(getattr(manager, "hook", None), "after_runner_started", None)
        if caller is not None:
            caller(
                runner=runner,
                details=dict(details),
                run_id=self.run_id,
                session_id=self.session_id,
            )


class GraphRunner(AbstractRunner):
    """Runs a pipeline on a graph engine contributed by another plugin (`TaskGraph`)."""

    is_async = True

    def __init__(self, engine: Any, name: str | None = None) -> None:
        self.engine = engine
        self.name = name or getattr(engine, "name", None) or type(engine).__name__

    def _run_nodes(
        self,
        pipeline: Pipeline,
        catalog: DataCatalog,
        hook: Any,
        info: RunInfo,
        *,
        session: Any,
        progress: Progress,
    ) -> None:
        graph = TaskGraph(pipeline, catalog, hook, info, session=session, progress=progress)
        self.engine.run_graph(graph)

    def __repr__(self) -> str:
        return f"GraphRunner({self.engine!r})"
