"""How long parallel-runner workers outlive a ``kill -9`` of the run (target: under 2 s).

Run by hand: ``python benchmarks/bench_parent_watch.py [--repeat 3]``. For each
start method, starts ``drupe run --runner parallel`` on a project whose two
nodes sleep, kills the run's process with SIGKILL once both workers run, and
prints how long the workers took to exit (`drupe_pipeline.runners.parent_watch`
polls every 0.25 s). Without the watch they stayed until killed by hand.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from drupe.testing import write_project

REGISTRY = """
import os
import time
from pathlib import Path

from drupe_pipeline import Pipeline, node


def nap(folder, name):
    Path(folder, f"{name}.{os.getpid()}").touch()
    time.sleep(600)
    return name


def register_pipelines():
    return {"__default__": Pipeline([
        node(nap, ["params:folder", "params:a"], "out_a", name="nap_a"),
        node(nap, ["params:folder", "params:b"], "out_b", name="nap_b"),
    ])}
"""


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False


def one(root: Path, method: str) -> float:
    marks = root / "marks"
    marks.mkdir(parents=True)
    project = write_project(
        root / "napper",
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
    while len(list(marks.iterdir())) < 2:
        time.sleep(0.05)
    workers = [int(p.suffix[1:]) for p in marks.iterdir()]
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed = time.perf_counter()
    while any(running(pid) for pid in workers):
        time.sleep(0.01)
    return time.perf_counter() - killed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for method in ("fork", "spawn", "forkserver"):
            times = [one(Path(folder) / f"{method}{i}", method) for i in range(args.repeat)]
            print(
                f"{method:<11} workers gone {statistics.median(times):.2f} s after kill -9 "
                f"(median of {args.repeat}, max {max(times):.2f} s; target < 2 s)"
            )


if __name__ == "__main__":
    main()
