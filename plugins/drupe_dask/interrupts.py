"""SIGTERM during a Dask run behaves like Ctrl-C: the run's tasks are cancelled, the run recorded.

A scheduler (systemd, Kubernetes, a CI job's timeout) stops a process with
SIGTERM, whose default action kills it on the spot: the cluster's tasks
would run on and the session store would keep the run as ``running``.
While a run waits for the cluster, `terminate_as_interrupt` turns SIGTERM
into `Terminated`, a `KeyboardInterrupt`, so the same clean-up as for
Ctrl-C runs and the store records the run ``interrupted``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM while a run was waiting for its nodes."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated("the run was stopped by SIGTERM")


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Inside the block, SIGTERM raises `Terminated` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
