"""The Starlette app around one `drupe.ServiceSession`.

Why it is built this way:

* a run is blocking Python (pipelines, I/O), so it executes in the app's own
  thread pool and the event loop only parses requests and writes responses;
* the number of runs accepted at once is bounded: beyond ``max_in_flight``
  a client gets 503 with ``Retry-After`` instead of an ever-growing queue;
* a failing run answers 500 with its run id and the error's type only; the
  traceback goes to the server log, where the run id finds it, because a
  message can carry a connection string or a credential;
* shutdown happens in the lifespan handler: uvicorn first stops taking
  connections and lets in-flight requests finish, then runs the handler,
  which drains the pool and closes the session (the store marks it closed).
  uvicorn re-raises SIGTERM afterwards, so nothing placed after
  ``uvicorn.run`` could be relied on.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from drupe_serve.selection import is_selection_error, selection_field

_log = logging.getLogger("drupe_serve")

DEFAULT_MAX_IN_FLIGHT = 64
DEFAULT_ALLOWED_RUNNERS = ("sequential", "thread")
MAX_BODY_BYTES = 1 << 20
RETRY_AFTER_SECONDS = "1"


def default_worker_threads() -> int:
    """The thread pool size when none is given (the standard library's own default)."""
    return min(32, (os.cpu_count() or 1) + 4)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _names(value: Any) -> list[str]:
    """A selection's names for the run view: one name, or a list of them."""
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(payload), status, headers, media_type="application/json")


class RunService:
    """What the routes share: the session, the thread pool and the count of runs in flight."""

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
        self._lock = threading.Lock()
        self._in_flight = 0
        self.closing = False

    # -- admission ----------------------------------------------------------

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def try_accept(self) -> bool:
        with self._lock:
            if self.closing or self._in_flight >= self.max_in_flight:
                return False
            self._in_flight += 1
            return True

    def release(self, _future: Future[Any] | None = None) -> None:
        # Called when the thread finishes, not when the request ends: a client
        # that hangs up does not free a slot its run still occupies.
        with self._lock:
            self._in_flight -= 1

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

    # -- work done in the pool --------------------------------------------

    def execute(self, body: RunBody, run_id: str) -> tuple[int, bytes]:
        """Run once and render the response body (in a worker thread)."""
        session = self.session
        if body.run_id is not None and (
            body.run_id in self.recent or stored_run(session, body.run_id) is not None
        ):
            return 409, dumps(
                {
                    "error": f"run id {run_id!r} is already taken; omit run_id or choose another",
                    "field": "run_id",
                }
            )
        record: dict[str, Any] = {
            "run_id": run_id,
            "session_id": session.session_id,
            "status": "running",
            "pipelines": _names(
                body.selection.get("pipeline_names") or body.selection.get("pipelines")
            ),
            "started_at": _now(),
        }
        self.recent.put(record)
        started = time.perf_counter()
        try:
            outputs = session.run(**body.run_kwargs(run_id))
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
        self, body: RunBody, record: dict[str, Any], run_id: str, exc: Exception, started: float
    ) -> tuple[int, bytes]:
        """The selection names what the pipeline does not have: the client's mistake, 422.

        The message is the executor's own (with close matches); it speaks of
        node, dataset and pipeline names, which the client sent.
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
        from recent memory first (a scan of the session's runs costs more)."""
        memory = None
        if not store_finds_runs_by_id(self.session):
            memory = self.recent.get(run_id)
            if memory is not None:
                return memory_run_view(memory)
        stored = stored_run(self.session, run_id)
        if stored is not None:
            return store_run_view(stored, run_id)
        memory = memory or self.recent.get(run_id)
        return memory_run_view(memory) if memory is not None else None

    def shutdown(self) -> None:
        """Refuse new runs, let queued ones finish, then close the session (once)."""
        with self._lock:
            self.closing = True
        self.executor.shutdown(wait=True)
        if self.close_session:
            self.session.close()


# -- routes -------------------------------------------------------------------


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise RequestError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _service(request: Request) -> RunService:
    service: RunService = request.app.state.drupe_serve
    return service


async def post_run(request: Request) -> Response:
    service = _service(request)
    try:
        body = parse_run_body(await _read_body(request), allowed_runners=service.allowed_runners)
        body = service.check_selection(body)
    except RequestError as exc:
        return json_response(exc.status, exc.payload())
    if not service.try_accept():
        reason = (
            "the service is shutting down"
            if service.closing
            else f"{service.max_in_flight} runs are already in flight; retry later"
        )
        return json_response(503, {"error": reason}, {"Retry-After": RETRY_AFTER_SECONDS})
    run_id = body.run_id or drupe.new_id()
    try:
        future = service.executor.submit(service.execute, body, run_id)
    except RuntimeError:  # the pool was shut down between admission and submission
        service.release()
        return json_response(
            503, {"error": "the service is shutting down"}, {"Retry-After": RETRY_AFTER_SECONDS}
        )
    future.add_done_callback(service.release)
    status, content = await asyncio.wrap_future(future)
    return Response(content, status, media_type="application/json")


async def get_run(request: Request) -> Response:
    service = _service(request)
    run_id = request.path_params["run_id"]
    if not RUN_ID_PATTERN.fullmatch(run_id):
        return json_response(404, {"error": f"unknown run id {run_id!r}", "field": "run_id"})
    record = await asyncio.get_running_loop().run_in_executor(
        service.executor, service.lookup, run_id
    )
    if record is None:
        return json_response(404, {"error": f"unknown run id {run_id!r}", "field": "run_id"})
    return json_response(200, record)


async def get_pipelines(request: Request) -> Response:
    service = _service(request)
    return json_response(200, {"pipelines": list(service.pipelines or ())})


async def get_health(request: Request) -> Response:
    service = _service(request)
    status = "closing" if service.closing or service.session.closed else "ok"
    return json_response(
        503 if status == "closing" else 200,
        {
            "status": status,
            "session_id": service.session.session_id,
            "runs_in_flight": service.in_flight,
            "max_in_flight": service.max_in_flight,
            "worker_threads": service.worker_threads,
        },
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return json_response(exc.status_code, {"error": exc.detail}, dict(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return json_response(500, {"error": f"internal error ({type(exc).__name__})"})


def build_app(session: drupe.ServiceSession, **options: Any) -> Starlette:
    """The app for `drupe_serve.create_app`; ``options`` are `RunService`'s (typed there)."""
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
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.drupe_serve = service
    return app
