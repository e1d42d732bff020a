"""The hook implementations of the ``migrate`` plugin (cheap to import)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import drupe


@drupe.hookimpl
def cli_commands() -> Sequence[Any]:
    from drupe.cli import LazyCommand

    return [
        LazyCommand(
            "migrate", "drupe_migrate.cli:migrate", "Rewrite a project from another framework."
        )
    ]
