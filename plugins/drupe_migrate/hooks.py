"""`MigratePlugin`: the migrate plugin's hook implementations (cheap to import).

It keeps no state: it only contributes the ``drupe migrate`` command, whose
code loads when the command runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import drupe


class MigratePlugin:
    """Adds ``drupe migrate`` (``drupe migrate kedro [PATH]``)."""

    @drupe.hookimpl
    def cli_commands(self) -> Sequence[Any]:
        from drupe.cli import LazyCommand

        return [
            LazyCommand(
                "migrate", "drupe_migrate.cli:migrate", "Rewrite a project from another framework."
            )
        ]
