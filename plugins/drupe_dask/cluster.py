"""The cluster a run uses: the scheduler at an address, or a `LocalCluster` started for it.

Connecting and starting are bounded by the options' timeout, and every
failure becomes one `drupe.RunError` naming the address and what to do.
A local cluster listens on 127.0.0.1 only, on ports the OS picks, and is
closed when the run ends, however it ends.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import drupe
from drupe_dask.options import DaskOptions

#: Seconds a local cluster gets to stop its workers (they finish a running task first).
CLOSE_TIMEOUT_S = 30.0


def distributed() -> Any:
    """The ``distributed`` package, imported on first use (it ships no type hints)."""
    return importlib.import_module("distributed")


def require_distributed() -> None:
    """Fail with the install command when the extra is missing."""
    if importlib.util.find_spec("distributed") is None:
        raise drupe.RunError("the dask runner needs dask.distributed: pip install 'drupe[dask]'")


def dashboard_available() -> bool:
    """Whether Dask can serve its dashboard here (it needs bokeh)."""
    return importlib.util.find_spec("bokeh") is not None


def start_local_cluster(
    *,
    workers: int | None,
    threads_per_worker: int | None,
    host: str = "127.0.0.1",
    port: int = 0,
    timeout: float = 30.0,
) -> Any:
    """A `LocalCluster` of worker processes on ``host`` (not yet connected to)."""
    # Always an OS-chosen port: with None the scheduler's HTTP server still tries 8787
    # first, so two clusters on one machine (two runs, a test suite) collide and warn.
    dashboard_address = f"{host}:0"
    return distributed().LocalCluster(
        n_workers=workers,
        threads_per_worker=threads_per_worker,
        processes=True,
        host=host,
        scheduler_port=port,
        dashboard_address=dashboard_address,
        silence_logs=logging.WARNING,
        timeout=timeout,
    )


def describe(client: Any, *, local: bool) -> dict[str, Any]:
    """What the store records about the cluster: scheduler, dashboard, workers."""
    info = client.scheduler_info()
    # A run's own local cluster serves no dashboard (it lives as long as the run).
    serves_dashboard = not local and bool(info.get("services", {}).get("dashboard"))
    return {
        "scheduler": client.scheduler.address,
        "dashboard": client.dashboard_link if serves_dashboard else None,
        "workers": len(info.get("workers", {})),
        "local_cluster": local,
    }


@contextmanager
def quiet_distributed() -> Iterator[None]:
    """Dask logs every connection at INFO; keep a run's output to drupe's own lines.

    Only the level Dask set itself (INFO) is raised to WARNING, and only
    for the block: a level the application chose is left alone.
    """
    logger = logging.getLogger("distributed")
    previous = logger.level
    if previous in (logging.NOTSET, logging.INFO):
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


@contextmanager
def connected(options: DaskOptions) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A client of the run's cluster and its description; everything closed on exit."""
    Client = distributed().Client

    if options.address:
        try:
            client = Client(options.address, timeout=options.timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise drupe.RunError(
                f"cannot reach the Dask scheduler at {options.address} within "
                f"{options.timeout:g} s ({type(exc).__name__}: {exc}); start one with "
                f"`drupe dask local`, or check the address"
            ) from exc
        try:
            yield client, describe(client, local=False)
        finally:
            _close(client)
        return
    try:
        cluster = start_local_cluster(
            workers=options.workers,
            threads_per_worker=options.threads_per_worker,
            timeout=options.timeout,
        )
    except (OSError, TimeoutError) as exc:
        raise drupe.RunError(
            f"could not start a local Dask cluster ({type(exc).__name__}: {exc}); "
            f"try fewer workers (--runner-option workers=1) or a longer timeout"
        ) from exc
    try:
        client = Client(cluster, set_as_default=False)
        try:
            yield client, describe(client, local=True)
        finally:
            _close(client)
    finally:
        closing: Any = cluster.close
        closing(timeout=CLOSE_TIMEOUT_S)


def _close(client: Any) -> None:
    client.close()
