"""`LazyCommand`: a plugin command whose module is imported only when it is used.

``drupe --help`` lists every plugin's commands. If listing meant importing
each command's module (and what it imports: sqlite3, multiprocessing, a web
framework), the help would cost more than the rest of drupe's start-up. A
plugin returns ``LazyCommand("sessions", "drupe_store.cli:sessions",
"List, show and rerun recorded sessions.")`` from ``cli_commands`` instead:
the name and short help are known up front, and the module is imported when
the command runs or its own ``--help`` is asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from drupe.errors import PluginError


class LazyCommand(click.Command):
    """A placeholder that stands for ``module:attribute`` until it is needed."""

    def __init__(self, name: str, target: str, short_help: str) -> None:
        super().__init__(name, short_help=short_help, help=short_help)
        self.target = target
        self._loaded: click.Command | None = None

    def load(self) -> click.Command:
        """Import and return the real command (once)."""
        if self._loaded is None:
            module_name, _, attribute = self.target.partition(":")
            try:
                command: Any = importlib.import_module(module_name)
                for part in attribute.split("."):
                    command = getattr(command, part)
            except Exception as exc:
                raise PluginError(
                    f"command {self.name!r} could not be loaded from {self.target!r}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            if not isinstance(command, click.Command):
                raise PluginError(f"{self.target!r} is not a click command")
            if command.name != self.name:
                raise PluginError(
                    f"{self.target!r} is the command {command.name!r}, listed as {self.name!r}: "
                    f"use one name"
                )
            self._loaded = command
        return self._loaded

    def invoke(self, ctx: click.Context) -> Any:  # pragma: no cover - the group loads first
        return self.load().invoke(ctx)
