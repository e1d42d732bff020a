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
the session before any work is done), and so must a run's claim of its id (a
reused run id is refused before the run starts). Later writes are retried
(`drupe_store.final_writes`), then logged and swallowed, so a busy store or a
full disk never turns a finished run into a failure, nor hides the exception
a failing run raised.

Secrets: every record, the one written at create included, is scrubbed by
value with what the session knows when it is written (``session.secrets``:
at create, the runtime parameters whose key looks secret; from the first
context on, the credentials too; during a run, that run's), on top of the
key-based `SecretMask`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import drupe
from drupe_store import records
from drupe_store.final_writes import persist
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
        self._secrets = session.secrets
        self.record = self._scrubbed(records.session_record(session, self.mask, self.git.current()))
        self._runs: dict[str, dict[str, Any]] = {}
        self._refused: set[str] = set()
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

    def _scrubbed(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` scrubbed with every secret the session knows now (its runs' included)."""
        return records.scrubbed(record, self._secrets.scrubber())

    def run_started(self, run: drupe.RunRequest) -> None:
        """Claim the run id (a reused one is refused: the run does not start) and record it."""
        record = self._scrubbed(records.run_record(run, self.mask, records.now()))
        try:
            records.claim_run(self.store, record)
        except records.RunIdTakenError:
            with self._lock:
                self._refused.add(run.run_id)
            raise
        except Exception as exc:
            self._log_failure(record, exc)
        with self._lock:
            self._runs[run.run_id] = record

    def runner_started(self, run_id: str, runner: str, details: Mapping[str, Any]) -> None:
        """Keep where the run's nodes run (a Dask scheduler) with the run, written at once."""
        with self._lock:
            started = self._runs.get(run_id)
            if started is None:
                return
            record = self._runs[run_id] = records.with_runner(started, runner, details)
        self._save_run(self._scrubbed(record))

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
            if run.run_id in self._refused:  # its id belongs to another run: leave that alone
                self._refused.discard(run.run_id)
                return
        if started is None:  # before_run of another plugin raised before ours ran
            started = records.run_record(run, self.mask, records.now())
            try:
                records.claim_run(self.store, started)
            except records.RunIdTakenError:
                return
            except Exception as exc:
                self._log_failure(started, exc)
        record = records.finished_run(started, outputs=outputs, error=error)
        if hook_error is not None:
            record = records.with_hook_error(record, *hook_error)
        record = self._scrubbed(record)
        with self._lock:
            # The session's total run time: the very figures the run records hold.
            self.record["run_time_s"] = records.add_seconds(
                self.record.get("run_time_s"), record["duration_s"]
            )
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
        self.record = self._scrubbed(self.record)
        self._quietly(self.store.save_session, self.record)

    def _save_run(self, record: Mapping[str, Any]) -> None:
        self._quietly(self.store.save_run, record)

    def _quietly(self, write: Any, record: Mapping[str, Any]) -> None:
        persist(write, record)

    def _log_failure(self, record: Mapping[str, Any], exc: Exception) -> None:
        _log.error(
            "drupe_store: could not record %s of session %s: %s: %s",
            "run " + str(record["run_id"]) if "run_id" in record else "the close",
            self.record["session_id"],
            type(exc).__name__,
            exc,
        )
