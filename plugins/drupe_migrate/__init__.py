"""drupe's bundled ``migrate`` plugin: ``drupe migrate kedro [PATH]`` converts a Kedro project.

Entry point ``migrate`` (`MigratePlugin`) in the ``drupe.plugins`` group. It only adds a
command: importing this package imports nothing but the hook module, and the
rewriting code loads when the command runs. It imports no other plugin; the
project it writes uses drupe's public packages (``drupe``, ``drupe_pipeline``,
``drupe_project``, ``drupe_config``) like any project would.
"""

from __future__ import annotations

from drupe_migrate.hooks import MigratePlugin

__all__ = ["MigratePlugin"]
