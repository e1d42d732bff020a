"""One measurement of one figure, in the interpreter under test; used by ``compare.py``.

``compare.py`` runs this file with each interpreter it compares (this
checkout's drupe, a baseline drupe install, Kedro's) so that every tool is
measured the same way, in a fresh process, with its own installed code:

    python benchmarks/probes.py FIGURE KIND [options]

``KIND`` is ``drupe`` or ``kedro``. The answer is one line on stdout,
``@@probe {json}``; everything else a tool prints (Kedro logs to the
console) is ignored. Only the standard library is imported at the top:
this file runs in environments that have drupe but not Kedro and the other
way round, so each figure imports what it needs from the ``bench_*``
modules next to it, and those import drupe or Kedro inside functions.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

MARK = "@@probe "


def quiet_logs() -> None:
    """Keep the frameworks' INFO lines off the console: measure runs, not terminal output.

    Kedro configures a console handler when it is imported and logs every
    node at INFO; a service would not print those either. drupe logs nothing
    at INFO outside its CLI. Both are held to warnings alike.
    """
    # omegaconf's deprecation of an API Kedro calls at every session: a warning per
    # session about the installed omegaconf, not Kedro's work.
    warnings.filterwarnings("ignore", message=".*register_new_resolver")
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("kedro", "drupe"):
        logging.getLogger(name).setLevel(logging.WARNING)


def open_service(kind: str, project: Path, store: bool = True) -> Any:
    """A long-lived service session of ``kind`` on ``project``."""
    import bench_service

    if kind == "kedro":
        session = bench_service.kedro_service(project)
    else:
        session = bench_service.drupe_service(project, store)
    quiet_logs()  # again: importing Kedro's project machinery configures logging
    return session


def service_call(session: Any) -> Callable[[int], object]:
    """One run with parameters of its own, as a service answers a request."""

    def run(i: int) -> object:
        return session.run(runtime_params={"name": f"n{i}", "times": abs(i) % 5})

    return run


# -- the figures ----------------------------------------------------------------


def setup_kedro(args: argparse.Namespace) -> dict[str, Any]:
    """Write the Kedro project equivalent to examples/hello under ``args.path``."""
    import bench_service

    return {"value": 0.0, "path": str(bench_service.kedro_project(Path(args.path)))}


def fill_store(args: argparse.Namespace) -> dict[str, Any]:
    """A session store holding ``args.count`` sessions at ``path/.drupe/sessions.db``."""
    import bench_store

    folder = Path(args.path) / ".drupe"
    folder.mkdir(parents=True, exist_ok=True)
    return {"value": bench_store.fill(folder / "sessions.db", args.count)}


def session_lifecycle(args: argparse.Namespace) -> dict[str, Any]:
    """Median seconds of one create + run + close of the 3-node pipeline."""
    import bench_run

    project = Path(args.path)
    if args.kind == "kedro":
        from kedro.framework.session import KedroSession
        from kedro.framework.startup import bootstrap_project

        bootstrap_project(project)
        quiet_logs()  # again: importing Kedro's project machinery configures logging

        def once() -> None:
            with KedroSession.create(project_path=project) as session:
                session.run()

    else:
        import drupe

        os.chdir(project)

        def once() -> None:
            with drupe.Session.create(save_on_close=args.store) as session:
                session.run()

    return {"value": bench_run.median_call(once, args.count)}


def service_rate(args: argparse.Namespace) -> dict[str, Any]:
    """Runs per second of one service session, from ``args.threads`` threads."""
    import bench_service

    session = open_service(args.kind, Path(args.path), args.store)
    try:
        run = service_call(session)
        run(0)  # the first run imports the project's pipelines
        rate = bench_service.runs_per_second(run, args.count, args.threads, repeat=1)
    finally:
        session.close()
    return {"value": rate}


_WORKER_SESSION: Any = None


def open_worker_session(kind: str, project: str, store: bool) -> None:
    """Pool initializer: one service session per worker process, closed at its exit."""
    global _WORKER_SESSION
    quiet_logs()
    _WORKER_SESSION = open_service(kind, Path(project), store)
    atexit.register(_WORKER_SESSION.close)


def run_batch(first: int, count: int) -> int:
    """Pool task: ``count`` runs in this worker's session; returns this worker's pid."""
    run = service_call(_WORKER_SESSION)
    for i in range(first, first + count):
        run(i)
    return os.getpid()


def pool_rate(args: argparse.Namespace) -> dict[str, Any]:
    """Runs per second of a pool of ``args.processes`` processes, one service session each.

    Every worker is started and has opened its session before the clock
    starts; runs are sent in batches so the pool's per-task cost (pickling,
    a pipe round trip) is spread over several runs, as a real job queue would.
    """
    processes = args.processes
    pool = ProcessPoolExecutor(
        processes,
        mp_context=get_context("spawn"),
        initializer=open_worker_session,
        initargs=(args.kind, args.path, True),
    )
    with pool:
        seen: set[int] = set()
        for _ in range(50):
            seen.update(pool.map(run_batch, range(processes * 2), [1] * processes * 2))
            if len(seen) == processes:
                break
        batch = max(1, args.count // (processes * 8))
        starts = range(0, args.count, batch)
        started = time.perf_counter()
        list(pool.map(run_batch, starts, [min(batch, args.count - s) for s in starts]))
        elapsed = time.perf_counter() - started
    return {"value": args.count / elapsed, "workers_seen": len(seen)}


def rss(args: argparse.Namespace) -> dict[str, Any]:
    """RSS growth (MiB) over ``args.count`` service runs after a warm-up."""
    import bench_service

    session = open_service(args.kind, Path(args.path))
    try:
        before, after = bench_service.rss_growth(
            service_call(session), warmup=args.warmup, runs=args.count
        )
    finally:
        session.close()
    return {"value": after - before, "before_mib": before, "after_mib": after}


def config_load(args: argparse.Namespace, *, cold: bool = False) -> dict[str, Any]:
    """Median seconds to load ``parameters`` from the tree at ``args.path`` (400 files).

    ``cold``: drupe's parsed-file cache is off and emptied before every
    sample, so each one parses all 400 files. drupe keeps what each file's
    bytes parsed to (``drupe.cached_parse``): the plain figure measures
    repeated loads, the cold one a first load. Kedro and a drupe without
    that cache behave the same in both.
    """
    import bench_config

    clear_memory: Callable[[], None] = lambda: None  # noqa: E731
    if cold:
        os.environ["DRUPE_NO_CACHE"] = "1"  # no disk copies
        with contextlib.suppress(ImportError):  # a drupe from before the cache, or Kedro
            from drupe.parse_cache import clear_memory
    conf = Path(args.path)
    load = bench_config.kedro_parameters if args.kind == "kedro" else bench_config.drupe_parameters
    load(conf)  # imports, not measured

    def sample() -> None:
        clear_memory()
        load(conf)

    return {"value": bench_config.median_seconds(sample, args.count)}


def yaml_floor(args: argparse.Namespace) -> dict[str, Any]:
    """Median seconds to read and parse every file of the tree with libyaml, nothing else."""
    import bench_config
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    paths = sorted(Path(args.path).rglob("*.yml"))

    def parse() -> None:
        for path in paths:
            yaml.load(path.read_bytes(), Loader=loader)

    return {"value": bench_config.median_seconds(parse, args.count)}


FIGURES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "setup-kedro": setup_kedro,
    "fill-store": fill_store,
    "session": session_lifecycle,
    "service": service_rate,
    "pool": pool_rate,
    "rss": rss,
    "config": config_load,
    "config-cold": functools.partial(config_load, cold=True),
    "yaml-floor": yaml_floor,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figure", choices=sorted(FIGURES))
    parser.add_argument("kind", choices=["drupe", "kedro"])
    parser.add_argument("path", help="the project, config tree or folder the figure works on")
    parser.add_argument("--count", type=int, default=1, help="iterations, runs or sessions")
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--no-store", dest="store", action="store_false")
    args = parser.parse_args()
    quiet_logs()
    answer = FIGURES[args.figure](args)
    sys.stdout.write(MARK + json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
