"""The ``pipeline`` plugin's hook implementations.

This module is imported whenever the plugin is enabled (``drupe --help``
included), so it imports nothing heavy at module level: the catalog, the
runners and the registry are imported inside the hooks that use them.
"""

from __future__ import annotations

from typing import Any

import drupe


@drupe.hookimpl
def add_hookspecs(plugin_manager: Any) -> None:
    """Add the node and dataset hooks (`drupe_pipeline.hookspecs`)."""
    from drupe_pipeline import hookspecs

    plugin_manager.add_hookspecs(hookspecs)


@drupe.hookimpl(trylast=True)
def execute_run(session: Any, context: Any, run: Any) -> dict[str, Any]:
    """Run the selected pipelines of the project with the chosen runner."""
    from drupe_pipeline.execution import execute

    return execute(session, context, run)


@drupe.hookimpl(trylast=True)
def get_pipelines(session: Any) -> dict[str, Any]:
    """The project's registered pipelines, by name (loaded once per session)."""
    from drupe_pipeline.execution import project_of, registry_for

    return registry_for(session, project_of(session)).as_dict()


@drupe.hookimpl(trylast=True)
def get_catalog(session: Any, context: Any) -> Any:
    """A fresh `DataCatalog` from ``context``'s configuration."""
    from drupe_pipeline.execution import session_catalog

    return session_catalog(session, context)


@drupe.hookimpl
def run_summary(run: Any) -> dict[str, Any] | None:
    """The persisted datasets the run saved: ``{"saved": [{"name", "path", "version"}]}``."""
    from drupe_pipeline.summary import SAVED

    saved = SAVED.take(run.run_id)
    return None if saved is None else {"saved": saved}


@drupe.hookimpl
def after_session_created(session: Any) -> None:
    """A service session loads the project's pipelines once, here, not on its first run."""
    if getattr(session, "kind", None) != "service" or session.project is None:
        return
    import importlib.util

    package = session.project.package_name
    try:
        found = importlib.util.find_spec(f"{package}.pipeline_registry")
    except (ImportError, ValueError):
        found = None
    if found is None:
        return  # no pipelines to preload; a run will say what is missing
    from drupe_pipeline.execution import registry_for

    registry_for(session, session.project).names()


@drupe.hookimpl
def cli_commands() -> list[Any]:
    """``drupe pipelines``."""
    from drupe.cli import LazyCommand

    return [
        LazyCommand(
            "pipelines",
            "drupe_pipeline.cli:pipelines_command",
            "List the registered pipelines and their node counts.",
        )
    ]
