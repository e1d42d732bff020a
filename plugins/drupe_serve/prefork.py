"""``drupe serve --workers N``: N processes accepting on one listening socket.

The parent binds the socket (and settles the token) once, then forks N
workers before any session exists: each worker opens its own
`drupe.ServiceSession` (and its own connection to the store, which is
safe across processes) and serves on the inherited socket; the kernel
spreads new connections among them.

The parent only supervises. It turns the first SIGINT or SIGTERM it gets
into ``stop`` for every worker (their graceful stop) and any later one into
``stop_now`` (their runs are interrupted; see server.py). Workers listen to
those words only: they run in their own process group, so a Ctrl-C at the
terminal reaches the parent alone, and they ignore SIGINT and SIGTERM, which
a service manager may also send to every process (systemd's default), so
one stop is never counted twice. If a worker dies
on its own, the others are stopped gracefully and the parent exits with a
failure, rather than serving on at a fraction of its capacity unnoticed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable
from types import FrameType

import drupe

_log = logging.getLogger("drupe_serve")


def run_workers(count: int, serve_one: Callable[[], int], *, stop: int, stop_now: int) -> int:
    """Fork ``count`` workers running ``serve_one`` (returns an exit status); the worst status.

    The first SIGINT or SIGTERM the parent gets becomes ``stop`` for every
    worker, any later one ``stop_now``.
    """
    if not hasattr(os, "fork"):
        raise OSError("--workers above 1 needs os.fork (POSIX)")
    children: set[int] = set()
    # Held back: in the parent until its forwarding handlers are in place; in a
    # worker until its server has its own (`DrupeServer.capture_signals`), so a
    # stop sent while a worker starts is taken when it can be, not fatal.
    handled = {signal.SIGINT, signal.SIGTERM, stop, stop_now}
    signal.pthread_sigmask(signal.SIG_BLOCK, handled)
    for _ in range(count):
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: serve, then leave without running the parent's cleanup
            status = 1
            try:
                os.setpgid(0, 0)
                status = serve_one()
            except SystemExit as exc:
                status = exc.code if isinstance(exc.code, int) else 1
            except drupe.DrupeError as exc:  # one line, as the CLI prints it
                sys.stderr.write(f"Error: {exc}\n")
                status = exc.exit_code
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        children.add(pid)
    return _supervise(children, stop, stop_now)


def _supervise(children: set[int], stop: int, stop_now: int) -> int:
    signalled = False

    def forward(sig: int, frame: FrameType | None) -> None:
        nonlocal signalled
        word = stop_now if signalled else stop
        signalled = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, word)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM, stop, stop_now})
    worst = 0
    try:
        while children:
            pid, wait_status = os.waitpid(-1, 0)
            if pid not in children:
                continue
            children.discard(pid)
            status = os.waitstatus_to_exitcode(wait_status)
            status = 128 - status if status < 0 else status
            worst = max(worst, status)
            if not signalled and children:
                _log.error("worker %d exited with status %d: stopping the others", pid, status)
                worst = max(worst, 1)
                forward(signal.SIGTERM, None)  # the first word: a graceful stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return worst
