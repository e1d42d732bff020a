"""``drupe dask local``: a scheduler and workers in the foreground, for development."""

from __future__ import annotations

import threading

import click

from drupe_dask.cluster import dashboard_available, require_distributed, start_local_cluster
from drupe_dask.interrupts import terminate_as_interrupt


@click.group("dask")
def dask_group() -> None:
    """Dask clusters for drupe runs (``drupe run --runner dask``)."""


@dask_group.command("local")
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(1, 256),
    default=None,
    help="Worker processes (default: sized to the machine).",
)
@click.option(
    "--threads-per-worker",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Threads per worker process.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8786,
    show_default=True,
    help="Scheduler port (0: one the OS picks).",
)
def local_command(workers: int | None, threads_per_worker: int, host: str, port: int) -> None:
    """Start a local scheduler and workers until Ctrl-C; print the address to run against."""
    require_distributed()
    stop = threading.Event()
    with terminate_as_interrupt():
        cluster = start_local_cluster(
            workers=workers,
            threads_per_worker=threads_per_worker,
            host=host,
            port=port,
        )
        try:
            address = cluster.scheduler_address
            count = len(cluster.workers)
            click.echo(f"scheduler: {address}", nl=True)
            if cluster.dashboard_link and dashboard_available():
                click.echo(f"dashboard: {cluster.dashboard_link}")
            else:
                click.echo("dashboard: off (pip install bokeh to get it)")
            click.echo(f"workers:   {count} x {threads_per_worker} thread(s)")
            click.echo(f"run with:  drupe run --runner dask --runner-option address={address}")
            click.echo("Ctrl-C stops the cluster.", err=True)
            try:
                while not stop.wait(0.5):
                    pass
            except KeyboardInterrupt:
                click.echo("stopping the cluster...", err=True)
        finally:
            cluster.close(timeout=30)
