"""``drupe serve``: a uvicorn server around one service session of the current project.

This module imports only click and drupe; Starlette and uvicorn are imported
when the command runs, after checking they are installed, so ``drupe --help``
works without the ``serve`` extra.

Order of start-up, each step before anything that could leave a trace:
bind the port (a taken port is one line, no session), settle the token
(a generated one is printed once and written under ``.drupe/``), fork the
workers if ``--workers`` asks for more than one, and only then open each
worker's session.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

import drupe
from drupe.cli import CliState, pass_state
from drupe_serve.errors import require_serve_extra

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes serving on the one port, each with its own session.",
)
@click.option(
    "--worker-threads",
    type=click.IntRange(min=1),
    default=None,
    help="Threads per process that execute runs (default: min(32, CPUs + 4)).",
)
# The spelling of the original request (issue 7); accepted, not advertised.
@click.option("--workers-threads", type=click.IntRange(min=1), default=None, hidden=True)
@click.option(
    "--max-in-flight",
    type=click.IntRange(min=1),
    default=None,
    help="Runs accepted at once per process; more get 503 with Retry-After (default: 64).",
)
@click.option("--env", "-e", default=None, help="Configuration environment.")
@click.option("--conf-source", default=None, help="Configuration folder or archive.")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="File holding the bearer token clients must send (else $DRUPE_SERVE_TOKEN; on "
    "loopback a token is generated into .drupe/serve-token).",
)
@click.option(
    "--allow-origin",
    multiple=True,
    help="Browser Origin allowed to call (repeatable; '*' for any). Others get 403.",
)
@click.option(
    "--allow-host",
    multiple=True,
    help="Host header accepted besides the bound address (repeatable; '*.example.com', '*').",
)
@click.option(
    "--graceful-timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="On SIGTERM/SIGINT, seconds accepted runs get to finish before they are recorded "
    "interrupted (default: as long as they take).",
)
@click.option(
    "--run-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds a run may take; then it fails as timed out (a request's 'timeout' may "
    "ask for less).",
)
@click.option(
    "--header-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds a client has to send a request's headers.",
)
@click.option(
    "--body-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds a client has to send a request's body.",
)
@click.option(
    "--keep-alive-timeout",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Seconds an idle connection stays open.",
)
@click.option("--log-level", type=click.Choice(LOG_LEVELS), default="info", show_default=True)
@click.option("--access-log/--no-access-log", default=False, show_default=True)
@pass_state
def serve(
    state: CliState,
    /,
    host: str,
    port: int,
    workers: int,
    worker_threads: int | None,
    workers_threads: int | None,
    max_in_flight: int | None,
    env: str | None,
    conf_source: str | None,
    token_file: str | None,
    allow_origin: tuple[str, ...],
    allow_host: tuple[str, ...],
    graceful_timeout: float | None,
    run_timeout: float | None,
    header_timeout: float,
    body_timeout: float,
    keep_alive_timeout: int,
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
    if workers > 1 and not hasattr(os, "fork"):
        raise drupe.UsageError("--workers above 1 needs a POSIX system (os.fork)")

    from drupe_serve.listener import bind_listener
    from drupe_serve.security import resolve_token

    # Before the session opens: a taken port costs nothing and leaves no record.
    listener = bind_listener(host, port)
    try:
        token, generated = resolve_token(
            token_file=token_file, host=host, project_root=_project_root(state)
        )
        if generated is not None:
            click.echo(
                f"drupe serve: clients must send 'Authorization: Bearer {token}' "
                f"(written to {generated}, readable by you only)",
                err=True,
            )
        options: dict[str, Any] = {
            "state": state,
            "listener": listener,
            "host": host,
            "port": port,
            "env": env,
            "conf_source": conf_source,
            "token": token,
            "allow_origin": allow_origin,
            "allow_host": allow_host,
            "graceful_timeout": graceful_timeout,
            "log_level": log_level,
            "access_log": access_log,
            "header_timeout": header_timeout,
            "keep_alive_timeout": keep_alive_timeout,
            "service": {
                "max_in_flight": max_in_flight,
                "worker_threads": worker_threads,
                "run_timeout": run_timeout,
                "body_timeout": body_timeout,
            },
        }
        if workers == 1:
            status = _serve_one(**options)
        else:
            from drupe_serve.prefork import run_workers
            from drupe_serve.server import STOP, STOP_NOW

            status = run_workers(
                workers, lambda: _serve_one(**options, worker=True), stop=STOP, stop_now=STOP_NOW
            )
    finally:
        listener.close()
    if status:
        sys.exit(status)


def _project_root(state: CliState) -> Path | None:
    """The project's root, found without opening a session (nothing is recorded)."""
    start = (state.project_path or Path.cwd()).resolve()
    project = state.plugin_manager().hook.find_project(start=start)
    root = getattr(project, "root", None)
    return Path(root) if root is not None else None


def _serve_one(
    *,
    state: CliState,
    listener: Any,
    host: str,
    port: int,
    env: str | None,
    conf_source: str | None,
    token: str,
    allow_origin: tuple[str, ...],
    allow_host: tuple[str, ...],
    graceful_timeout: float | None,
    log_level: str,
    access_log: bool,
    header_timeout: float,
    keep_alive_timeout: int,
    service: dict[str, Any],
    worker: bool = False,
) -> int:
    """One process's server: its session, its app, uvicorn until stopped; the exit status."""
    from drupe_serve.app import build_app
    from drupe_serve.listener import listen_error
    from drupe_serve.security import HostRule
    from drupe_serve.server import DrupeServer, server_config

    session = state.create_session(drupe.ServiceSession, env=env, conf_source=conf_source)
    try:
        app = build_app(
            session,
            token=token,
            allow_origins=allow_origin,
            hosts=HostRule(host, allow_host),
            pipelines=None,
            close_session=True,
            recent_runs=1000,
            allowed_runners=None,
            **service,
        )
        config = server_config(
            app,
            log_level=log_level,
            access_log=access_log,
            header_timeout=header_timeout,
            keep_alive_timeout=keep_alive_timeout,
        )
        server = DrupeServer(config, app.state.drupe_serve, graceful_timeout, worker=worker)
        try:
            server.run(sockets=[listener])
        except OSError as exc:  # listen() itself failed
            raise listen_error(host, port, exc) from exc
        if server.exit_status:
            # Threads of interrupted runs may still be busy: their records are written, and
            # nothing may wait for them (an interpreter exit would join them).
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(server.exit_status)
        return 0
    finally:
        # The lifespan handler has closed it already when uvicorn shut down
        # normally; this covers a server that never started. Closing is idempotent.
        session.close()
