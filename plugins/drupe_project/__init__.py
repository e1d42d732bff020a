"""drupe's bundled `project` plugin (entry point ``project`` in the ``drupe.plugins`` group).

It finds the project a session belongs to, makes the project's code
importable, keeps the process's one "configured project" record, repeats
that setup in worker processes, and scaffolds new projects (``drupe new``).

Public API (other plugins build on these names):

* `find_project` (start folder -> `drupe.Project` or ``None``, no side effects);
* `bootstrap_project` (project mode) and `configure_project` (packaged mode);
* `configured_project`, `clear_configured_project`;
* `require_project`: a project, or the "Package name not found" `drupe.ProjectError`;
* `WorkerBootstrap` and `init_worker` for process pools.

The hook implementations live in `drupe_project.hooks`; importing this
package imports no TOML parser, no click and no multiprocessing.
"""

from __future__ import annotations

from drupe_project.bootstrap import (
    NOT_FOUND,
    bootstrap_project,
    clear_configured_project,
    configure_project,
    configured_project,
    require_project,
)
from drupe_project.hooks import cli_commands, find_project_hook
from drupe_project.metadata import KNOWN_KEYS, find_project, read_project
from drupe_project.workers import WorkerBootstrap, init_worker

__all__ = [
    "KNOWN_KEYS",
    "NOT_FOUND",
    "WorkerBootstrap",
    "bootstrap_project",
    "clear_configured_project",
    "cli_commands",
    "configure_project",
    "configured_project",
    "find_project",
    "find_project_hook",
    "init_worker",
    "read_project",
    "require_project",
]
