"""`CliState`: the global options of one ``drupe`` invocation, shared with every subcommand.

Plugin commands receive it with ``@pass_state`` and create their sessions
through `CliState.create_session`, so that ``-p no:NAME``, ``--project`` and
the CLI context recorded by the store apply to them as to ``drupe run``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

import click

from drupe import console
from drupe.markers import hookimpl
from drupe.plugin_manager import PluginManager, build_plugin_manager

if TYPE_CHECKING:
    from drupe.session import AbstractSession, Session, SessionSpec

S = TypeVar("S", bound="AbstractSession")


class CliContextPlugin:
    """Puts the command line on the session draft: ``session.metadata["cli"]``."""

    def __init__(self, command_path: str, arguments: list[str], params: dict[str, Any]) -> None:
        self.command_path = command_path
        self.arguments = arguments
        self.params = params

    @hookimpl
    def before_session_create(self, spec: SessionSpec) -> None:
        spec.metadata.setdefault(
            "cli",
            {"command": self.command_path, "args": self.arguments, "params": self.params},
        )


class CliState:
    """Global options: disabled plugins, project path, verbosity."""

    def __init__(self) -> None:
        self.disable_plugins: list[str] = []
        self.project_path: Path | None = None
        self.verbose = False
        self.quiet = False
        self._logging_applied = False
        self._manager: PluginManager | None = None

    def plugin_manager(self) -> PluginManager:
        """A manager with the enabled entry-point plugins (built once per invocation).

        It is tolerant: a plugin that fails to load is kept in
        ``manager.broken`` (``drupe --help`` names it) and the commands of
        the others still work. Sessions are strict: `create_session` fails
        on a broken plugin with one line naming it.
        """
        if self._manager is None:
            self._manager = build_plugin_manager(
                start=(self.project_path or Path.cwd()).resolve(),
                disable_plugins=self.disable_plugins,
                tolerant=True,
            )
            # Every command builds this before its own work: drupe's start-up is over.
            console.startup_done()
        return self._manager

    @overload
    def create_session(
        self,
        session_class: None = None,
        *,
        project_path: Path | None = None,
        plugins: Iterable[Any] = (),
        **kwargs: Any,
    ) -> Session: ...

    @overload
    def create_session(
        self,
        session_class: type[S],
        *,
        project_path: Path | None = None,
        plugins: Iterable[Any] = (),
        **kwargs: Any,
    ) -> S: ...

    def create_session(
        self,
        session_class: type[AbstractSession] | None = None,
        *,
        project_path: Path | None = None,
        plugins: Iterable[Any] = (),
        **kwargs: Any,
    ) -> AbstractSession:
        """``session_class.create(...)`` (default `Session`) with the global options applied."""
        if session_class is None:
            from drupe.session import Session

            session_class = Session
        ctx = click.get_current_context(silent=True)
        cli_plugin = CliContextPlugin(
            command_path=ctx.command_path if ctx else "drupe",
            arguments=list(sys.argv[1:]),
            params={k: _jsonable(v) for k, v in (ctx.params.items() if ctx else ())},
        )
        session = session_class.create(
            project_path=project_path or self.project_path,
            plugins=[cli_plugin, *plugins],
            disable_plugins=self.disable_plugins,
            **kwargs,
        )
        self._apply_project_logging(session)
        return session

    def _apply_project_logging(self, session: AbstractSession) -> None:
        """``conf/logging.yml`` (or ``$DRUPE_LOGGING_CONFIG``), once per invocation."""
        if self._logging_applied:
            return
        self._logging_applied = True
        from drupe.cli.logging_setup import configure_project_logging

        root = session.project.root if session.project is not None else None
        try:
            configure_project_logging(root, verbose=self.verbose, quiet=self.quiet)
        except BaseException:
            session.close()
            raise


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


pass_state = click.make_pass_decorator(CliState, ensure=True)
