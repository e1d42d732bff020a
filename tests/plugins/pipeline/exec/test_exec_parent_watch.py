"""Parallel-runner workers end when the run's process dies, even by ``kill -9``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from drupe.testing import write_project
from drupe_pipeline.runners import parent_watch

REGISTRY = """
import os
import time
from pathlib import Path

from drupe_pipeline import Pipeline, node


def nap(folder, name):
    Path(folder, f"{name}.{os.getpid()}").touch()  # say which worker runs it
    time.sleep(600)
    return name


def register_pipelines():
    return {
        "__default__": Pipeline(
            [
                node(nap, ["params:folder", "params:a"], "out_a", name="nap_a"),
                node(nap, ["params:folder", "params:b"], "out_b", name="nap_b"),
            ]
        )
    }
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_exit_when_the_run_process_dies(tmp_path: Path, method: str, how: int) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    project = write_project(
        tmp_path / "napper",
        "napper",
        files={
            "src/napper/pipeline_registry.py": REGISTRY,
            "src/napper/settings.py": "",
            "conf/base/parameters.yml": f"folder: {marks}\na: a\nb: b\n",
        },
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "drupe", "run", "--runner", "parallel"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "DRUPE_MP_CONTEXT": method},
    )
    try:
        deadline = time.monotonic() + 90
        while len(list(marks.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = [int(p.suffix[1:]) for p in marks.iterdir()]
        assert len(workers) == 2, "the two nodes never started in workers"
        assert all(_running(pid) for pid in workers)
        process.send_signal(how)
        process.wait(timeout=30)
        deadline = time.monotonic() + 30  # generous: the figure (< 2 s) is printed, not timed
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_running(pid) for pid in workers), "workers outlived their parent"
    finally:
        process.kill()
        process.wait()
        for pid in [int(p.suffix[1:]) for p in marks.iterdir()]:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_recycled_pid_does_not_count_as_the_parent() -> None:
    pid, started = parent_watch.parent_token()
    assert parent_watch.alive((pid, started))
    assert not parent_watch.alive((pid, "not-the-start-time")) or started is None
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not parent_watch.alive((child.pid, None))
