"""The hook implementations of the ``store`` plugin.

Cheap to import (``drupe --help`` imports every enabled plugin): the
recorder, the backends and the CLI, with their sqlite3, subprocess and
socket imports, load when a session first needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import drupe
from drupe_store.options import DECLARATION, StoreOptions


@drupe.hookimpl(optionalhook=True)
def declare_settings() -> dict[str, dict[str, Any]]:
    return DECLARATION


@drupe.hookimpl(trylast=True)
def open_store(project: drupe.Project | None, settings: Any) -> drupe.SessionStore | None:
    """SQLite under ``<project root>/.drupe/`` (or as ``SESSION_STORE_ARGS`` says).

    No project root and no absolute ``path`` option: ``None``, the session
    runs and nothing is persisted (an embedding without a project on disk
    decides itself where history goes, if anywhere).
    """
    from drupe_store.history import open_backend

    root = project.root if project is not None else None
    return open_backend(StoreOptions.from_settings(settings, root))


@drupe.hookimpl
def after_session_created(session: drupe.AbstractSession) -> None:
    from drupe_store.recorder import start_recording

    start_recording(session)


@drupe.hookimpl
def before_run(session: drupe.AbstractSession, run: drupe.RunRequest) -> None:
    from drupe_store.recorder import recorder_of

    recorder = recorder_of(session)
    if recorder is not None:
        recorder.run_started(run)


@drupe.hookimpl
def after_run(session: drupe.AbstractSession, run: drupe.RunRequest, result: Any) -> None:
    from drupe_store.recorder import recorder_of

    recorder = recorder_of(session)
    if recorder is not None:
        recorder.run_finished(run, outputs=result if isinstance(result, dict) else None)


@drupe.hookimpl
def on_run_error(
    session: drupe.AbstractSession, run: drupe.RunRequest, error: BaseException
) -> None:
    from drupe_store.recorder import recorder_of

    recorder = recorder_of(session)
    if recorder is not None:
        recorder.run_finished(run, error=error)


@drupe.hookimpl(optionalhook=True)
def after_runner_started(runner: str, details: Any, run_id: str, session_id: str) -> None:
    """A runner said where the nodes run (the pipeline plugin's hook): kept with the run.

    Called in the thread running the run, where that run's session is the current one.
    """
    from drupe_store.recorder import recorder_of

    try:
        session = drupe.get_current_session()
    except drupe.SessionError:
        return
    recorder = recorder_of(session) if session.session_id == session_id else None
    if recorder is not None:
        recorder.runner_started(run_id, runner, details)


@drupe.hookimpl
def after_close(session: drupe.AbstractSession) -> None:
    from drupe_store.recorder import stop_recording

    stop_recording(session)


@drupe.hookimpl
def cli_commands() -> Sequence[Any]:
    from drupe.cli import LazyCommand

    return [
        LazyCommand(
            "sessions", "drupe_store.cli:sessions", "List, show and rerun recorded sessions."
        )
    ]
