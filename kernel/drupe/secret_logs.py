"""Secrets kept out of the log records of the process while a session that knows them is open.

Every open session publishes what it knows is secret (`publish`, by its
`drupe.SessionSecrets`); closing it withdraws that (`withdraw`). While
anything is published, a log record factory (`logging.setLogRecordFactory`)
scrubs every record as it is made, on whichever thread and by whichever
logger: the message *after* formatting (``msg % args``), the exception's
arguments and its formatted traceback, and the stack information. Nothing
is installed until a session publishes a secret, and the previous factory
is put back once the last one withdraws.

Why a record factory rather than a filter on handlers: a handler-level
filter only sees the handlers that exist when it is installed, while
``conf/logging.yml``, ``drupe serve`` and the application add theirs later;
the factory sees every record once, whatever handlers then print it.

What is scrubbed is the union of the open sessions' secrets, not only the
secrets of the session on the current thread: a value that one session
knows is secret is replaced in every line the process logs (in a service,
one run's credential quoted by another run's thread is still hidden). Only
open sessions count: their entries are removed at close, so 10,000
sessions one after another leave nothing behind. A session dropped
without ``close()`` keeps its (small) entry until the process ends.

Other processes have their own ``logging``: a worker process scrubs its
records while a task runs inside `scrubbed_logs`, given the values with
the task (the bundled parallel runner does). Not covered: attributes
passed with ``extra=`` (set after the factory runs), and text written to
stderr without ``logging``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from drupe.secrets import SecretScrubber

_lock = threading.Lock()
_published: dict[int, SecretScrubber] = {}
#: What every open session knows, read (without the lock) by each record made.
_union = SecretScrubber()
#: The factory that was in place before ours (``None`` while ours is not installed).
_previous: Callable[..., logging.LogRecord] | None = None
_traceback_formatter = logging.Formatter()


def publish(owner: object, scrubber: SecretScrubber) -> None:
    """What ``owner`` (one session) knows is secret now; replaces what it published before."""
    with _lock:
        if scrubber:
            _published[id(owner)] = scrubber
        elif _published.pop(id(owner), None) is None:
            return
        _refresh()


def withdraw(owner: object) -> None:
    """Forget what ``owner`` published (it closed)."""
    with _lock:
        if _published.pop(id(owner), None) is not None:
            _refresh()


@contextlib.contextmanager
def scrubbed_logs(values: Iterable[Any]) -> Iterator[SecretScrubber]:
    """Scrub ``values`` from this process's log records while the block runs.

    For code that runs for a session away from it: a worker process's task
    (the parallel runner sends the session's secret values with each node),
    where no session of this process knows them.
    """
    scrubber = SecretScrubber(values)
    owner = object()
    publish(owner, scrubber)
    try:
        yield scrubber
    finally:
        withdraw(owner)


def current() -> SecretScrubber:
    """The scrubber log records get now: every open session's secrets."""
    return _union


def published_count() -> int:
    """How many sessions have secrets published (a measure that must not grow)."""
    return len(_published)


def _refresh() -> None:
    """Recompute the union and install or remove the factory (called with the lock held)."""
    global _union, _previous
    _union = SecretScrubber.union(_published.values())
    installed = logging.getLogRecordFactory()
    if _union and installed is not _scrubbing_factory:
        _previous = installed
        logging.setLogRecordFactory(_scrubbing_factory)
    elif not _union and installed is _scrubbing_factory:
        logging.setLogRecordFactory(_previous or logging.LogRecord)
        _previous = None
    # Not installed by us any more (someone wrapped ours): ours stays inside theirs,
    # passing records through untouched once nothing is published.


def _scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = (_previous or logging.LogRecord)(*args, **kwargs)
    scrubber = _union
    if scrubber:
        scrub_record(record, scrubber)
    return record


def scrub_record(record: logging.LogRecord, scrubber: SecretScrubber) -> None:
    """Replace the secrets ``scrubber`` knows in ``record``, in place.

    The message is formatted first, so a secret inside an argument's
    ``str()`` (an exception, a config object) is found; it is replaced only
    when it holds a secret, so structured ``args`` survive otherwise.
    """
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports it when it prints the record
        message = None
    if message is not None:
        clean = scrubber.text(message)
        if clean != message:
            record.msg, record.args = clean, None
    exc_info = record.exc_info
    if exc_info and exc_info[1] is not None:
        scrubber.exception(exc_info[1])
        try:
            shown = _traceback_formatter.formatException(exc_info)
        except Exception:  # a broken __str__: the handler will say so itself
            shown = None
        if shown is not None:
            clean = scrubber.text(shown)
            if clean != shown:  # a message not made from args (a custom __str__)
                record.exc_text = clean
    if record.stack_info:
        record.stack_info = scrubber.text(record.stack_info)
