"""drupe's bundled ``serve`` plugin: one `drupe.ServiceSession` behind an HTTP API.

Two ways in:

* ``drupe serve --host 127.0.0.1 --port 8000`` starts a uvicorn server around
  a service session of the current project;
* `create_app(session)` returns the Starlette ASGI app, for people who mount
  it in their own application or serve it their own way.

Starlette and uvicorn come with the ``serve`` extra (``pip install
'drupe[serve]'``). This module must stay importable without them, because
``drupe --help`` imports every enabled plugin: the web modules are imported
only when an app is created or the command runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import drupe
from drupe_serve.errors import ServeError

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["ServeError", "ServePlugin", "create_app"]


def create_app(
    session: drupe.ServiceSession,
    *,
    max_in_flight: int | None = None,
    worker_threads: int | None = None,
    pipelines: Iterable[str] | None = None,
    close_session: bool = True,
    recent_runs: int = 1000,
    allowed_runners: Iterable[str] | None = None,
    token: str | None = None,
    allow_origins: Iterable[str] = (),
    allowed_hosts: Iterable[str] | None = None,
    run_timeout: float | None = None,
) -> Starlette:
    """The ASGI app serving ``session``: ``POST /runs``, ``GET /runs/{id}``, ``GET /pipelines``,
    ``GET /health``.

    Args:
        session: an open `drupe.ServiceSession`; every run goes through it.
        max_in_flight: runs accepted at once (running or queued for a thread);
            beyond it a request gets 503 with ``Retry-After``. Default: 64.
        worker_threads: threads that execute runs (never the event loop).
            Default: ``min(32, cpu_count + 4)``.
        pipelines: the pipeline names a client may ask for. Default: the
            names the project's ``pipeline_registry.register_pipelines()``
            returns (no check at all when the project has no registry).
        close_session: close ``session`` in the app's lifespan shutdown (after
            the server stopped taking requests and in-flight runs finished).
        recent_runs: how many run records the app keeps in memory for
            ``GET /runs/{id}`` when the session has no store.
        allowed_runners: runner names a request may choose. Default:
            ``sequential`` and ``thread``; dotted paths are never accepted over HTTP.
        token: the bearer token every route but ``GET /health`` requires
            (``Authorization: Bearer <token>``, else 401). Default: none asked,
            for an application that authenticates requests itself.
        allow_origins: browser origins (``https://app.example``) allowed to call;
            a request carrying any other ``Origin`` is 403 (``"*"``: any).
        allowed_hosts: ``Host`` names accepted (``"*.example.com"`` patterns,
            ``"*"``: any), others are 403. Default: no check.
        run_timeout: seconds a run may take (a body's ``timeout`` may ask for
            less); then its client gets 504 and it ends ``failed`` (``RunTimeout``).
    """
    from drupe_serve.app import build_app
    from drupe_serve.security import HostRule

    return build_app(
        session,
        token=token,
        allow_origins=allow_origins,
        hosts=None if allowed_hosts is None else HostRule("", allowed_hosts),
        run_timeout=run_timeout,
        max_in_flight=max_in_flight,
        worker_threads=worker_threads,
        pipelines=pipelines,
        close_session=close_session,
        recent_runs=recent_runs,
        allowed_runners=allowed_runners,
    )


class ServePlugin:
    """Adds ``drupe serve``; holds no per-session state."""

    @drupe.hookimpl
    def cli_commands(self) -> Sequence[Any]:
        from drupe.cli import LazyCommand

        return [
            LazyCommand(
                "serve",
                "drupe_serve.cli:serve",
                "Serve a ServiceSession over HTTP (drupe[serve]).",
            )
        ]
