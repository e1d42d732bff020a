"""What ``execute_run`` does: pipelines, selection, catalog, runner, free outputs.

Per session (cached, weakly keyed by the session so it goes when the session
goes): the project's `PipelineRegistry` and the parsed catalog
configuration. Per run (never shared): the selected `Pipeline`, a fresh
`DataCatalog`, the runner and its progress reporter.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import drupe
from drupe_pipeline.catalog import CatalogConfig, DataCatalog, parse_for_run
from drupe_pipeline.pipeline import Pipeline
from drupe_pipeline.progress import Progress, progress_for
from drupe_pipeline.registry import PipelineRegistry
from drupe_pipeline.runners import resolve_runner

_lock = threading.Lock()
_registries: weakref.WeakKeyDictionary[Any, PipelineRegistry] = weakref.WeakKeyDictionary()
_catalog_configs: weakref.WeakKeyDictionary[Any, tuple[Any, Any, CatalogConfig]] = (
    weakref.WeakKeyDictionary()
)


def project_of(session: Any, context: Any = None) -> drupe.Project:
    """The run's project, else why there is none.

    `drupe.MissingProviderError` when no plugin answers ``find_project`` (the
    project plugin is disabled); else the project plugin's "Package name not
    found" error.
    """
    project: drupe.Project | None = getattr(context, "project", None) or getattr(
        session, "project", None
    )
    if project is not None:
        return project
    manager = getattr(session, "plugin_manager", None)
    finder = getattr(getattr(manager, "hook", None), "find_project", None)
    if finder is not None and not finder.get_hookimpls():
        # Without a finder, "not found" would be a lie: the project may well be there.
        raise drupe.MissingProviderError(
            "no plugin answers find_project: is the bundled 'project' plugin "
            "(drupe_project) disabled?"
        )
    from drupe_project import require_project

    return require_project(None)


def registry_for(session: Any, project: drupe.Project) -> PipelineRegistry:
    """The session's pipeline registry: loaded once per session, shared by its runs."""
    registry = _registries.get(session)
    if registry is None or registry.package_name != project.package_name:
        with _lock:
            registry = _registries.get(session)
            if registry is None or registry.package_name != project.package_name:
                registry = PipelineRegistry(project.package_name)
                _registries[session] = registry
    return registry


def select(pipeline: Pipeline, run: drupe.RunRequest) -> Pipeline:
    """Apply the run's selection (every filter given, combined with AND)."""
    if not (
        run.tags
        or run.node_names
        or run.from_nodes
        or run.to_nodes
        or run.from_inputs
        or run.to_outputs
        or run.namespaces
    ):
        return pipeline
    return pipeline.filter(
        tags=run.tags,
        from_nodes=run.from_nodes,
        to_nodes=run.to_nodes,
        node_names=run.node_names,
        from_inputs=run.from_inputs,
        to_outputs=run.to_outputs,
        node_namespaces=run.namespaces,
    )


def _config(loader: Any, key: str) -> Any:
    try:
        return loader.get(key)
    except KeyError:
        return None


def catalog_config(session: Any, context: Any, root: Path | None) -> tuple[Any, CatalogConfig]:
    """The parsed catalog configuration; re-parsed only when the loader gives new objects.

    When the run's runtime parameters change the catalog, the catalog as
    configured without them is parsed too (once per session): comparing the
    two tells which dataset paths runtime parameters built (containment).
    """
    loader = context.config_loader
    conf_catalog = _config(loader, "catalog") or {}
    conf_credentials = _config(loader, "credentials") or {}
    cached = _catalog_configs.get(session)
    if cached is not None and cached[0] is conf_catalog and cached[1] is conf_credentials:
        parsed = cached[2]
        if parsed.root == root:
            return conf_catalog, parsed
    parsed = parse_for_run(
        loader,
        conf_catalog,
        conf_credentials,
        root=root,
        runtime_params=getattr(context, "runtime_params", None),
        previous=cached[2] if cached is not None else None,
    )
    with _lock:
        _catalog_configs[session] = (conf_catalog, conf_credentials, parsed)
    return conf_catalog, parsed


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


def execute(session: Any, context: Any, run: drupe.RunRequest) -> dict[str, Any]:
    """Run what ``run`` selects in ``session``; return the free outputs."""
    project = project_of(session, context)
    pipeline = select(registry_for(session, project).get(run.pipeline_names), run)
    root = project.root or getattr(session, "project_path", None)
    conf_catalog, parsed = catalog_config(session, context, root)
    parameters: Mapping[str, Any] = context.params
    catalog = DataCatalog.from_parsed(
        parsed,
        parameters=parameters,
        load_versions=run.load_versions,
        save_version=run.run_id,
    )
    hook = session.plugin_manager.hook
    hook.after_catalog_created(
        catalog=catalog,
        conf_catalog=conf_catalog,
        parameters=parameters,
        save_version=run.run_id,
        load_versions=run.load_versions,
        run_id=run.run_id,
        session_id=run.session_id,
    )
    runner = resolve_runner(run.runner)
    progress = progress_for(session)
    if run.only_missing_outputs:
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
