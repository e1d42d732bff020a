"""drupe's bundled `project` plugin (entry point ``project`` in the ``drupe.plugins`` group).

Its entry point names `ProjectPlugin`. It finds the project a session
belongs to, makes the project's code importable, keeps the process's one
"configured project" record, repeats that setup in worker processes (the
``setup_worker`` hook: see `drupe.WorkerSpec`), and scaffolds new projects
(``drupe new``).

Public API (other plugins build on these names):

* `find_project` (start folder -> `drupe.Project` or ``None``, no side effects);
* `bootstrap_project` (project mode) and `configure_project` (packaged mode);
* `configured_project`, `clear_configured_project`;
* `require_project`: a project, or the "Package name not found" `drupe.ProjectError`.

The hook implementations live in `drupe_project.hooks`; importing this
package imports only the hooks module; the rest loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import drupe
from drupe_project.hooks import ProjectPlugin

if TYPE_CHECKING:
    from drupe_project.bootstrap import (
        NOT_FOUND,
        bootstrap_project,
        clear_configured_project,
        configure_project,
        configured_project,
        require_project,
    )
    from drupe_project.metadata import KNOWN_KEYS, find_project, read_project

#: Public names and the module that defines each: imported on first use, so that
#: registering the plugin (every ``drupe`` command does) imports only the hooks.
_LAZY = {
    "NOT_FOUND": "drupe_project.bootstrap",
    "bootstrap_project": "drupe_project.bootstrap",
    "clear_configured_project": "drupe_project.bootstrap",
    "configure_project": "drupe_project.bootstrap",
    "configured_project": "drupe_project.bootstrap",
    "require_project": "drupe_project.bootstrap",
    "KNOWN_KEYS": "drupe_project.metadata",
    "find_project": "drupe_project.metadata",
    "read_project": "drupe_project.metadata",
}


__getattr__, __dir__ = drupe.lazy_exports(__name__, _LAZY)


__all__ = [
    "KNOWN_KEYS",
    "NOT_FOUND",
    "ProjectPlugin",
    "bootstrap_project",
    "clear_configured_project",
    "configure_project",
    "configured_project",
    "find_project",
    "read_project",
    "require_project",
]
