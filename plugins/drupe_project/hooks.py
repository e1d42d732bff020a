"""`ProjectPlugin`: the project plugin's hook implementations (kept apart so importing stays cheap).

The plugin holds no per-session state: what it remembers is the process's
one "configured project" record (`drupe_project.bootstrap`), which the
design allows as the only process-wide state of this kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

import drupe

if TYPE_CHECKING:
    from drupe import Project, WorkerSpec


class ProjectPlugin:
    """Finds and activates the project; repeats that in worker processes; ``drupe new``."""

    @drupe.hookimpl(trylast=True)
    def find_project(self, start: Path) -> Project | None:
        """Find the project containing ``start`` and bootstrap it; else the configured project."""
        from drupe_project.bootstrap import activate, configured_project
        from drupe_project.metadata import find_project

        project = find_project(start)
        if project is not None:
            return activate(project)
        return configured_project()

    @drupe.hookimpl(trylast=True)
    def explain_missing_project(self, start: Path) -> str:
        """Kedro's "Package name not found", saying where drupe looked and what to do."""
        from drupe_project.bootstrap import not_found_message

        return not_found_message(start)

    @drupe.hookimpl
    def setup_worker(self, spec: WorkerSpec, plugin_manager: pluggy.PluginManager) -> None:
        """Make the parent's project importable in this worker process (any start method)."""
        project = spec.project
        if project is None:
            return
        from drupe_project.bootstrap import activate, configure_project

        if project.source_dir is not None and project.source_dir.is_dir():
            activate(project)  # project mode: its source folder goes first on sys.path
        else:
            configure_project(project.package_name)  # packaged mode: installed

    @drupe.hookimpl
    def cli_commands(self) -> Sequence[Any]:
        from drupe.cli import LazyCommand

        return [LazyCommand("new", "drupe_project.cli:new", "Create a new drupe project.")]
