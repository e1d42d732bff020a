"""Writing a session's history through the lifecycle hooks.

What one session's hooks must remember between calls (its record, the start
of each run) lives in a `SessionRecorder`, held by that session's instance of
the store plugin (`drupe_store.hooks.StorePlugin`): it goes away with the
session, and two sessions never share one.

The git dirty flag is found in a background thread (`GitProbe`): the record
written at create says ``"dirty": null`` unless an earlier session of the
process already knew the answer, and the record written at close waits for
it (at most `GIT_WAIT_S` seconds).

Write failures: the record written at create must land (a broken store fails
the session before any work is done). Later writes are logged and swallowed,
so a full disk never turns a finished run into a failure, nor hides the
exception a failing run raised.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import drupe
from drupe_store import records
from drupe_store.gitinfo import GitProbe
from drupe_store.masking import SecretMask
from drupe_store.options import StoreOptions

_log = logging.getLogger("drupe_store")

#: How long the record written at close waits for ``git status`` (then ``dirty`` is unknown).
GIT_WAIT_S = 10.0


class SessionRecorder:
    """Everything one session writes, in order: create, each run, close."""

    def __init__(self, session: drupe.AbstractSession, store: drupe.SessionStore) -> None:
        options = StoreOptions.from_settings(session.settings, None)
        self.store = store
        #: The plugin that answered ``open_store`` (the one to name when the store fails).
        self.provider = session.plugin_manager.owner_of(store, hook="open_store")
        self.mask = SecretMask(options.mask_keys)
        self.git = GitProbe.started(session.project_path)
        self.record = records.session_record(session, self.mask, self.git.current())
        self._runs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def created(self) -> None:
        try:
            self.store.save_session(self.record)
        except drupe.DrupeError:
            raise
        except Exception as exc:
            provider = self.provider or "store"
            raise drupe.StoreError(
                f"could not record session {self.record['session_id']} in "
                f"{type(self.store).__qualname__} (plugin {provider!r}): "
                f"{type(exc).__name__}: {exc}; fix the store or disable it with -p no:{provider}",
                plugin=provider,
            ) from exc

    def run_started(self, run: drupe.RunRequest) -> None:
        record = records.run_record(run, self.mask, records.now())
        with self._lock:
            self._runs[run.run_id] = record
        self._save_run(record)

    def run_finished(
        self,
        run: drupe.RunRequest,
        *,
        outputs: Mapping[str, Any] | None = None,
        error: BaseException | None = None,
        hook_error: tuple[str, BaseException] | None = None,
    ) -> None:
        """Write the run's final record; ``hook_error`` is another plugin's failure to note."""
        with self._lock:
            started = self._runs.pop(run.run_id, None)
        if started is None:  # before_run of another plugin raised before ours ran
            started = records.run_record(run, self.mask, records.now())
        record = records.finished_run(started, outputs=outputs, error=error)
        if hook_error is not None:
            record = records.with_hook_error(record, *hook_error)
        self._save_run(record)

    def closed(
        self,
        exception: BaseException | None,
        hook_error: tuple[str, BaseException] | None = None,
    ) -> None:
        self.record = records.closed_record(self.record, exception)
        if hook_error is not None:
            self.record = records.with_hook_error(self.record, *hook_error)
        self.record["git"] = self.git.final(GIT_WAIT_S)
        self._quietly(self.store.save_session, self.record)

    def _save_run(self, record: Mapping[str, Any]) -> None:
        self._quietly(self.store.save_run, record)

    def _quietly(self, write: Any, record: Mapping[str, Any]) -> None:
        try:
            write(record)
        except Exception as exc:
            _log.error(
                "drupe_store: could not record %s of session %s: %s: %s",
                "run " + str(record["run_id"]) if "run_id" in record else "the close",
                self.record["session_id"],
                type(exc).__name__,
                exc,
            )
