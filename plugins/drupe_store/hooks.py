"""`StorePlugin`: the hook implementations of the ``store`` plugin, one instance per session.

Cheap to import (``drupe --help`` imports every enabled plugin): the
recorder, the backends and the CLI, with their sqlite3, subprocess and
socket imports, load when a session first needs them.

Recording never depends on registration order. The final records are
written from hook *wrappers* (pluggy's ``wrapper=True``), which run around
every other plugin's implementation of ``after_run``, ``on_run_error`` and
``after_close``: whatever those raise, the run and the session are
finalised, with the failure noted in ``hook_errors``, and a successful run
stays ``succeeded``, a closed session ``closed``.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

import drupe
from drupe_store.options import DECLARATION, StoreOptions

if TYPE_CHECKING:
    from drupe_store.recorder import SessionRecorder


class StorePlugin:
    """Opens the session's store and writes its history at create, around runs and at close."""

    def __init__(self) -> None:
        self.recorder: SessionRecorder | None = None

    @drupe.hookimpl(optionalhook=True)
    def declare_settings(self) -> dict[str, dict[str, Any]]:
        return DECLARATION

    @drupe.hookimpl(trylast=True)
    def open_store(self, project: drupe.Project | None, settings: Any) -> drupe.SessionStore | None:
        """SQLite under ``<project root>/.drupe/`` (or as ``SESSION_STORE_ARGS`` says).

        No project root and no absolute ``path`` option: ``None``, the session
        runs and nothing is persisted (an embedding without a project on disk
        decides itself where history goes, if anywhere).
        """
        from drupe_store.history import open_backend

        root = project.root if project is not None else None
        return open_backend(StoreOptions.from_settings(settings, root))

    @drupe.hookimpl
    def after_session_created(self, session: drupe.AbstractSession) -> None:
        store = session.store
        if store is None:  # save_on_close=False, or no store could be placed
            return
        from drupe_store.recorder import SessionRecorder

        recorder = SessionRecorder(session, store)
        recorder.created()
        self.recorder = recorder

    @drupe.hookimpl(tryfirst=True)
    def before_run(self, session: drupe.AbstractSession, run: drupe.RunRequest) -> None:
        if self.recorder is not None:
            self.recorder.run_started(run)

    @drupe.hookimpl(wrapper=True)
    def after_run(
        self, session: drupe.AbstractSession, run: drupe.RunRequest, result: Any
    ) -> Generator[None, Any, Any]:
        outputs = result if isinstance(result, dict) else None
        try:
            outcome = yield
        except Exception as exc:
            session.plugin_manager.attribute(exc, "after_run")  # name the plugin in the record
            self._run_finished(run, outputs=outputs, hook_error=("after_run", exc))
            raise
        self._run_finished(run, outputs=outputs)
        return outcome

    @drupe.hookimpl(wrapper=True)
    def on_run_error(
        self, session: drupe.AbstractSession, run: drupe.RunRequest, error: BaseException
    ) -> Generator[None, Any, Any]:
        try:
            return (yield)
        finally:
            self._run_finished(run, error=error)  # the run's own error, never the hook's

    @drupe.hookimpl(wrapper=True)
    def after_close(self, session: drupe.AbstractSession) -> Generator[None, Any, Any]:
        recorder, self.recorder = self.recorder, None
        try:
            outcome = yield
        except Exception as exc:
            session.plugin_manager.attribute(exc, "after_close")
            if recorder is not None:
                recorder.closed(session.exception, hook_error=("after_close", exc))
            raise
        if recorder is not None:
            recorder.closed(session.exception)
        return outcome

    @drupe.hookimpl(optionalhook=True)
    def after_runner_started(self, runner: str, details: Any, run_id: str) -> None:
        """A runner said where the nodes run (the pipeline plugin's hook): kept with the run."""
        if self.recorder is not None:
            self.recorder.runner_started(run_id, runner, details)

    @drupe.hookimpl
    def cli_commands(self) -> Sequence[Any]:
        from drupe.cli import LazyCommand

        return [
            LazyCommand(
                "sessions", "drupe_store.cli:sessions", "List, show and rerun recorded sessions."
            )
        ]

    def _run_finished(self, run: drupe.RunRequest, **kwargs: Any) -> None:
        if self.recorder is not None:
            self.recorder.run_finished(run, **kwargs)
