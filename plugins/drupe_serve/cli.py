"""``drupe serve``: a uvicorn server around one service session of the current project.

This module imports only click and drupe; Starlette and uvicorn are imported
when the command runs, after checking they are installed, so ``drupe --help``
works without the ``serve`` extra.
"""

from __future__ import annotations

import click

import drupe
from drupe.cli import CliState, pass_state
from drupe_serve.errors import require_serve_extra

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--worker-threads",
    type=click.IntRange(min=1),
    default=None,
    help="Threads that execute runs (default: min(32, CPUs + 4)).",
)
# The spelling of the original request (issue 7); accepted, not advertised.
@click.option("--workers-threads", type=click.IntRange(min=1), default=None, hidden=True)
@click.option(
    "--max-in-flight",
    type=click.IntRange(min=1),
    default=None,
    help="Runs accepted at once; more get 503 with Retry-After (default: 64).",
)
@click.option("--env", "-e", default=None, help="Configuration environment.")
@click.option("--conf-source", default=None, help="Configuration folder or archive.")
@click.option(
    "--graceful-timeout",
    type=click.IntRange(min=0),
    default=None,
    help="On SIGTERM, seconds to wait for in-flight requests (default: as long as they take).",
)
@click.option("--log-level", type=click.Choice(LOG_LEVELS), default="info", show_default=True)
@click.option("--access-log/--no-access-log", default=False, show_default=True)
@pass_state
def serve(
    state: CliState,
    /,
    host: str,
    port: int,
    worker_threads: int | None,
    workers_threads: int | None,
    max_in_flight: int | None,
    env: str | None,
    conf_source: str | None,
    graceful_timeout: int | None,
    log_level: str,
    access_log: bool,
) -> None:
    """Serve the project's pipelines over HTTP (POST /runs, GET /runs/ID, /pipelines, /health)."""
    require_serve_extra()
    if workers_threads is not None:
        if worker_threads is not None and worker_threads != workers_threads:
            raise drupe.UsageError(
                f"--worker-threads {worker_threads} and --workers-threads {workers_threads} "
                f"disagree: give one (--workers-threads is another spelling of --worker-threads)"
            )
        worker_threads = workers_threads
    import uvicorn

    from drupe_serve.app import build_app
    from drupe_serve.listener import bind_listener, listen_error

    # Before the session opens: a taken port costs nothing and leaves no record.
    listener = bind_listener(host, port)
    try:
        session = state.create_session(drupe.ServiceSession, env=env, conf_source=conf_source)
        try:
            app = build_app(
                session,
                max_in_flight=max_in_flight,
                worker_threads=worker_threads,
                pipelines=None,
                close_session=True,
                recent_runs=1000,
                allowed_runners=None,
            )
            config = uvicorn.Config(
                app,
                host=host,
                port=port,
                lifespan="on",
                log_level=log_level,
                access_log=access_log,
                timeout_graceful_shutdown=graceful_timeout,
            )
            try:
                uvicorn.Server(config).run(sockets=[listener])
            except OSError as exc:  # listen() itself failed
                raise listen_error(host, port, exc) from exc
        finally:
            # The lifespan handler has closed it already when uvicorn shut down
            # normally; this covers a server that never started. Closing is idempotent.
            session.close()
    finally:
        listener.close()
