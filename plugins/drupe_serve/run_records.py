"""Where ``GET /runs/{id}`` finds a run: the session's store, else the app's recent memory.

The store (``drupe_store``) is the record that outlives the process. The app
also remembers its most recent runs in a bounded map: it answers for runs
still in flight, and is all there is when the session has no store. It is
bounded so that a service up for months keeps flat memory.

Both sources answer ``GET /runs/{id}`` in one shape, `RUN_VIEW_FIELDS`
(documented in docs/service.md): a client must not have to know where a
record came from. The view carries the error's *type* only, as the 500
answer does: a store keeps the message and traceback, which may hold a
credential, for the operator.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import drupe
from drupe_serve.outputs import jsonable

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

    def discard(self, run_id: str) -> None:
        with self._lock:
            self._records.pop(run_id, None)

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


#: The keys of every ``GET /runs/{id}`` answer, whichever source it came from.
RUN_VIEW_FIELDS = (
    "run_id",
    "session_id",
    "status",
    "pipelines",
    "started_at",
    "finished_at",
    "duration_ms",
    "error_type",
    "source",
)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value else None


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(name) for name in value]
    return []


def _short_type(value: Any) -> str | None:
    """``drupe_pipeline.errors.NodeError`` -> ``NodeError``, as the 500 answer names it."""
    if isinstance(value, Mapping):
        value = value.get("type")
    if value is None:
        return None
    return str(value).rsplit(".", 1)[-1]


def memory_run_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """The view of a record the app keeps in memory."""
    view = {
        "run_id": str(record["run_id"]),
        "session_id": _text(record.get("session_id")),
        "status": str(record.get("status") or "running"),
        "pipelines": _names(record.get("pipelines")),
        "started_at": _text(record.get("started_at")),
        "finished_at": _text(record.get("finished_at")),
        "duration_ms": _number(record.get("duration_ms")),
        "error_type": _text(record.get("error_type")),
        "source": "memory",
    }
    result: dict[str, Any] = jsonable(view)
    return result


def store_run_view(record: Mapping[str, Any], run_id: str) -> dict[str, Any]:
    """The view of a store's run record (drupe_store's shape; other stores' keys if they match)."""
    request = record.get("request")
    request = request if isinstance(request, Mapping) else {}
    pipelines = request.get("pipeline_names", record.get("pipelines"))
    seconds = _number(record.get("duration_s"))
    duration_ms = round(seconds * 1000, 3) if seconds is not None else None
    if duration_ms is None:
        duration_ms = _number(record.get("duration_ms"))
    error_type = _short_type(record.get("error")) or _text(record.get("error_type"))
    view = {
        "run_id": str(record.get("run_id") or run_id),
        "session_id": _text(record.get("session_id")),
        "status": str(record.get("status") or "running"),
        "pipelines": _names(pipelines),
        "started_at": _text(record.get("started_at")),
        "finished_at": _text(record.get("finished_at")),
        "duration_ms": duration_ms,
        "error_type": error_type,
        "source": "store",
    }
    result: dict[str, Any] = jsonable(view)
    return result
