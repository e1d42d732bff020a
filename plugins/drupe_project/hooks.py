"""The plugin's hook implementations (kept apart so importing the plugin stays cheap)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import drupe

if TYPE_CHECKING:
    from drupe import Project


@drupe.hookimpl(trylast=True, specname="find_project")
def find_project_hook(start: Path) -> Project | None:
    """Find the project containing ``start`` and bootstrap it; else the configured project."""
    from drupe_project.bootstrap import activate, configured_project
    from drupe_project.metadata import find_project

    project = find_project(start)
    if project is not None:
        return activate(project)
    return configured_project()


@drupe.hookimpl
def cli_commands() -> Sequence[Any]:
    from drupe.cli import LazyCommand

    return [LazyCommand("new", "drupe_project.cli:new", "Create a new drupe project.")]
