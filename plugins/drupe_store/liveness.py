"""Telling an open session from one whose process died.

A session is written with status ``open`` at create and rewritten at close.
If its process is killed in between (``kill -9``, out of memory, a power
cut), the record stays ``open`` forever. So each record names its owner --
host name, process id and, where the OS tells, the process start time (which
makes a recycled pid harmless) -- and readers report an ``open`` session as
``interrupted`` when its owner, on this host, no longer runs.

Records owned by another host are reported as written: this host cannot see
that host's processes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def hostname() -> str:
    uname = getattr(os, "uname", None)  # POSIX: the same name, without importing socket
    if uname is not None:
        return str(uname().nodename)
    import socket

    return socket.gethostname()


def process_start(pid: int) -> str | None:
    """An opaque token for when process ``pid`` started, or ``None`` if the OS does not say.

    Linux: field 22 of ``/proc/<pid>/stat`` (clock ticks since boot).
    """
    state_and_start = _proc_stat(pid)
    return None if state_and_start is None else state_and_start[1]


def _proc_stat(pid: int) -> tuple[str, str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    if len(fields) < 20:
        return None
    return fields[0], fields[19]  # state, starttime


def owner() -> dict[str, Any]:
    """The owner fields of a record written by this process."""
    pid = os.getpid()
    return {"hostname": hostname(), "pid": pid, "process_start": _own_start(pid)}


@lru_cache(maxsize=4)
def _own_start(pid: int) -> str | None:
    return process_start(pid)


def owner_alive(record: Mapping[str, Any]) -> bool | None:
    """``True``/``False`` when this host can tell, ``None`` when it cannot."""
    if record.get("hostname") != hostname():
        return None
    pid = record.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # the process exists and belongs to another user
    except OSError:
        return None
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, start = stat
    if state in ("Z", "X"):  # killed, not yet reaped by its parent
        return False
    recorded = record.get("process_start")
    return not (recorded is not None and recorded != start)  # a different process got the pid


class AliveCache:
    """`owner_alive` answers for one listing: each owner process is looked at once."""

    def __init__(self) -> None:
        self._known: dict[tuple[Any, Any, Any], bool | None] = {}

    def __call__(self, record: Mapping[str, Any]) -> bool | None:
        key = (record.get("hostname"), record.get("pid"), record.get("process_start"))
        if key not in self._known:
            self._known[key] = owner_alive(record)
        return self._known[key]


def effective_status(
    record: Mapping[str, Any], alive: Callable[[Mapping[str, Any]], bool | None] | None = None
) -> str:
    """The status to report: ``interrupted`` for an ``open`` session whose process is gone."""
    status = str(record.get("status", "open"))
    if status == "open" and (alive or owner_alive)(record) is False:
        return "interrupted"
    return status


def with_effective_status(
    record: Mapping[str, Any], alive: Callable[[Mapping[str, Any]], bool | None] | None = None
) -> dict[str, Any]:
    """A copy of a session record (and its runs) with the reported status.

    A run still ``running`` in a session that is no longer ``open`` (its final
    record could not be written) or whose process is gone is ``interrupted``.
    """
    copy = dict(record)
    status = effective_status(record, alive)
    copy["status"] = status
    if "runs" in copy:
        copy["runs"] = [
            {**run, "status": "interrupted"}
            if run.get("status") == "running" and (status != "open" or owner_alive(run) is False)
            else run
            for run in copy["runs"]
        ]
    return copy


def run_with_effective_status(run: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a run record: ``interrupted`` when it is ``running`` and its process is gone."""
    copy = dict(run)
    if copy.get("status") == "running" and owner_alive(run) is False:
        copy["status"] = "interrupted"
    return copy
