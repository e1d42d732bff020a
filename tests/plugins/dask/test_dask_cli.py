"""``drupe run --runner dask`` and ``drupe dask local`` as a user runs them: real processes.

Each test starts its own cluster (a run's local cluster, or ``drupe dask
local``) on 127.0.0.1 with OS-chosen ports, and checks that every worker
process is gone once the command ends, also after Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

DRUPE = [sys.executable, "-m", "drupe"]


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DRUPE_DASK_ADDRESS"}
    env.update(PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def _runs(root: Path) -> list[dict[str, Any]]:
    database = root / ".drupe" / "sessions.db"
    if not database.exists():  # refused before any session was created
        return []
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT record FROM runs ORDER BY started_at").fetchall()
    return [json.loads(row[0]) for row in rows]


@pytest.mark.slow(seconds=6)
def test_drupe_run_starts_a_local_cluster_for_the_run_and_closes_it(
    dask_project: Path,
    timings: Callable[[Path, str], dict[str, Any]],
    wait_gone: Callable[..., set[int]],
) -> None:
    done = subprocess.run(
        [
            *DRUPE,
            "run",
            "--runner",
            "dask",
            "--runner-option",
            "workers=2",
            "--runner-option",
            "threads_per_worker=1",
            "--pipelines",
            "diamond",
        ],
        cwd=dask_project,
        env=_env(dask_project),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    [run] = _runs(dask_project)
    assert run["status"] == "succeeded"
    assert run["runner"]["local_cluster"] is True
    assert run["runner"]["workers"] == 2
    assert run["request"]["selection"]["runner_options"] == {
        "workers": "2",
        "threads_per_worker": "1",
    }
    assert run["runner"]["scheduler"].startswith("tcp://127.0.0.1:")
    nodes = timings(dask_project, run["run_id"])["nodes"]
    worker_pids = {row["pid"] for row in nodes.values()}
    assert not wait_gone(worker_pids), "the run's local cluster left a worker behind"
    assert "distributed." not in done.stderr, "Dask's INFO chatter stays out of the run's output"


@pytest.mark.slow(seconds=7)
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupting_a_run_cancels_its_tasks_and_records_it_interrupted(
    dask_project: Path, tmp_path: Path, how: str, wait_gone: Callable[..., set[int]]
) -> None:
    marker = tmp_path / "started.pid"
    process = subprocess.Popen(
        [*DRUPE, "run", "--runner", "dask", "--pipelines", "slow"],
        cwd=dask_project,
        env=_env(dask_project, DASK_DEMO_MARKER=str(marker)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a shell job
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marker.exists(), "the slow node never started"
        time.sleep(0.3)  # the pid is written first thing: let the file be complete
        worker_pid = int(marker.read_text())
        assert worker_pid != process.pid
        if how == "ctrl-c":  # a terminal sends SIGINT to the whole foreground group
            os.killpg(process.pid, signal.SIGINT)
        else:  # a process manager signals the main process only
            process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode != 0
    [run] = _runs(dask_project)
    assert run["status"] == "interrupted", stderr
    assert not wait_gone({worker_pid}), "a worker outlived the interrupted run"
    assert not (dask_project / "data" / "forever.json").exists()


@pytest.mark.slow(seconds=3)
def test_drupe_dask_local_serves_workers_until_ctrl_c(wait_gone: Callable[..., set[int]]) -> None:
    from distributed import Client

    process = subprocess.Popen(
        [*DRUPE, "dask", "local", "--workers", "1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.match(r"scheduler: (tcp://127\.0\.0\.1:\d+)$", line.strip())
        assert found, line
        dashboard = process.stdout.readline()
        assert dashboard.startswith("dashboard: ")
        with Client(found.group(1), timeout=30, set_as_default=False) as client:
            worker_pids = set(client.run(os.getpid).values())
        assert len(worker_pids) == 1
        os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0
    assert not wait_gone(worker_pids)
    assert not psutil.pid_exists(process.pid) or (
        psutil.Process(process.pid).status() == psutil.STATUS_ZOMBIE
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--runner", "sequential", "--runner-option", "workers=2"], "takes no runner options"),
        (["--runner", "dask", "--runner-option", "adress=tcp://h:1"], "unknown dask runner option"),
        (["--runner", "dask", "--runner-option", "address"], "is not key=value"),
        (["--runner", "dask", "--runner-option", "address=nowhere"], "is not like tcp://host:8786"),
        (["--runner", "dusk"], "unknown runner 'dusk'"),
    ],
)
def test_bad_runner_choices_are_usage_errors_before_any_cluster_starts(
    dask_project: Path, argv: list[str], message: str
) -> None:
    done = subprocess.run(
        [*DRUPE, "run", *argv],
        cwd=dask_project,
        env=_env(dask_project),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not _runs(dask_project), "refused before the run started: nothing recorded"
