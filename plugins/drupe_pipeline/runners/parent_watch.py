"""Worker processes end when the process that started them is gone, however it died.

A `ProcessPoolExecutor` worker waits on its call queue; when the parent
dies without closing the pool (``kill -9``, an out-of-memory kill, a SIGTERM
with no handler), the worker may block for a long time, holding memory,
files and locks. Each worker therefore runs `watch_parent` from its
initializer: a daemon thread that checks every `POLL_S` seconds whether the
parent still runs and ends the worker with `os._exit` when it does not.

The parent is named by pid *and* start time (`parent_token`), so a pid
recycled by an unrelated process does not keep a worker alive, and the check
works under every start method (under ``forkserver`` the worker's OS parent
is the fork server, not the run's process). A parent killed but not yet
reaped (a zombie) counts as gone.
"""

from __future__ import annotations

import os
import threading
import time

#: Seconds between two checks: a worker outlives its parent by at most about this.
POLL_S = 0.25

#: Exit status of a worker that ended because its parent was gone.
ORPHAN_EXIT = 3


def _stat(pid: int) -> tuple[str, str] | None:
    """``(state, start time)`` from ``/proc/<pid>/stat`` (Linux), else ``None``."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (fields[0], fields[19]) if len(fields) > 19 else None


def parent_token() -> tuple[int, str | None]:
    """Who the workers should outlive at most: this process (pid, start time)."""
    pid = os.getpid()
    stat = _stat(pid)
    return pid, (stat[1] if stat else None)


def alive(token: tuple[int, str | None]) -> bool:
    """Whether the process ``token`` names still runs."""
    pid, started = token
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists; owned by another user (cannot happen for our parent, but be safe)
    except OSError:
        return True  # cannot tell (e.g. no kill on this platform): keep working
    stat = _stat(pid)
    if stat is None:
        return True
    state, start = stat
    if state in ("Z", "X"):
        return False
    return started is None or start == started


def watch_parent(token: tuple[int, str | None], poll_s: float = POLL_S) -> threading.Thread:
    """Start the daemon thread that ends this process once ``token``'s process is gone."""

    def watch() -> None:
        while alive(token):
            time.sleep(poll_s)
        os._exit(ORPHAN_EXIT)

    thread = threading.Thread(target=watch, name="drupe-parent-watch", daemon=True)
    thread.start()
    return thread
