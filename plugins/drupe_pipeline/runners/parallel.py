"""`ParallelRunner`: independent nodes run at the same time in worker processes.

Good for nodes that compute in Python (the GIL does not serialise them).

How a node crosses into a worker: the node (its function is pickled by
reference, so it must be importable, e.g. from the project's package), the
persisted datasets it reads and writes (they load and save by themselves in
the worker) and the *values* of its in-memory inputs (parameters and
intermediate memory datasets). The worker sends back the values of its
in-memory outputs, which the parent keeps for the nodes downstream.

Workers are started with the method named by the ``DRUPE_MP_CONTEXT``
environment variable (``fork``, ``spawn`` or ``forkserver``; default: the
platform's). Under every method each worker first re-creates the session's
plugins from its `drupe.WorkerSpec` (`drupe.init_worker`): the project plugin
makes the project importable there, and the worker's own plugin manager
(entry-point plugins and the project's ``settings.HOOKS``) fires the node and
dataset hooks in the worker.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import drupe
from drupe_pipeline.catalog import DataCatalog
from drupe_pipeline.datasets import MemoryDataset
from drupe_pipeline.errors import NodeError
from drupe_pipeline.pipeline import Pipeline
from drupe_pipeline.progress import Progress
from drupe_pipeline.runners import reports
from drupe_pipeline.runners.base import MemoryReleaser, PoolRunner, run_scheduled
from drupe_pipeline.runners.node_run import NO_HOOKS, NodeHooks, RunInfo, run_node
from drupe_pipeline.runners.parent_watch import parent_token, watch_parent

MP_CONTEXT_ENV = "DRUPE_MP_CONTEXT"
START_METHODS = ("fork", "spawn", "forkserver")


def start_method() -> str | None:
    """The start method ``DRUPE_MP_CONTEXT`` asks for, or ``None`` for the platform's default."""
    method = os.environ.get(MP_CONTEXT_ENV, "").strip().lower()
    if not method:
        return None
    if method not in START_METHODS:
        raise drupe.RunError(
            f"{MP_CONTEXT_ENV}={method!r} is not a start method: use one of "
            f"{', '.join(START_METHODS)} (or unset it for the platform's default)"
        )
    if method not in multiprocessing.get_all_start_methods():
        raise drupe.RunError(
            f"{MP_CONTEXT_ENV}={method!r} is not available on this platform; available: "
            f"{', '.join(multiprocessing.get_all_start_methods())}"
        )
    return method


def _init_worker(spec: Any, parent: tuple[int, str | None]) -> None:
    """Process initializer: watch the parent (exit when it is gone), then set up the worker."""
    watch_parent(parent)
    drupe.init_worker(spec)


class _WorkerFailure(Exception):
    """A node's error that could not cross the process boundary as itself."""


def _run_in_worker(
    node: Any,
    datasets: Mapping[str, Any],
    values: Mapping[str, Any],
    info: RunInfo,
    spec: drupe.WorkerSpec | None,
    secrets: Mapping[str, set[str]],
    log_secrets: tuple[str, ...] = (),
) -> tuple[dict[str, Any], reports.Reports]:
    """Run one node in a worker process; return its in-memory outputs and its reports.

    ``log_secrets`` (what the session knows is secret) are scrubbed from the
    worker's log records while the node runs.
    """
    with drupe.scrubbed_logs(log_secrets):
        return _run_node_here(node, datasets, values, info, spec, secrets)


def _run_node_here(
    node: Any,
    datasets: Mapping[str, Any],
    values: Mapping[str, Any],
    info: RunInfo,
    spec: drupe.WorkerSpec | None,
    secrets: Mapping[str, set[str]],
) -> tuple[dict[str, Any], reports.Reports]:
    hook = NO_HOOKS
    if spec is not None:
        hook = NodeHooks(drupe.worker_plugin_manager(spec).hook)
    catalog = DataCatalog(dict(datasets))
    catalog.scrub(secrets)
    for name, value in values.items():
        catalog.add(name, MemoryDataset(value, copy_mode="assign"))
    memory_outputs = [name for name in node.outputs if name not in datasets]
    for name in memory_outputs:
        catalog.add(name, MemoryDataset(copy_mode="assign"))
    failure: BaseException | None = None
    try:
        run_node(node, catalog, hook, info, is_async=True)
    except NodeError as exc:
        failure = exc.__cause__ if exc.__cause__ is not None else exc
    if failure is not None:
        # Raised outside the handler: no __context__ pointing back at the NodeError,
        # a cycle that recursing exception picklers (tblib's, once installed) cannot send.
        try:
            pickle.loads(pickle.dumps(failure))
        except Exception:
            raise _WorkerFailure(f"{type(failure).__name__}: {failure}") from None
        raise failure
    outputs = {name: catalog.load(name) for name in memory_outputs}
    return outputs, reports.collect(hook, node, info)


class ParallelRunner(PoolRunner):
    """Runs nodes whose inputs are ready concurrently, in up to ``max_workers`` processes.

    Args:
        max_workers: the number of worker processes (default: the number of
            CPUs, at most as many as nodes can run at once).
    """

    default_cap = os.cpu_count() or 1

    def _run_nodes(
        self,
        pipeline: Pipeline,
        catalog: DataCatalog,
        hook: Any,
        info: RunInfo,
        *,
        session: drupe.AbstractSession | None,
        progress: Progress,
    ) -> None:
        workers = self.pool_size(pipeline)
        context = multiprocessing.get_context(start_method())
        spec = session.worker_spec() if session is not None else None
        log_secrets = tuple(sorted(session.secrets.scrubber().values)) if session else ()
        releaser = MemoryReleaser(pipeline, catalog)

        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(spec, parent_token()),
        ) as pool:

            def submit(node: Any) -> Future[Any]:
                datasets: dict[str, Any] = {}
                values: dict[str, Any] = {}
                for name in node.inputs:
                    dataset = catalog.get(name)
                    if dataset.persisted:
                        datasets[name] = dataset
                    else:
                        values[name] = dataset.load()
                for name in node.outputs:
                    dataset = catalog.get(name)
                    if dataset.persisted:
                        datasets[name] = dataset
                _check_picklable(node, datasets, values)
                secrets = catalog.secrets_of(datasets)
                return pool.submit(
                    _run_in_worker, node, datasets, values, info, spec, secrets, log_secrets
                )

            def on_done(node: Any, result: tuple[dict[str, Any], reports.Reports]) -> None:
                outputs, collected = result
                for name, value in outputs.items():
                    catalog.get(name).save(value)
                reports.deliver(hook, node, collected, info)
                releaser.node_done(node)

            run_scheduled(pipeline, submit, on_done, progress)


def _check_picklable(node: Any, datasets: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """Fail with the culprit's name instead of an obscure pickling error in the pool."""
    checks: list[tuple[str, Any]] = [(f"the function of node {node.name!r}", node)]
    checks += [(f"dataset {name!r}", ds) for name, ds in datasets.items()]
    checks += [(f"the data of {name!r}", value) for name, value in values.items()]
    for what, obj in checks:
        try:
            pickle.dumps(obj)
        except Exception as exc:
            raise drupe.RunError(
                f"ParallelRunner cannot send {what} to a worker process: "
                f"{type(exc).__name__}: {exc}; define functions at module level in an "
                f"importable module, or use the thread runner"
            ) from exc
