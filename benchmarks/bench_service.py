"""Throughput and memory of a long-lived `drupe.ServiceSession`, and of `drupe serve`.

Run by hand: ``python benchmarks/bench_service.py [--runs 2000] [--repeat 5] [--no-store]``.

Every figure uses a temporary copy of ``examples/hello`` (a 3-node pipeline:
greet -> shout -> measure) with all bundled plugins, the SQLite store
included unless ``--no-store``. It prints:

* runs per second of ``ServiceSession.run`` from 1 thread and from 8
  threads (median of ``--repeat`` batches of ``--runs`` runs, distinct
  runtime parameters each run);
* the same for Kedro's ``KedroServiceSession`` on the same three nodes, only
  when ``kedro`` is importable (it is not a dependency; install it in a
  virtualenv of your own), and the ratio. Targets: drupe >= 25x Kedro on one
  thread, and 8 threads at least as fast as one;
* HTTP requests per second against ``drupe serve`` (uvicorn, 8 worker
  threads) from 32 concurrent clients (httpx, asyncio) on 127.0.0.1, against
  the baseline of a trivial Starlette endpoint served by the same uvicorn
  (the ceiling of the HTTP stack and client on this machine);
* RSS growth over 10,000 runs after a warm-up (target: <= 0.5 MiB).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HELLO = ROOT / "examples" / "hello"


def hello_copy(parent: Path) -> Path:
    target = parent / "hello"
    shutil.copytree(HELLO, target, ignore=shutil.ignore_patterns(".drupe", "__pycache__"))
    return target


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def runs_per_second(run: Any, runs: int, threads: int, repeat: int) -> float:
    """Median runs/second of ``run(i)`` over ``repeat`` batches of ``runs`` calls.

    With several threads, each plain thread loops over its share of the
    batch: a pool's per-call futures would cost as much as a small run and
    measure the pool rather than the session.
    """
    rates = []
    for batch in range(repeat):
        first = batch * runs

        def share(offset: int, first: int = first) -> None:
            for i in range(first + offset, first + runs, threads):
                run(i)

        workers = [threading.Thread(target=share, args=(k,)) for k in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        rates.append(runs / (time.perf_counter() - started))
    return statistics.median(rates)


# -- drupe --------------------------------------------------------------------


def drupe_service(project: Path, store: bool) -> Any:
    import drupe

    return drupe.ServiceSession.create(
        project_path=project, disable_plugins=() if store else ("store",)
    )


def bench_drupe(project: Path, args: argparse.Namespace) -> dict[str, float]:
    session = drupe_service(project, not args.no_store)
    try:

        def run(i: int) -> None:
            outputs = session.run(runtime_params={"name": f"n{i}", "times": i % 5})
            assert outputs["stats"]["words"] == 2

        run(0)  # warm-up: imports, first context
        return {
            "1 thread": runs_per_second(run, args.runs, 1, args.repeat),
            "8 threads": runs_per_second(run, args.runs, 8, args.repeat),
        }
    finally:
        session.close()


def rss_growth(run: Any, warmup: int = 1000, runs: int = 10_000) -> tuple[float, float]:
    """RSS (MiB) before and after ``runs`` calls of ``run(i)``, after ``warmup`` calls.

    The warm-up fills caches, allocator arenas and SQLite's page cache, so what
    remains is what runs keep.
    """
    for i in range(warmup):
        run(-1 - i)
    gc.collect()
    before = rss_mib()
    for i in range(runs):
        run(i)
    gc.collect()
    return before, rss_mib()


def bench_memory(project: Path, args: argparse.Namespace) -> tuple[float, float]:
    session = drupe_service(project, not args.no_store)
    try:
        return rss_growth(
            lambda i: session.run(runtime_params={"name": f"m{i}", "times": abs(i) % 5})
        )
    finally:
        session.close()


# -- Kedro (only when importable) ---------------------------------------------

KEDRO_REGISTRY = """
from kedro.pipeline import Pipeline, node


def make_greeting(greeting, name):
    return f"{greeting}, {name}"


def shout(message, times):
    return message.upper() + "!" * times


def measure(message):
    return {"characters": len(message), "words": len(message.split())}


def register_pipelines():
    pipe = Pipeline(
        [
            node(make_greeting, ["params:greeting", "params:name"], "greeting", name="greet"),
            node(shout, ["greeting", "params:times"], "loud_greeting", name="shout"),
            node(measure, "loud_greeting", "stats", name="measure"),
        ]
    )
    return {"__default__": pipe}
"""


def kedro_project(parent: Path) -> Path:
    """A minimal Kedro project with hello's three nodes and parameters."""
    import kedro

    root = parent / "kedro_hello"
    package = root / "src" / "kedro_hello"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [tool.kedro]
            package_name = "kedro_hello"
            project_name = "kedro hello"
            kedro_init_version = "{kedro.__version__}"
            source_dir = "src"
            """
        )
    )
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text("")
    (package / "pipeline_registry.py").write_text(textwrap.dedent(KEDRO_REGISTRY))
    (root / "conf" / "base").mkdir(parents=True)
    (root / "conf" / "local").mkdir()
    shutil.copy(HELLO / "conf" / "base" / "parameters.yml", root / "conf" / "base")
    (root / "conf" / "base" / "catalog.yml").write_text("{}\n")
    return root


def kedro_service(root: Path) -> Any:
    """A ``KedroServiceSession`` on the project at ``root`` (Kedro must be importable)."""
    from kedro.framework.session import KedroServiceSession  # type: ignore[import-not-found]
    from kedro.framework.startup import bootstrap_project  # type: ignore[import-not-found]

    bootstrap_project(root)
    return KedroServiceSession.create(project_path=root)


def bench_kedro(parent: Path, args: argparse.Namespace) -> dict[str, float] | None:
    if importlib.util.find_spec("kedro") is None:
        return None
    session = kedro_service(kedro_project(parent))

    def run(i: int) -> None:
        session.run(runtime_params={"name": f"n{i}", "times": i % 5})

    run(0)
    return {
        "1 thread": runs_per_second(run, max(args.runs // 10, 50), 1, args.repeat),
        "8 threads": runs_per_second(run, max(args.runs // 10, 50), 8, args.repeat),
    }


# -- HTTP -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TRIVIAL_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def run(request):
    await request.json()
    return JSONResponse({"status": "succeeded"})


async def health(request):
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/runs", run, methods=["POST"]), Route("/health", health)])
"""


#: The bearer token given to ``drupe serve`` (DRUPE_SERVE_TOKEN) and sent by the clients.
TOKEN = "bench-token-0123456789abcdef"


def load_server(argv: list[str], cwd: Path, args: argparse.Namespace, port: int) -> float:
    """Start a server, send 32 concurrent clients' requests, stop it; median requests/s."""
    import httpx

    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        argv,
        cwd=cwd,
        env={**os.environ, "DRUPE_SERVE_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        else:
            raise RuntimeError(f"{argv} did not start")

        async def clients(per_client: int) -> float:
            async with httpx.AsyncClient(
                base_url=base,
                timeout=60,
                limits=httpx.Limits(max_connections=32),
                headers={"Authorization": f"Bearer {TOKEN}"},  # drupe serve wants it
            ) as http:

                async def client(c: int) -> None:
                    for i in range(per_client):
                        body = {"runtime_params": {"name": f"c{c}r{i}", "times": 1}}
                        response = await http.post("/runs", json=body)
                        response.raise_for_status()

                started = time.perf_counter()
                await asyncio.gather(*(client(c) for c in range(32)))
                return 32 * per_client / (time.perf_counter() - started)

        asyncio.run(clients(5))  # warm-up
        rates = [asyncio.run(clients(args.http_requests)) for _ in range(args.repeat)]
        return statistics.median(rates)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)


def bench_http(project: Path, args: argparse.Namespace) -> tuple[float, float]:
    """``drupe serve`` on hello, and the baseline: a trivial endpoint on the same stack."""
    disable = [] if not args.no_store else ["-p", "no:store"]
    port = free_port()
    drupe_rate = load_server(
        [
            sys.executable,
            "-m",
            "drupe",
            *disable,
            "serve",
            "--port",
            str(port),
            "--worker-threads",
            "8",
            "--max-in-flight",
            "64",
            "--log-level",
            "warning",
        ],
        project,
        args,
        port,
    )
    (project.parent / "trivial_app.py").write_text(TRIVIAL_APP)
    port = free_port()
    baseline = load_server(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "trivial_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        project.parent,
        args,
        port,
    )
    return drupe_rate, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="runs per batch")
    parser.add_argument("--repeat", type=int, default=5, help="batches (median reported)")
    parser.add_argument("--http-requests", type=int, default=50, help="requests per client")
    parser.add_argument("--no-store", action="store_true", help="disable the store plugin")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        parent = Path(tmp)
        project = hello_copy(parent)
        os.chdir(project)
        store = "without" if args.no_store else "with"
        print(
            f"examples/hello (3 nodes), {store} the SQLite store; Python {sys.version.split()[0]}"
        )
        print(f"{os.cpu_count()} CPUs; medians of {args.repeat} batches of {args.runs} runs")
        ours = bench_drupe(project, args)
        for label, rate in ours.items():
            print(f"  drupe ServiceSession.run, {label:<9} {rate:10.0f} runs/s")
        scaling = ours["8 threads"] / ours["1 thread"]
        verdict = "met" if scaling >= 1 else "MISSED"
        print(f"  8 threads vs 1: {scaling:.2f}x (target >= 1.0: {verdict})")
        kedro = bench_kedro(parent, args)
        if kedro is None:
            print("  Kedro KedroServiceSession: kedro is not importable here; no comparison")
        else:
            for label, rate in kedro.items():
                print(f"  Kedro KedroServiceSession, {label:<9} {rate:10.0f} runs/s")
            ratio = ours["1 thread"] / kedro["1 thread"]
            print(f"  drupe / Kedro, 1 thread: {ratio:.1f}x (target >= 25x)")
        if not args.skip_http:
            rate, baseline = bench_http(project, args)
            print(f"  drupe serve, 32 clients x {args.http_requests} requests: {rate:8.0f} req/s")
            print(
                f"  baseline: a trivial Starlette endpoint, same uvicorn: {baseline:8.0f} req/s"
                f" (drupe serve reaches {rate / baseline:.0%} of it)"
            )
        if not args.skip_memory:
            before, after = bench_memory(project, args)
            growth = after - before
            verdict = "met" if growth <= 0.5 else "MISSED"
            print(
                f"  RSS over 10,000 runs: {before:.1f} -> {after:.1f} MiB, "
                f"growth {growth:+.2f} MiB (target <= 0.5 MiB: {verdict})"
            )


if __name__ == "__main__":
    main()
