"""Identifiers for sessions and runs.

An id must sort by creation time (so ``ORDER BY id`` is chronological and a
prefix names a day) and must be unique across threads and processes. A
timestamp alone is not unique: two runs can start in the same microsecond.
So an id is a UTC timestamp with microseconds, then 10 random hex digits
(40 bits from ``os.urandom``), e.g. ``2026-11-25T16.05.05.123456Z-3fa9c01b7e``.

Within one process the timestamps are strictly increasing (a call in the
same microsecond as the previous one takes the next microsecond), so ids made
one after another in a process also sort in the order they were made.
"""

from __future__ import annotations

import os
import threading
import time

_lock = threading.Lock()
_last_us = 0  # the last timestamp handed out, in microseconds since the epoch


def new_id() -> str:
    """Return a fresh, time-sortable, collision-resistant identifier."""
    global _last_us
    with _lock:
        now_us = max(time.time_ns() // 1000, _last_us + 1)
        _last_us = now_us
    seconds, micros = divmod(now_us, 1_000_000)
    t = time.gmtime(seconds)  # formatted by hand: datetime + strftime cost 3% of a session
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}.{t.tm_min:02d}."
        f"{t.tm_sec:02d}.{micros:06d}Z-{os.urandom(5).hex()}"
    )
