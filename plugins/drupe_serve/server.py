"""The uvicorn server of ``drupe serve``: signals, graceful stop, connection timeouts.

uvicorn's own stop does not keep drupe's promise. On SIGTERM it closes the
listening socket and, once ``timeout_graceful_shutdown`` passes, cancels the
requests still waiting, which then get a bare 500, while the runs behind
them go on unseen. So this server takes the signals itself:

* first SIGTERM or SIGINT: the service stops admitting runs (``POST /runs``
  and ``/health`` answer 503 with ``Retry-After``, so a load balancer moves
  on) while it keeps serving the clients it owes an answer; the accepted
  runs, running or queued, finish within ``--graceful-timeout``; each
  client gets its run's real answer; runs still unfinished at the end are
  recorded ``interrupted`` and their clients told so; then uvicorn stops;
* a second signal: every unfinished run is recorded ``interrupted`` at once,
  its client told so, and the process exits with status 1 without waiting
  for the threads.

`TimedH11Protocol` adds the header timeout uvicorn lacks: a connection
that has not sent a complete request head within ``header_timeout`` seconds
of connecting (or of its previous response) is closed, so stalled clients
cannot hold sockets open. uvicorn's keep-alive timeout still closes idle
connections; the body has its own timeout in the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from drupe_serve.app import RunService

_log = logging.getLogger("drupe_serve")

#: Seconds a client has to send a request's head (line and headers).
DEFAULT_HEADER_TIMEOUT = 10.0
#: Seconds an idle keep-alive connection stays open.
DEFAULT_KEEP_ALIVE_TIMEOUT = 5
#: Exit status after a second signal, or runs interrupted by the graceful timeout.
INTERRUPTED_EXIT = 1
#: What the parent of ``--workers`` sends its workers: stop gracefully, and stop now.
STOP = signal.SIGUSR1
STOP_NOW = signal.SIGUSR2


def timed_protocol(header_timeout: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing connections that do not send a request head in time."""

    class TimedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._arm()  # a new request starts: its head has the same time limit
            super().data_received(data)

        def handle_events(self) -> None:
            cycle = self.cycle
            super().handle_events()
            if self.cycle is not cycle:  # a complete request head arrived
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(header_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _too_slow(self) -> None:
            self._head_timer = None
            idle = self.cycle is None or self.cycle.response_complete
            if idle and not self.transport.is_closing():
                self.transport.close()

    return TimedH11Protocol


class DrupeServer(uvicorn.Server):
    """A uvicorn server whose stop drains the `RunService` first (see the module docstring)."""

    def __init__(
        self,
        config: uvicorn.Config,
        service: RunService,
        graceful_timeout: float | None,
        *,
        worker: bool = False,
    ) -> None:
        super().__init__(config)
        self.service = service
        self.graceful_timeout = graceful_timeout
        self.worker = worker
        self.signals = 0
        self.exit_status = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future[None]] = set()

    async def startup(self, sockets: Any = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets=sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Our handlers while serving; nothing is re-raised after.

        A process of its own takes SIGINT and SIGTERM. A worker of
        ``--workers`` takes only its parent's word: `STOP` and `STOP_NOW`
        (and ignores SIGINT and SIGTERM, which a service manager may send to
        every process of the group as well as to the parent; counting both
        would turn one stop into two).
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        if self.worker:
            ignored = (signal.SIGINT, signal.SIGTERM)
            for sig in ignored:
                signal.signal(sig, signal.SIG_IGN)
            for sig in (STOP, STOP_NOW):
                signal.signal(sig, self.handle_exit)
            # The parent blocked them until now: a stop sent while starting arrives here.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {*ignored, STOP, STOP_NOW})
            try:
                yield
            finally:
                for sig in (STOP, STOP_NOW):  # the worker is ending: a late word changes nothing
                    signal.signal(sig, signal.SIG_IGN)
            return
        handlers = {signal.SIGINT: self.handle_exit, signal.SIGTERM: self.handle_exit}
        previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.signals += 1
        loop = self._loop
        if loop is None:  # before start-up finished: nothing accepted yet
            self.should_exit = True
            return
        name = "a second signal" if self.worker else f"a second {signal.Signals(sig).name}"
        if sig == STOP_NOW or (self.signals > 1 and not self.worker):
            loop.call_soon_threadsafe(self._force_stop, name)
        elif self.signals == 1:
            loop.call_soon_threadsafe(self._begin_stop, signal.Signals(sig).name)

    def _begin_stop(self, name: str) -> None:
        _log.warning(
            "%s: no new runs; waiting for %d accepted run(s)%s (a second signal interrupts them)",
            "stop" if self.worker else name,
            self.service.in_flight,
            "" if self.graceful_timeout is None else f" for at most {self.graceful_timeout:g} s",
        )
        self._keep(asyncio.ensure_future(self._drain()))

    def _keep(self, task: asyncio.Future[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        try:
            await self.service.drain(self.graceful_timeout)
        finally:
            if self.service.interrupted:
                self.exit_status = INTERRUPTED_EXIT
            self.should_exit = True

    def _force_stop(self, name: str) -> None:
        _log.warning("%s: interrupting the runs in flight", name)
        self.exit_status = INTERRUPTED_EXIT
        self.service.closing = True

        async def interrupt() -> None:
            await self.service.interrupt_all(f"the service stopped: {name} interrupted the run")
            self.should_exit = True

        self._keep(asyncio.ensure_future(interrupt()))


def server_config(
    app: Any,
    *,
    log_level: str,
    access_log: bool,
    header_timeout: float,
    keep_alive_timeout: int,
) -> uvicorn.Config:
    """The uvicorn configuration: our protocol, our lifespan, and a short last wait.

    The drain happens before uvicorn's own shutdown starts, so by then every
    accepted run has its answer; ``timeout_graceful_shutdown`` only bounds
    writing those answers out.
    """
    return uvicorn.Config(
        app,
        lifespan="on",
        log_level=log_level,
        access_log=access_log,
        http=timed_protocol(header_timeout),
        timeout_keep_alive=keep_alive_timeout,
        timeout_graceful_shutdown=5,
    )
