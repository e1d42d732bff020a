"""`ThreadRunner`: independent nodes run at the same time in a pool of threads.

Good for nodes that wait on I/O (files, databases, HTTP). Each node runs in
a copy of the caller's `contextvars` context, so ``drupe.get_current_session()``
works inside nodes exactly as it does with the sequential runner.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from drupe_pipeline.catalog import DataCatalog
from drupe_pipeline.pipeline import Pipeline
from drupe_pipeline.progress import Progress
from drupe_pipeline.runners.base import MemoryReleaser, PoolRunner, run_scheduled
from drupe_pipeline.runners.node_run import RunInfo, run_node

if TYPE_CHECKING:
    import drupe


class ThreadRunner(PoolRunner):
    """Runs nodes whose inputs are ready concurrently, in up to ``max_workers`` threads.

    Args:
        max_workers: the pool size (default: as many as nodes can run at
            once, at most 8).
    """

    default_cap = 8

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
        releaser = MemoryReleaser(pipeline, catalog)

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drupe-node") as pool:

            def submit(node: Any) -> Future[Any]:
                context = contextvars.copy_context()
                return pool.submit(context.run, run_node, node, catalog, hook, info, is_async=True)

            def on_done(node: Any, result: Any) -> None:
                releaser.node_done(node)

            run_scheduled(pipeline, submit, on_done, progress)
