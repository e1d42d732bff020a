"""Identifiers for sessions and runs.

An id must sort by creation time (so ``ORDER BY id`` is chronological and a
prefix names a day) and must be unique across threads and processes. A
timestamp alone is not unique: two runs can start in the same microsecond.
So an id is a UTC timestamp with microseconds, then 10 random hex digits
(40 bits from ``os.urandom``), e.g.
``2026-11-25T16.05.05.123456Z-3fa9c01b7e``.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone


def new_id() -> str:
    """Return a fresh, time-sortable, collision-resistant identifier."""
    now = datetime.now(timezone.utc)
    return f"{now:%Y-%m-%dT%H.%M.%S.%f}Z-{os.urandom(5).hex()}"
