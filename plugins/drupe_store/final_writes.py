"""Writing the last records of a run or a session even when the store is busy.

SQLite waits up to the busy timeout for another process's lock; a record
written at the end of a run must not be lost because a reader of a big
history, a backup or a stuck process held the lock a little longer. So
`persist` tries again with growing pauses (`BACKOFF_S`: about 15 s beyond
the busy timeout in all), and if the store still refuses, it logs one
ERROR line naming the record, what it would have said, and what a later
``drupe sessions list`` will show: the session owner's process is then gone,
so a record left ``open``/``running`` is reported ``interrupted``, never
``running`` forever.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from drupe_store.records import RunIdTakenError

_log = logging.getLogger("drupe_store")

#: Pauses between the attempts after the first one failed (seconds).
BACKOFF_S: Sequence[float] = (0.5, 1.0, 2.0, 4.0, 8.0)


def persist(
    write: Callable[[Mapping[str, Any]], None],
    record: Mapping[str, Any],
    *,
    backoff: Sequence[float] = BACKOFF_S,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Write ``record``, retrying a failing store; ``False`` and one ERROR log if it fails."""
    error: Exception | None = None
    for attempt, pause in enumerate((0.0, *backoff)):
        if pause:
            sleep(pause)
        try:
            write(record)
            if attempt:
                _log.warning("drupe_store: recorded %s after %d retries", _what(record), attempt)
            return True
        except RunIdTakenError:
            raise
        except Exception as exc:
            error = exc
    _log.error(
        "drupe_store: could not record %s (status %s) after %d attempts: %s: %s; the history "
        "will show it as interrupted once this process ends — free the store (another process "
        "holds its lock?) or raise SESSION_STORE_ARGS['busy_timeout']",
        _what(record),
        record.get("status"),
        len(backoff) + 1,
        type(error).__name__,
        error,
    )
    return False


def _what(record: Mapping[str, Any]) -> str:
    if "run_id" in record:
        return f"run {record['run_id']} of session {record.get('session_id')}"
    return f"session {record.get('session_id')}"


__all__ = ["BACKOFF_S", "persist"]
