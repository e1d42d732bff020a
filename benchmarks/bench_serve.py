"""``drupe serve --workers``: requests/s at 32 clients, and what the safety checks cost.

Run by hand: ``python benchmarks/bench_serve.py [--requests 60] [--repeat 3] [--no-store]``.

On a temporary copy of ``examples/hello`` (3 nodes, all bundled plugins, the
SQLite store included) it prints:

* requests/s of ``POST /runs`` from 32 concurrent keep-alive clients on
  127.0.0.1, for ``--workers 1`` and ``--workers 2`` (median of ``--repeat``
  batches), and the ratio (target on a 2-core machine: >= 1.6). The client
  is a bare asyncio HTTP/1.1 client in its own process, so it takes as
  little CPU from the server as possible; on a 2-core machine it still
  takes some, which lowers the ratio;
* the server's CPU time per request in each case: equal figures mean a
  second worker adds a core's worth of capacity, whatever else the machine
  was doing when the rates were measured;
* the cost of the checks added to every request (token, ``Host``,
  ``Origin``, content type, body limits), measured in process on the same
  request: microseconds per request, and that time as a share of one
  request's service time at ``--workers 1`` (target: < 5%).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELLO = ROOT / "examples" / "hello"
TOKEN = "bench-token-0123456789abcdef"
CLIENTS = 32


def hello_copy(parent: Path) -> Path:
    target = parent / "hello"
    shutil.copytree(HELLO, target, ignore=shutil.ignore_patterns(".drupe", "__pycache__"))
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request_bytes(port: int, client: int, index: int) -> bytes:
    body = json.dumps({"runtime_params": {"name": f"c{client}r{index}", "times": 1}}).encode()
    return (
        f"POST /runs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _one_client(port: int, client: int, count: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for index in range(count):
            writer.write(request_bytes(port, client, index))
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.decode(errors="replace"))
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
    finally:
        writer.close()


async def _load(port: int, count: int) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(_one_client(port, c, count) for c in range(CLIENTS)))
    return CLIENTS * count / (time.perf_counter() - started)


def client_process(port: int, count: int, repeat: int) -> None:
    """Entry point of the load-generating process: prints one rate per batch."""
    asyncio.run(_load(port, 3))  # warm-up: every worker has served
    for _ in range(repeat):
        print(asyncio.run(_load(port, count)), flush=True)


def wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError("drupe serve exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("drupe serve did not start")


def _cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by ``root`` and its children (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if root in (pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def serve_rate(project: Path, workers: int, args: argparse.Namespace) -> tuple[float, float]:
    """Median requests/s, and the server's CPU milliseconds per request over all batches."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "drupe",
            *(["-p", "no:store"] if args.no_store else []),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--worker-threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=project,
        env={**os.environ, "DRUPE_SERVE_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port, server)
        cpu_before = _cpu_seconds(server.pid)
        done = subprocess.run(
            [sys.executable, __file__, "--client", str(port), str(args.requests), str(args.repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
        cpu = _cpu_seconds(server.pid) - cpu_before
        served = CLIENTS * (3 + args.requests * args.repeat)
        return statistics.median(float(line) for line in done.stdout.split()), cpu * 1000 / served
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)


def check_cost_us() -> float:
    """Microseconds the added checks take for one ``POST /runs`` (guard + body checks)."""
    sys.path[:0] = [str(ROOT / "kernel"), str(ROOT / "plugins")]
    from drupe_serve import limits
    from drupe_serve.security import HostRule, RequestGuard

    async def inner(scope: object, receive: object, send: object) -> None:
        return None

    guard = RequestGuard(inner, token=TOKEN, allow_origins=(), hosts=HostRule("127.0.0.1"))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/runs",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"authorization", f"Bearer {TOKEN}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"60"),
        ],
    }
    raw = json.dumps({"runtime_params": {"name": "c1r1", "times": 1}}).encode()

    def guarded() -> None:
        coroutine = guard(scope, None, None)  # type: ignore[arg-type]
        with contextlib.suppress(StopIteration):
            coroutine.send(None)

    def body_checks() -> None:
        data = limits.loads(raw)
        for name, value in data.items():
            limits.check_field(name, value, dotted_keys=name == "runtime_params")

    def plain_json() -> None:
        json.loads(raw)

    number = 20_000
    guard_s = min(timeit.repeat(guarded, number=number, repeat=5)) / number
    body_s = min(timeit.repeat(body_checks, number=number, repeat=5)) / number
    plain_s = min(timeit.repeat(plain_json, number=number, repeat=5)) / number
    return (guard_s + body_s - plain_s) * 1e6


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--client":
        client_process(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60, help="requests per client per batch")
    parser.add_argument("--repeat", type=int, default=3, help="batches (median reported)")
    parser.add_argument(
        "--no-store", action="store_true", help="serve without the store (no SQLite writes)"
    )
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        project = hello_copy(Path(tmp))
        one, one_cpu = serve_rate(project, 1, args)
        two, two_cpu = serve_rate(project, 2, args)
    cost = check_cost_us()
    per_request_us = 1e6 / one
    print(f"cpus: {os.cpu_count()}")
    print(f"load average before: {load:.1f} (other work on the machine lowers 2/1)")
    print(f"--workers 1: {one:8.1f} requests/s  (32 clients), {one_cpu:.2f} CPU ms per request")
    print(f"--workers 2: {two:8.1f} requests/s  (32 clients), {two_cpu:.2f} CPU ms per request")
    print(f"ratio 2/1:   {two / one:8.2f}  (target >= 1.6)")
    print(
        f"checks:      {cost:8.1f} us per request = {cost / per_request_us:.2%} of a request's "
        f"service time at --workers 1 ({per_request_us:.0f} us) (target < 5%)"
    )


if __name__ == "__main__":
    main()
