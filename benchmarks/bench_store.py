"""Session store throughput and ``drupe sessions list`` latency on a big history.

Run by hand: ``python benchmarks/bench_store.py [--sessions 100000] [--repeat 30]``.

Prints:

1. sessions recorded per second through the whole lifecycle (create, one
   run, close) with the store plugin, against the same sessions with
   ``save_on_close=False`` (the baseline: the kernel and stand-in plugins
   alone, nothing written), and the ratio;
2. raw writes per second of `SqliteStore` (``save_session`` + ``save_run``)
   while filling a store with ``--sessions`` sessions (one run each);
3. the median latency of listing the 20 newest sessions from that store,
   in-process (``History.list_sessions(limit=20)``) and as the command
   ``drupe sessions list --limit 20`` minus the start-up floor of
   ``drupe info`` (plugins loaded, project found) measured alongside, runs
   interleaved. Target: <= 50 ms.
4. ``drupe sessions list --status interrupted --json`` and ``-n 0 --json``
   over that store (one session in ten is ``open`` and owned by a dead
   process of this host, so it reads as interrupted): wall time and peak
   memory (max RSS) beyond ``drupe info``'s. Target: <= 1 s and <= 50 MB.
5. the JSON-lines backend: runs recorded per second (start and finish, as a
   session records them) while one session grows to ``--json-runs`` runs,
   measured over the last thousand. Target: >= 1,000 runs/s at 10k.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import drupe
import drupe_store
from drupe_store import SqliteStore, open_history

TARGET_MS = 50.0


class ProjectAt:
    """Stand-in for the project and settings plugins: the project is ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @drupe.hookimpl
    def find_project(self) -> drupe.Project:
        return drupe.Project(package_name="bench", root=self.root)

    @drupe.hookimpl
    def load_settings(self) -> Any:
        return SimpleNamespace(SESSION_STORE_ARGS={})


def sessions_per_second(root: Path, count: int, save: bool) -> float:
    # drupe.testing imports pytest: only this figure needs it, not fill() (compare.py).
    from drupe.testing import FunctionExecutor, StaticConfig

    plugins = [
        drupe_store.StorePlugin,  # a class: the session makes its own instance
        ProjectAt(root),
        StaticConfig({"parameters": {"alpha": 1}}),
        FunctionExecutor(lambda context, run: {"out": 1}),
    ]
    started = time.perf_counter()
    for index in range(count):
        with drupe.Session.create(
            save_on_close=save,
            runtime_params={"index": index, "password": "x"},
            plugins=plugins,
            entry_points=False,
        ) as session:
            session.run()
    return count / (time.perf_counter() - started)


def dead_pid() -> int:
    """The pid of a process that has exited (sessions it owned read as interrupted)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def fill(path: Path, count: int) -> float:
    """Write ``count`` realistic sessions (one run each); return writes per second.

    One session in ten is left ``open`` by a process of this host that is gone.
    """
    try:
        from drupe_store.liveness import hostname
    except ImportError:  # an older drupe (compare.py --baseline-python): the same name

        def hostname() -> str:
            return os.uname().nodename

    gone = dead_pid()
    store = SqliteStore(path)
    template = {
        "kind": "session",
        "status": "closed",
        "project_path": "/srv/project",
        "package_name": "bench",
        "env": "prod",
        "runtime_params": {"alpha": 1, "nested": {"beta": [1, 2, 3]}},
        "username": "bench",
        "hostname": "bench-host",
        "pid": 1,
        "python_version": "3.11",
        "drupe_version": drupe.__version__,
        "plugins": [{"name": f"plugin{i}", "version": "1.0"} for i in range(6)],
        "git": {"commit": "0" * 40, "branch": "main", "dirty": False},
        "cli": {"command": "drupe run", "args": ["run", "--env", "prod"], "params": {}},
    }
    started = time.perf_counter()
    for index in range(count):
        session_id = drupe.new_id()
        stamp = f"2026-01-01T00:00:00.{index:06d}+00:00"
        record = {**template, "session_id": session_id, "created_at": stamp}
        if index % 10 == 0:
            record.update(status="open", hostname=hostname(), pid=gone, process_start=None)
        store.save_session(record)
        store.save_run(
            {
                "run_id": f"{session_id}-run",
                "session_id": session_id,
                "status": "succeeded",
                "started_at": stamp,
                "request": {"pipeline_names": [], "tags": ["a"]},
                "outputs": ["model"],
            }
        )
        if index and index % 20000 == 0:
            print(f"  ... {index} sessions written", file=sys.stderr)
    elapsed = time.perf_counter() - started
    store.close()
    return 2 * count / elapsed


def median_ms(action: Any, repeat: int) -> float:
    action()  # warm caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def commands_ms(commands: dict[str, list[str]], cwd: Path, repeat: int) -> dict[str, float]:
    """Median wall time of each command; runs alternate so load drift hits all alike."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(repeat + 1):
        for name, argv in commands.items():
            started = time.perf_counter()
            subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
            if round_:  # the first round warms caches
                times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def peak_command(argv: list[str], cwd: Path, repeat: int) -> tuple[float, float]:
    """Median wall time (s) and peak RSS (MB) of ``argv``, output thrown away."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, "
        "check=True)\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    walls, peaks = [], []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", probe, *argv],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        walls.append(float(out[0]))
        peaks.append(int(out[1]) / 1024)  # KiB on Linux
    return statistics.median(walls), statistics.median(peaks)


def json_runs_per_second(folder: Path, runs: int) -> float:
    """Runs per second (add_run + final save_run) over the last 1000 of ``runs``."""
    from drupe_store import JsonStore

    store = JsonStore(folder)
    session_id = drupe.new_id()
    store.save_session({"session_id": session_id, "status": "open", "created_at": "x"})
    window = min(1000, runs)
    started = 0.0
    for index in range(runs):
        if index == runs - window:
            started = time.perf_counter()
        record = {"run_id": f"{session_id}-{index}", "session_id": session_id, "status": "running"}
        store.add_run(record)
        store.save_run({**record, "status": "succeeded", "outputs": ["model"]})
    elapsed = time.perf_counter() - started
    store.close()
    return window / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--lifecycle", type=int, default=300, help="sessions for part 1")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json-runs", type=int, default=10_000, help="runs for part 5")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        baseline = sessions_per_second(root / "baseline", args.lifecycle, save=False)
        recorded = sessions_per_second(root / "recorded", args.lifecycle, save=True)
        print(f"1. full session lifecycle ({args.lifecycle} sessions, one run each)")
        print(f"   save_on_close=False (baseline) {baseline:9.0f} sessions/s")
        print(f"   recorded in SQLite             {recorded:9.0f} sessions/s")
        print(f"   ratio                          {baseline / recorded:9.2f}x the baseline's time")

        project = root / "big"
        (project / ".drupe").mkdir(parents=True)
        writes = fill(project / ".drupe" / "sessions.db", args.sessions)
        print(f"2. filling a store with {args.sessions} sessions + runs")
        print(f"   SqliteStore writes             {writes:9.0f} writes/s")

        with open_history(path=project / ".drupe" / "sessions.db") as history:
            assert len(history.list_sessions(limit=20)) == 20
            in_process = median_ms(lambda: history.list_sessions(limit=20), args.repeat)
        drupe_cmd = [sys.executable, "-m", "drupe"]
        measured = commands_ms(
            {
                "floor": [*drupe_cmd, "info"],
                "list": [*drupe_cmd, "sessions", "list", "--limit", "20"],
            },
            project,
            args.repeat,
        )
        floor, listing = measured["floor"], measured["list"]
        print(f"3. listing the 20 newest of {args.sessions} sessions (median of {args.repeat})")
        print(f"   History.list_sessions(limit=20) {in_process:8.2f} ms")
        print(f"   drupe info (start-up floor)     {floor:8.2f} ms")
        print(f"   drupe sessions list --limit 20  {listing:8.2f} ms")
        beyond = listing - floor
        print(f"   beyond start-up                 {beyond:8.2f} ms")
        verdict = "meets" if max(in_process, beyond) <= TARGET_MS else "misses"
        print(f"   {verdict} the target of {TARGET_MS:.0f} ms")

        print(f"4. streaming listings of {args.sessions} sessions (median of 3)")
        floor_s, floor_mb = peak_command([*drupe_cmd, "info"], project, 3)
        print(f"   drupe info (start-up floor)     {floor_s:8.2f} s {floor_mb:8.1f} MB")
        for label, extra in (
            ("--status interrupted", ["--status", "interrupted"]),
            ("--status interrupted -n 0", ["--status", "interrupted", "-n", "0"]),
            ("-n 0", ["-n", "0"]),
        ):
            argv = [*drupe_cmd, "sessions", "list", *extra, "--json"]
            wall, peak = peak_command(argv, project, 3)
            print(
                f"   list {label:<27} {wall:6.2f} s {peak:8.1f} MB  beyond start-up: "
                f"{wall - floor_s:6.2f} s {peak - floor_mb:6.1f} MB"
            )

        rate = json_runs_per_second(root / "json" / "sessions", args.json_runs)
        print(f"5. JSON-lines backend, one session growing to {args.json_runs} runs")
        print(f"   runs recorded (last 1000)      {rate:9.0f} runs/s (target >= 1000)")


if __name__ == "__main__":
    main()
