"""What ``execute_run`` does: pipelines, selection, catalog, runner, free outputs.

Per session (on the plugin instance, `drupe_pipeline.hooks.PipelinePlugin`):
the pipelines and the parsed catalog configuration. Per run (never shared):
the selected `Pipeline`, a fresh `DataCatalog`, the runner and its progress
reporter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import drupe
from drupe_pipeline.catalog import DataCatalog
from drupe_pipeline.errors import SelectionError
from drupe_pipeline.pipeline import Pipeline
from drupe_pipeline.progress import Progress, progress_for
from drupe_pipeline.runners import resolve_runner
from drupe_pipeline.selection import RunSelection

if TYPE_CHECKING:
    from drupe_pipeline.hooks import PipelinePlugin


def select(pipeline: Pipeline, selection: RunSelection) -> Pipeline:
    """Apply the run's node filters (every filter given, combined with AND)."""
    filters = selection.filters()
    return pipeline.filter(**filters) if filters else pipeline


def only_missing(pipeline: Pipeline, catalog: DataCatalog, progress: Progress) -> Pipeline | None:
    """The nodes to run for ``only_missing_outputs`` (``None``: nothing to run).

    A node is skipped when every output is a persisted dataset that exists;
    a node downstream of one that runs runs too (its inputs change).
    """
    dependencies = pipeline.node_dependencies
    to_run: set[Any] = set()
    skipped: list[Any] = []
    for node in pipeline.nodes:  # topological order: dependencies are decided first
        complete = bool(node.outputs) and all(
            name in catalog and catalog.get(name).persisted and catalog.exists(name)
            for name in node.outputs
        )
        if complete and not (dependencies[node] & to_run):
            skipped.append(node)
        else:
            to_run.add(node)
    for node in skipped:
        progress.node_skipped(node, "its outputs exist")
    if not to_run:
        return None
    if not skipped:
        return pipeline
    return Pipeline([node for node in pipeline.nodes if node in to_run])


def execute(
    plugin: PipelinePlugin,
    session: drupe.AbstractSession,
    context: drupe.Context,
    run: drupe.RunRequest,
) -> dict[str, Any]:
    """Run what ``run`` selects in ``session``; return the free outputs."""
    selection = RunSelection.from_mapping(run.selection)
    pipeline = select(plugin.registry(session).get(selection.pipeline_names), selection)
    project = session.project
    root = project.root if project is not None and project.root else session.project_path
    conf_catalog, parsed = plugin.catalog_config(context, root)
    parameters: Mapping[str, Any] = context.params
    catalog = DataCatalog.from_parsed(
        parsed,
        parameters=parameters,
        load_versions=selection.load_versions,
        save_version=run.run_id,
    )
    hook = session.plugin_manager.hook
    hook.after_catalog_created(
        catalog=catalog,
        conf_catalog=conf_catalog,
        parameters=parameters,
        save_version=run.run_id,
        load_versions=selection.load_versions,
        run_id=run.run_id,
        session_id=run.session_id,
    )
    runner = resolve_runner(selection.runner)
    if selection.async_io:
        if not callable(getattr(runner, "with_async_io", None)):
            raise SelectionError(
                f"runner {runner!r} cannot load and save concurrently (--async): use a "
                "runner derived from drupe_pipeline.AbstractRunner, or leave --async out",
                field="async_io",
            )
        runner.with_async_io()
    progress = progress_for(session)
    if selection.only_missing_outputs:
        remaining = only_missing(pipeline, catalog, progress)
        if remaining is None:
            return {}
        pipeline = remaining
    return runner.run(
        pipeline,
        catalog,
        hook,
        run_id=run.run_id,
        session_id=run.session_id,
        session=session,
        progress=progress,
    )
