"""Accepted runs, from admission to answer: what makes "no accepted run is ever lost" hold.

A `Ticket` is issued when ``POST /runs`` admits a run and lives until the
thread that executes it is done. It carries the one answer its client will
get (an asyncio future resolved exactly once: by the run's own result, or
earlier by a timeout or an interruption), and whether the run may still
start. The `Tickets` registry is what shutdown drains, what refuses a
``run_id`` already in flight (409), and what frees the ``max_in_flight``
slot when the thread (not the client) is done.

A run cut off early, because its ``timeout`` passed or the service stopped
before it finished, cannot be killed in its thread. So:

* its client is answered at once, with JSON saying why;
* the store gets the record a finished run would have (``failed`` with
  ``RunTimeout``, or ``interrupted`` with the reason), written here, also for
  a queued run that never started (which then never starts);
* `RunStops`, registered on the session as a plugin, acts at the run's next
  node boundary (before or after a node): a timed-out run raises
  `RunTimeout` there, so its thread ends soon and the store's own record of
  it agrees (``failed``, ``RunTimeout``); an interrupted run's thread stops
  there for good, writing nothing more, while the process exits without
  waiting for it (see server.py).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

import drupe
from drupe_serve.run_body import RunBody

_log = logging.getLogger("drupe_serve")


class RunStopped(BaseException):
    """Raised in a run's thread at a node boundary once the service gave up on the run.

    A `BaseException` (like `KeyboardInterrupt`), so that runners do not wrap
    it as a node's failure: the run ends with it.
    """


class RunTimeout(RunStopped):
    """The run took longer than its ``timeout`` (or the server's ``--run-timeout``)."""


class RunInterrupted(RunStopped):
    """The service stopped before the run finished."""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class Ticket:
    """One accepted run: its request, its state, and its client's answer."""

    __slots__ = (
        "answer",
        "body",
        "run_id",
        "started",
        "started_at",
        "state",
        "stop",
        "timeout",
        "timer",
    )

    def __init__(
        self, run_id: str, body: RunBody, answer: asyncio.Future[tuple[int, bytes]]
    ) -> None:
        self.run_id = run_id
        self.body = body
        self.answer = answer
        self.state = "queued"  # queued -> running -> done; "abandoned" if stopped while queued
        self.stop: RunStopped | None = None
        self.timeout: float | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.started = time.perf_counter()
        self.started_at = now_iso()


class Tickets:
    """The tickets of runs accepted and not yet done (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tickets: dict[str, Ticket] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._tickets)

    def __contains__(self, run_id: object) -> bool:
        with self._lock:
            return run_id in self._tickets

    def add(self, ticket: Ticket, limit: int) -> str | None:
        """Admit ``ticket``; or say why not: ``"busy"`` or ``"taken"``."""
        with self._lock:
            if ticket.run_id in self._tickets:
                return "taken"
            if len(self._tickets) >= limit:
                return "busy"
            self._tickets[ticket.run_id] = ticket
            return None

    def discard(self, run_id: str) -> None:
        with self._lock:
            self._tickets.pop(run_id, None)

    def get(self, run_id: str) -> Ticket | None:
        with self._lock:
            return self._tickets.get(run_id)

    def start(self, ticket: Ticket) -> bool:
        """In the worker thread: whether the run may start (not stopped while queued)."""
        with self._lock:
            if ticket.stop is not None:
                ticket.state = "abandoned"
                return False
            ticket.state = "running"
            return True

    def stop(self, ticket: Ticket, stop: RunStopped) -> str | None:
        """Give up on ``ticket``: its state when stopped (``None``: it had finished)."""
        with self._lock:
            if ticket.state == "done" or ticket.stop is not None:
                return None
            ticket.stop = stop
            return ticket.state

    def finish(self, ticket: Ticket) -> None:
        with self._lock:
            ticket.state = "done"

    def unanswered(self) -> int:
        """Accepted runs the service has not given up on and that are not done."""
        with self._lock:
            return sum(1 for t in self._tickets.values() if t.stop is None and t.state != "done")

    def snapshot(self) -> list[Ticket]:
        with self._lock:
            return list(self._tickets.values())

    def stopped(self, run_id: str) -> RunStopped | None:
        with self._lock:
            ticket = self._tickets.get(run_id)
            return ticket.stop if ticket is not None else None


class RunStops:
    """A plugin registered on the served session: ends a run the service gave up on.

    Node hooks are called between nodes in the run's own thread; raising
    `RunStopped` there is the one safe way to end a run early.
    """

    def __init__(self, tickets: Tickets) -> None:
        self._tickets = tickets

    def _check(self, run_id: str) -> None:
        stop = self._tickets.stopped(run_id)
        if stop is None:
            return
        if isinstance(stop, RunInterrupted):
            # Recorded "interrupted" already, and the process is about to exit: writing
            # anything more (a "failed" record) would contradict what the client was told.
            threading.Event().wait()
        raise stop

    @drupe.hookimpl
    def before_node_run(self, run_id: str) -> None:
        self._check(run_id)

    @drupe.hookimpl
    def after_node_run(self, run_id: str) -> None:
        self._check(run_id)


def record_stop(
    session: drupe.AbstractSession, ticket: Ticket, status: str, stop: RunStopped
) -> None:
    """Write the record of a run the service gave up on to the session's store (if any).

    A run that started has a record already (written by the store plugin at
    ``before_run``): it is completed. A run that never started gets one.
    """
    store = session.store
    if store is None:
        return
    finished_at = now_iso()
    try:
        get_run = getattr(store, "get_run", None)
        stored: Mapping[str, Any] | None = get_run(ticket.run_id) if callable(get_run) else None
        base: dict[str, Any] = (
            dict(stored)
            if stored
            else {
                "run_id": ticket.run_id,
                "session_id": session.session_id,
                "request": {"pipeline_names": list(ticket.body.pipelines)},
                "runtime_params": {},
                "started_at": None,
                "outputs": [],
            }
        )
        kind = type(stop)
        base.update(
            status=status,
            finished_at=finished_at,
            duration_s=round(time.perf_counter() - ticket.started, 6),
            error={"type": f"{kind.__module__}.{kind.__qualname__}", "message": str(stop)},
        )
        store.save_run(base)
    except Exception as exc:  # the store may be closing: the log still has it
        _log.error(
            "could not record run %s as %s (%s): %s: %s",
            ticket.run_id,
            status,
            stop,
            type(exc).__name__,
            exc,
        )


def iterate_unfinished(tickets: Tickets) -> Iterator[Ticket]:
    for ticket in tickets.snapshot():
        if ticket.state != "done":
            yield ticket
