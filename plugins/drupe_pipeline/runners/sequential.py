"""`SequentialRunner`: one node after another, in the pipeline's order, in this thread."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drupe_pipeline.catalog import DataCatalog
from drupe_pipeline.pipeline import Pipeline
from drupe_pipeline.progress import Progress
from drupe_pipeline.runners.base import AbstractRunner, MemoryReleaser
from drupe_pipeline.runners.node_run import RunInfo, run_node

if TYPE_CHECKING:
    import drupe


class SequentialRunner(AbstractRunner):
    """Runs nodes one at a time in the calling thread: the default, and the fastest for
    small pipelines (no thread or process to start)."""

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
        releaser = MemoryReleaser(pipeline, catalog)
        for node in pipeline.nodes:
            progress.node_started(node)
            run_node(node, catalog, hook, info)
            progress.node_done(node)
            releaser.node_done(node)
