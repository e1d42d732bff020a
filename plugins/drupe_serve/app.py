"""The Starlette app around one `drupe.ServiceSession`.

Why it is built this way:

* a run is blocking Python (pipelines, I/O), so it executes in the app's own
  thread pool and the event loop only parses requests and writes responses;
  reading a run's record (``GET /runs/{id}``) has threads of its own, so it
  never waits behind busy run threads;
* the number of runs accepted at once is bounded: beyond ``max_in_flight``
  a client gets 503 with ``Retry-After`` instead of an ever-growing queue;
* every accepted run holds a `Ticket` until its thread is done: its client
  gets exactly one JSON answer (the run's own, or "timed out", or
  "interrupted" when the service had to stop first), and the run is
  recorded whatever happens (see tickets.py);
* a failing run answers 500 with its run id and the error's type only; the
  traceback goes to the server log, where the run id finds it, because a
  message can carry a connection string or a credential;
* hostile bodies stop before any run: a non-JSON content type is 415, limits
  on size, nesting, number of values and integer length are 4xx naming the
  field (limits.py); `Host`, `Origin` and the bearer token are checked by
  `RequestGuard` (security.py) before any route.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import drupe
from drupe_serve.errors import ServeError
from drupe_serve.outputs import dumps, split_outputs
from drupe_serve.pipeline_names import pipeline_names
from drupe_serve.run_body import RUN_ID_PATTERN, RequestError, RunBody, parse_run_body
from drupe_serve.run_records import (
    RecentRuns,
    memory_run_view,
    store_finds_runs_by_id,
    store_run_view,
    stored_run,
)
from drupe_serve.security import HostRule, RequestGuard
from drupe_serve.selection import is_selection_error, selection_field
from drupe_serve.tickets import (
    RunInterrupted,
    RunStopped,
    RunStops,
    RunTimeout,
    Ticket,
    Tickets,
    iterate_unfinished,
    record_stop,
)

_log = logging.getLogger("drupe_serve")

DEFAULT_MAX_IN_FLIGHT = 64
DEFAULT_ALLOWED_RUNNERS = ("sequential", "thread")
MAX_BODY_BYTES = 1 << 20
RETRY_AFTER_SECONDS = "1"
#: Seconds a client has to send the whole body once the headers arrived.
DEFAULT_BODY_TIMEOUT = 10.0
#: How often a drain looks whether the accepted runs are done.
DRAIN_POLL_S = 0.05


def default_worker_threads() -> int:
    """The thread pool size when none is given (the standard library's own default)."""
    return min(32, (os.cpu_count() or 1) + 4)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(payload), status, headers, media_type="application/json")


class RunService:
    """What the routes share: the session, the thread pools and the tickets of accepted runs."""

    def __init__(
        self,
        session: drupe.ServiceSession,
        *,
        max_in_flight: int | None,
        worker_threads: int | None,
        pipelines: Iterable[str] | None,
        close_session: bool,
        recent_runs: int,
        allowed_runners: Iterable[str] | None,
        run_timeout: float | None = None,
        body_timeout: float | None = DEFAULT_BODY_TIMEOUT,
    ) -> None:
        if not isinstance(session, drupe.ServiceSession):
            raise ServeError(
                f"create_app needs a drupe.ServiceSession, not {type(session).__name__}: "
                f"create one with drupe.ServiceSession.create(...)"
            )
        self.session = session
        self.max_in_flight = max_in_flight or DEFAULT_MAX_IN_FLIGHT
        self.worker_threads = worker_threads or default_worker_threads()
        if self.max_in_flight < 1 or self.worker_threads < 1:
            raise ServeError("max_in_flight and worker_threads must be at least 1")
        if run_timeout is not None and not run_timeout > 0:
            raise ServeError("run_timeout must be a positive number of seconds")
        self.run_timeout = run_timeout
        self.body_timeout = body_timeout
        self.pipelines = pipeline_names(session, pipelines)
        self._known_pipelines = frozenset(self.pipelines or ())
        self.close_session = close_session
        self.allowed_runners = tuple(
            DEFAULT_ALLOWED_RUNNERS if allowed_runners is None else allowed_runners
        )
        self.recent = RecentRuns(recent_runs)
        self.executor = ThreadPoolExecutor(
            max_workers=self.worker_threads, thread_name_prefix="drupe-serve"
        )
        # Reads of records and writes of stopped runs: never queued behind runs.
        self.readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="drupe-serve-read")
        self.tickets = Tickets()
        self._stops = RunStops(self.tickets)
        self._stops_name = f"drupe_serve.run_stops.{id(self)}"
        try:
            session.plugin_manager.register(self._stops, name=self._stops_name)
        except Exception as exc:  # an executor without node hooks: timeouts only answer early
            _log.debug("run stops not registered: %s", exc)
        self._lock = threading.Lock()
        self.closing = False
        #: Runs given up on because the service stopped before they finished.
        self.interrupted = 0

    # -- admission ----------------------------------------------------------

    @property
    def in_flight(self) -> int:
        return len(self.tickets)

    def check_selection(self, body: RunBody) -> RunBody:
        """Have the executor check the selection now, and refuse unknown pipelines (404).

        ``validate_selection`` is what ``run()`` calls too; calling it before
        the request is queued makes a bad field a 422 that costs no thread. The
        pipeline names are read under ``pipeline_names``, the name ``run()``
        gives them, from the executor's normalised selection.
        """
        session = self.session
        try:
            checked = session.plugin_manager.call(
                "validate_selection", session=session, selection=body.selection
            )
        except drupe.DrupeError as exc:
            if not is_selection_error(exc):
                raise
            raise RequestError(422, str(exc), selection_field(exc, body)) from None
        if checked is not None:
            body = attrs.evolve(body, selection=dict(checked))
        if self.pipelines is None:
            return body
        names = body.selection.get("pipeline_names") or ()
        for name in (names,) if isinstance(names, str) else names:
            if name not in self._known_pipelines:
                raise RequestError(
                    404,
                    f"unknown pipeline {name!r}; known pipelines: "
                    f"{', '.join(self.pipelines) or 'none'}",
                    "pipelines",
                )
        return body

    def timeout_for(self, body: RunBody) -> float | None:
        """The run's time limit: the body's ``timeout``, capped by ``run_timeout``."""
        if body.timeout is None:
            return self.run_timeout
        if self.run_timeout is None:
            return body.timeout
        return min(body.timeout, self.run_timeout)

    async def submit(self, body: RunBody) -> Response:
        """Admit the run, hand it to a thread, and wait for its one answer."""
        if self.closing or self.session.closed:
            return _shutting_down()
        run_id = body.run_id or drupe.new_id()
        if body.run_id is not None and body.run_id in self.recent:
            return json_response(409, _taken(run_id))
        loop = asyncio.get_running_loop()
        ticket = Ticket(run_id, body, loop.create_future())
        refused = self.tickets.add(ticket, self.max_in_flight)
        if refused == "taken":
            return json_response(
                409, {"error": f"a run with id {run_id!r} is already in flight", "field": "run_id"}
            )
        if refused == "busy":
            return json_response(
                503,
                {"error": f"{self.max_in_flight} runs are already in flight; retry later"},
                {"Retry-After": RETRY_AFTER_SECONDS},
            )
        self.recent.put(self._record(ticket, "running"))
        try:
            future = self.executor.submit(self.execute, ticket)
        except RuntimeError:  # the pool was shut down between admission and submission
            self.tickets.discard(run_id)
            self.recent.put(self._record(ticket, "refused"))
            return _shutting_down()
        future.add_done_callback(functools.partial(self._thread_done, loop, ticket))
        timeout = self.timeout_for(body)
        if timeout is not None:
            ticket.timeout = timeout
            ticket.timer = loop.call_later(timeout, self._time_out, ticket)
        status, content = await asyncio.shield(ticket.answer)
        return Response(content, status, media_type="application/json")

    def _thread_done(
        self, loop: asyncio.AbstractEventLoop, ticket: Ticket, future: Future[tuple[int, bytes]]
    ) -> None:
        """In the worker thread, when the run is over: free the slot, answer the client."""
        try:
            result = future.result()
        except BaseException as exc:  # execute() handles the run's errors; this is a bug
            _log.error("run %s: unexpected error", ticket.run_id, exc_info=exc)
            result = 500, dumps({"error": "internal error", "run_id": ticket.run_id})
        self.tickets.finish(ticket)
        self.tickets.discard(ticket.run_id)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
            loop.call_soon_threadsafe(self._answer, ticket, result)

    @staticmethod
    def _answer(ticket: Ticket, result: tuple[int, bytes]) -> None:
        if ticket.timer is not None:
            ticket.timer.cancel()
        if not ticket.answer.done():
            ticket.answer.set_result(result)

    # -- stopping runs early -------------------------------------------------

    def _time_out(self, ticket: Ticket) -> None:
        """On the event loop, when a run's time is up: answer, record, and end it."""
        assert ticket.timeout is not None
        stop = RunTimeout(f"the run timed out after {ticket.timeout:g} s")
        if self.tickets.stop(ticket, stop) is None:
            return
        self.recent.put({**self._record(ticket, "failed"), "error_type": "RunTimeout"})
        self.readers.submit(record_stop, self.session, ticket, "failed", stop)
        self._answer(
            ticket,
            (
                504,
                dumps(
                    {
                        "run_id": ticket.run_id,
                        "session_id": self.session.session_id,
                        "status": "failed",
                        "error_type": "RunTimeout",
                        "error": str(stop),
                        "field": "timeout",
                    }
                ),
            ),
        )

    async def interrupt_all(self, reason: str) -> int:
        """Give up on every unfinished run: answer its client, record it ``interrupted``.

        Called when the service must stop before its runs are done; the process
        exits afterwards, so their threads never write anything again.
        """
        stopped: list[tuple[Ticket, RunInterrupted]] = []
        for ticket in iterate_unfinished(self.tickets):
            stop = RunInterrupted(reason)
            if self.tickets.stop(ticket, stop) is None:
                continue
            stopped.append((ticket, stop))
            self.recent.put({**self._record(ticket, "interrupted"), "error_type": "RunInterrupted"})
        self.interrupted += len(stopped)
        for ticket, stop in stopped:
            await asyncio.to_thread(record_stop, self.session, ticket, "interrupted", stop)
            _log.warning("run %s interrupted: %s", ticket.run_id, reason)
            self._answer(
                ticket,
                (
                    503,
                    dumps(
                        {
                            "run_id": ticket.run_id,
                            "session_id": self.session.session_id,
                            "status": "interrupted",
                            "error": reason,
                        }
                    ),
                ),
            )
        return len(stopped)

    async def drain(self, graceful_timeout: float | None) -> None:
        """Stop admitting runs; wait for the accepted ones, interrupting those left at the end."""
        with self._lock:
            self.closing = True
        loop = asyncio.get_running_loop()
        deadline = None if graceful_timeout is None else loop.time() + graceful_timeout
        while self.tickets.unanswered():
            if deadline is not None and loop.time() >= deadline:
                await self.interrupt_all(
                    f"the service stopped: --graceful-timeout of {graceful_timeout:g} s "
                    f"passed before the run finished"
                )
                return
            await asyncio.sleep(DRAIN_POLL_S)

    # -- work done in the pool --------------------------------------------

    def _record(self, ticket: Ticket, status: str) -> dict[str, Any]:
        return {
            "run_id": ticket.run_id,
            "session_id": self.session.session_id,
            "status": status,
            "pipelines": list(ticket.body.pipelines),
            "started_at": ticket.started_at,
        }

    def execute(self, ticket: Ticket) -> tuple[int, bytes]:
        """Run once and render the response body (in a worker thread)."""
        session, body, run_id = self.session, ticket.body, ticket.run_id
        if not self.tickets.start(ticket):  # stopped while queued: answered and recorded
            return 503, b"{}"
        if body.run_id is not None and stored_run(session, body.run_id) is not None:
            self.recent.discard(run_id)  # the record shown for this id stays the stored one
            return 409, dumps(_taken(run_id))
        record = self._record(ticket, "running")
        started = time.perf_counter()
        try:
            outputs = session.run(**body.run_kwargs(run_id))
        except RunStopped as exc:  # its client was answered when the run was given up on
            return 503, dumps({"error": str(exc), "run_id": run_id})
        except drupe.SessionError as exc:
            if session.closed:
                self.recent.put({**record, "status": "refused"})
                return 503, dumps({"error": "the service is shutting down", "run_id": run_id})
            if body.run_id is not None and "in flight" in str(exc):
                return 409, dumps(
                    {"error": f"a run with id {run_id!r} is already in flight", "field": "run_id"}
                )
            return self._failed(record, run_id, exc, started)
        except Exception as exc:
            if is_selection_error(exc):
                return self._rejected(body, record, run_id, exc, started)
            return self._failed(record, run_id, exc, started)
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        plain, named = split_outputs(outputs)
        self.recent.put(
            {**record, "status": "succeeded", "finished_at": _now(), "duration_ms": duration_ms}
        )
        payload: dict[str, Any] = {
            "run_id": run_id,
            "session_id": session.session_id,
            "status": "succeeded",
            "outputs": plain,
            "duration_ms": duration_ms,
        }
        if named:
            payload["unserialisable_outputs"] = named
        return 200, dumps(payload)

    def _rejected(
        self,
        body: RunBody,
        record: dict[str, Any],
        run_id: str,
        exc: Exception,
        started: float,
    ) -> tuple[int, bytes]:
        """The request asks for what the pipeline does not have: the client's mistake, 422.

        The message is the executor's own (with close matches); it speaks of
        node, dataset and pipeline names, which the client sent, or of the
        path the client's runtime parameters built.
        """
        self._remember_failure(record, exc, started)
        payload: dict[str, Any] = {"error": str(exc), "run_id": run_id}
        field = selection_field(exc, body)
        if field is not None:
            payload["field"] = field
        return 422, dumps(payload)

    def _remember_failure(self, record: dict[str, Any], exc: Exception, started: float) -> float:
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        self.recent.put(
            {
                **record,
                "status": "failed",
                "error_type": type(exc).__name__,
                "finished_at": _now(),
                "duration_ms": duration_ms,
            }
        )
        return duration_ms

    def _failed(
        self, record: dict[str, Any], run_id: str, exc: Exception, started: float
    ) -> tuple[int, bytes]:
        error_type = type(exc).__name__
        _log.error("run %s failed with %s", run_id, error_type, exc_info=exc)
        duration_ms = self._remember_failure(record, exc, started)
        return 500, dumps(
            {
                "run_id": run_id,
                "session_id": self.session.session_id,
                "status": "failed",
                "error_type": error_type,
                "error": f"the run failed with {error_type}; the server log has the details "
                f"under run id {run_id}",
                "duration_ms": duration_ms,
            }
        )

    def lookup(self, run_id: str) -> dict[str, Any] | None:
        """The run's view (docs/service.md): from the store when it fetches runs by id, else
        from recent memory first (a scan of the session's runs costs more). A run still in
        flight (or given up on, while its thread ends) is answered from memory."""
        memory = None
        if not store_finds_runs_by_id(self.session) or run_id in self.tickets:
            memory = self.recent.get(run_id)
            if memory is not None:
                return memory_run_view(memory)
        stored = stored_run(self.session, run_id)
        if stored is not None:
            return store_run_view(stored, run_id)
        memory = memory or self.recent.get(run_id)
        return memory_run_view(memory) if memory is not None else None

    def shutdown(self) -> None:
        """Refuse new runs, let queued ones finish, then close the session (once).

        After `interrupt_all`, nothing waits for the threads still running: the
        process exits, and the session is left for the store to see as ended.
        """
        with self._lock:
            self.closing = True
        interrupted = self.interrupted > 0
        self.executor.shutdown(wait=not interrupted, cancel_futures=interrupted)
        self.readers.shutdown(wait=True)
        with contextlib.suppress(Exception):
            self.session.plugin_manager.unregister(name=self._stops_name)
        if self.close_session:
            self.session.close(timeout=0 if interrupted else None)


def _taken(run_id: str) -> dict[str, str]:
    return {
        "error": f"run id {run_id!r} is already taken; omit run_id or choose another",
        "field": "run_id",
    }


def _shutting_down() -> Response:
    return json_response(
        503, {"error": "the service is shutting down"}, {"Retry-After": RETRY_AFTER_SECONDS}
    )


# -- routes -------------------------------------------------------------------


def _require_json(request: Request) -> None:
    """A body must say it is JSON: a browser's cross-site "simple" request cannot."""
    content_type = request.headers.get("content-type")
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    if content_type is None and not has_body:
        return  # no body at all: the default run
    media_type = (content_type or "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise RequestError(
            415,
            f"the request body must be application/json, not {media_type or 'unlabelled'}",
            "content-type",
        )


async def _read_body(request: Request, timeout: float | None) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise RequestError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise RequestError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(read(), timeout)
    except asyncio.TimeoutError:
        raise RequestError(
            408, f"the request body did not arrive within {timeout:g} s", "body"
        ) from None
    return b"".join(chunks)


def _service(request: Request) -> RunService:
    service: RunService = request.app.state.drupe_serve
    return service


async def post_run(request: Request) -> Response:
    service = _service(request)
    try:
        _require_json(request)
        raw = await _read_body(request, service.body_timeout)
        body = parse_run_body(raw, allowed_runners=service.allowed_runners)
        body = service.check_selection(body)
    except RequestError as exc:
        return json_response(exc.status, exc.payload())
    return await service.submit(body)


async def get_run(request: Request) -> Response:
    service = _service(request)
    run_id = request.path_params["run_id"]
    if not RUN_ID_PATTERN.fullmatch(run_id):
        return json_response(404, {"error": f"unknown run id {run_id!r}", "field": "run_id"})
    try:
        record = await asyncio.get_running_loop().run_in_executor(
            service.readers, service.lookup, run_id
        )
    except RuntimeError:  # the reader pool is gone: the service is shutting down
        return _shutting_down()
    if record is None:
        return json_response(404, {"error": f"unknown run id {run_id!r}", "field": "run_id"})
    return json_response(200, record)


async def get_pipelines(request: Request) -> Response:
    service = _service(request)
    return json_response(200, {"pipelines": list(service.pipelines or ())})


async def get_health(request: Request) -> Response:
    service = _service(request)
    status = "closing" if service.closing or service.session.closed else "ok"
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == "closing" else None
    return json_response(
        503 if status == "closing" else 200,
        {
            "status": status,
            "session_id": service.session.session_id,
            "runs_in_flight": service.in_flight,
            "max_in_flight": service.max_in_flight,
            "worker_threads": service.worker_threads,
        },
        headers,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return json_response(exc.status_code, {"error": exc.detail}, dict(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return json_response(500, {"error": f"internal error ({type(exc).__name__})"})


def build_app(
    session: drupe.ServiceSession,
    *,
    token: str | None = None,
    allow_origins: Iterable[str] = (),
    hosts: HostRule | None = None,
    **options: Any,
) -> Starlette:
    """The app for `drupe_serve.create_app`; ``options`` are `RunService`'s (typed there).

    The `RequestGuard` checks (token, ``Origin``, ``Host``) run first, as a
    middleware; the `RunService` is ``app.state.drupe_serve``.
    """
    service = RunService(session, **options)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await asyncio.to_thread(service.shutdown)

    app = Starlette(
        routes=[
            Route("/runs", post_run, methods=["POST"]),
            Route("/runs/{run_id:str}", get_run, methods=["GET"]),
            Route("/pipelines", get_pipelines, methods=["GET"]),
            Route("/health", get_health, methods=["GET"]),
        ],
        middleware=_middleware(token, tuple(allow_origins), hosts),
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.drupe_serve = service
    return app


def _middleware(token: str | None, origins: tuple[str, ...], hosts: HostRule | None) -> list[Any]:
    """The checks first; then, for the origins allowed, the CORS headers a browser needs."""
    stack = [Middleware(RequestGuard, token=token, allow_origins=origins, hosts=hosts)]
    if origins:
        from starlette.middleware.cors import CORSMiddleware

        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type"],
                max_age=600,
            )
        )
    return stack
