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


@drupe.hookimpl(optionalhook=True)
def declare_settings() -> dict[str, dict[str, Any]]:
    """``RUNNER``: the default runner (`drupe_pipeline.runner_setting`)."""
    from drupe_pipeline.runner_setting import DECLARATION

    return DECLARATION


@drupe.hookimpl(trylast=True)
def execute_run(session: Any, context: Any, run: Any) -> dict[str, Any]:
    """Run the selected pipelines of the project with the chosen runner."""
    from drupe_pipeline.execution import execute

    return execute(session, context, run)


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
