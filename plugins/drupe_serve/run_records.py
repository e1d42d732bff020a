"""Where ``GET /runs/{id}`` finds a run: the session's store, else the app's recent memory.

The store (``drupe_store``) is the record that outlives the process. The app
also remembers its most recent runs in a bounded map: it answers for runs
still in flight, and is all there is when the session has no store. It is
bounded so that a service up for months keeps flat memory.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import drupe

_log = logging.getLogger("drupe_serve")


class RecentRuns:
    """A thread-safe map of the last ``capacity`` run records, oldest dropped first."""

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError("capacity must be >= 0")
        self._capacity = capacity
        self._lock = threading.Lock()
        self._records: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def put(self, record: Mapping[str, Any]) -> None:
        if self._capacity == 0:
            return
        run_id = str(record["run_id"])
        with self._lock:
            self._records[run_id] = dict(record)
            self._records.move_to_end(run_id)
            while len(self._records) > self._capacity:
                self._records.popitem(last=False)

    def get(self, run_id: str) -> dict[str, Any] | None:
        with self._lock:
            record = self._records.get(run_id)
            return dict(record) if record is not None else None

    def __contains__(self, run_id: object) -> bool:
        with self._lock:
            return run_id in self._records

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)


def store_finds_runs_by_id(session: drupe.AbstractSession) -> bool:
    """Whether the session's store answers ``get_run(run_id)`` (no scan of the session's runs)."""
    return callable(getattr(session.store, "get_run", None))


def stored_run(session: drupe.AbstractSession, run_id: str) -> Mapping[str, Any] | None:
    """The store's record of ``run_id``, or ``None`` (no store, unknown id, or a failing store).

    A store with ``get_run(run_id)`` is asked directly. The kernel's
    `drupe.SessionStore` contract only promises ``get_session(id)["runs"]``,
    so without ``get_run`` this session's runs are searched.
    """
    store = session.store
    if store is None:
        return None
    try:
        get_run = getattr(store, "get_run", None)
        if callable(get_run):
            record = get_run(run_id)
            return record if isinstance(record, Mapping) else None
        session_record = store.get_session(session.session_id)
        for run in (session_record or {}).get("runs") or ():
            if isinstance(run, Mapping) and run.get("run_id") == run_id:
                return run
    except Exception as exc:  # a lookup must not fail because the store is closing or broken
        _log.warning(
            "the session store could not be read for run %s: %s: %s",
            run_id,
            type(exc).__name__,
            exc,
        )
    return None
