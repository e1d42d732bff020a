"""`AbstractRunner`: what every runner does before and after running the nodes.

A runner gets a pipeline, a catalog and (optionally) the hook relay of a
plugin manager. The base class checks that every free input is in the
catalog, adds memory datasets for the rest, releases memory data once no
node needs it, and returns the free outputs; subclasses only decide *where*
and *in which order* nodes run (`_run_nodes`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import drupe

if TYPE_CHECKING:
    from concurrent.futures import Future
from drupe_pipeline.catalog import DataCatalog
from drupe_pipeline.errors import NodeError
from drupe_pipeline.pipeline import Pipeline
from drupe_pipeline.progress import Progress
from drupe_pipeline.runners.node_run import NO_HOOKS, NodeHooks, RunInfo, node_error


class MissingInputsError(drupe.RunError):
    """Free inputs of the pipeline that no dataset in the catalog provides."""


def check_inputs(pipeline: Pipeline, catalog: DataCatalog) -> None:
    """Fail, before any node runs, listing every free input the catalog cannot provide."""
    missing = sorted(name for name in pipeline.inputs() if name not in catalog)
    if missing:
        raise MissingInputsError(
            f"the pipeline needs input(s) that no dataset provides: {', '.join(missing)}; "
            f"add them to the catalog (conf/base/catalog.yml) or the parameters, or select "
            f"the nodes that produce them"
        )
    # A transcoded form read but written by no node ("df@spark" after a node
    # wrote "df@pandas") is only the same data through a catalog entry of its own.
    written = pipeline.all_outputs()
    unbacked = sorted(
        name for name in pipeline.all_inputs() - pipeline.inputs() - written if name not in catalog
    )
    if unbacked:
        raise MissingInputsError(
            f"transcoded dataset(s) {', '.join(unbacked)} have no catalog entry: each "
            f"'name@format' a node reads but no node writes needs its own entry pointing at "
            f"the same data, e.g. 'df@pandas' and 'df@spark' with one filepath"
        )


class AbstractRunner(ABC):
    """Base class of the runners; subclass it and implement `_run_nodes`."""

    #: Whether nodes may run concurrently (passed to hooks as ``is_async``).
    is_async: bool = False
    #: Whether each node loads its inputs and saves its outputs concurrently, in
    #: threads (``drupe run --async``, Kedro's ``is_async=True``); set it per runner.
    async_io: bool = False

    def run(
        self,
        pipeline: Pipeline,
        catalog: DataCatalog,
        hook: Any = None,
        *,
        run_id: str = "",
        session_id: str = "",
        session: drupe.AbstractSession | None = None,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Run ``pipeline`` against ``catalog``; return its free outputs.

        Free outputs are outputs no node consumes and the catalog does not
        persist (no entry of its own): the data a caller gets back.

        Args:
            hook: a plugin manager's ``hook`` relay to call node and dataset
                hooks on (``None``: no hooks).
            run_id / session_id: passed to hooks; ``run_id`` is also the
                version versioned datasets save under (set in the catalog).
            session: the session (lets the parallel runner bootstrap workers).
            progress: where progress events go.

        Raises:
            MissingInputsError: a free input is not in the catalog (no node ran).
            NodeError: a node failed (outputs saved before it stay saved).
        """
        check_inputs(pipeline, catalog)
        for name in sorted(pipeline.all_outputs()):
            catalog.add_memory(name)
        progress = progress or Progress()
        progress.start(len(pipeline.nodes))
        ok = False
        try:
            self._run_nodes(
                pipeline,
                catalog,
                NodeHooks(hook) if hook is not None and hook is not NO_HOOKS else NO_HOOKS,
                RunInfo(run_id=run_id, session_id=session_id, async_io=self.async_io),
                session=session,
                progress=progress,
            )
            ok = True
        finally:
            progress.finish(ok)
        implicit = catalog.implicit
        return {name: catalog.load(name) for name in pipeline.outputs() if name in implicit}

    @abstractmethod
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
        """Run every node of ``pipeline``, each after the nodes it depends on."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def with_async_io(self, enabled: bool = True) -> AbstractRunner:
        """This runner, loading and saving each node's datasets concurrently; returns ``self``."""
        self.async_io = enabled
        return self


class MemoryReleaser:
    """Releases a run's intermediate memory data once every node reading it has run."""

    def __init__(self, pipeline: Pipeline, catalog: DataCatalog) -> None:
        self._catalog = catalog
        keep = pipeline.outputs()
        implicit = catalog.implicit
        self._readers: dict[str, int] = {}
        for node in pipeline.nodes:
            for name in node.inputs:
                if name in implicit and name not in keep:
                    self._readers[name] = self._readers.get(name, 0) + 1

    def node_done(self, node: Any) -> None:
        for name in node.inputs:
            count = self._readers.get(name)
            if count is None:
                continue
            if count <= 1:
                del self._readers[name]
                self._catalog.release(name)
            else:
                self._readers[name] = count - 1


def run_scheduled(
    pipeline: Pipeline,
    submit: Callable[[Any], Future[Any]],
    on_done: Callable[[Any, Any], None],
    progress: Progress,
) -> None:
    """Submit each node once its dependencies are done; stop submitting at the first failure.

    Nodes already running when one fails are waited for (their outputs are
    saved); then the first failure is raised as a `NodeError`.
    """
    from concurrent.futures import FIRST_COMPLETED, wait

    dependencies = pipeline.node_dependencies
    waiting = list(pipeline.nodes)
    done: set[Any] = set()
    running: dict[Future[Any], Any] = {}
    failure: tuple[Any, BaseException] | None = None
    while True:
        if failure is None:
            ready = [node for node in waiting if dependencies[node] <= done]
            for node in ready:
                waiting.remove(node)
                progress.node_started(node)
                running[submit(node)] = node
        if not running:
            break
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            node = running.pop(future)
            try:
                result = future.result()
                on_done(node, result)
            except BaseException as exc:
                if failure is None:
                    failure = (node, exc)
                continue
            done.add(node)
            progress.node_done(node)
    if failure is not None:
        failed, error = failure
        if isinstance(error, NodeError):
            raise error
        raise node_error(failed, error) from error
    if waiting:  # cannot happen with a valid pipeline; never end silently
        names = ", ".join(node.name for node in waiting)
        raise drupe.RunError(f"nodes never became ready: {names}")


class PoolRunner(AbstractRunner):
    """A runner that runs ready nodes at the same time in a pool of ``max_workers``."""

    is_async = True
    #: The most workers used when ``max_workers`` is not given (None: no cap).
    default_cap: int | None = None

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and max_workers < 1:
            raise drupe.RunError(
                f"{type(self).__name__} max_workers must be >= 1, got {max_workers}"
            )
        self.max_workers = max_workers

    def pool_size(self, pipeline: Pipeline) -> int:
        """``max_workers``, else as many as nodes can run at once, up to `default_cap`."""
        if self.max_workers:
            return self.max_workers
        widest = max((len(layer) for layer in pipeline.grouped_nodes), default=1)
        return max(1, min(widest, self.default_cap or widest))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_workers={self.max_workers})"
