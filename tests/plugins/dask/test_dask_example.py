"""examples/dask gives the same report with every runner, and its timer sees every node."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow(seconds=4)
def test_the_example_gives_the_same_report_with_every_runner(tmp_path: Path) -> None:
    project = tmp_path / "fanout"
    shutil.copytree(ROOT / "examples" / "dask", project, ignore=shutil.ignore_patterns(".drupe"))
    env = {k: v for k, v in os.environ.items() if k != "DRUPE_DASK_ADDRESS"}
    env.update(FANOUT_TIMINGS="1", PYTHONDONTWRITEBYTECODE="1")
    printed = {}
    for runner in ("sequential", "thread", "parallel", "dask"):
        done = subprocess.run(
            [sys.executable, "-m", "drupe", "run", "--runner", runner, "--params", "rounds=2000"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
        printed[runner] = sorted(line.split()[0] for line in done.stdout.splitlines())
    reports = [json.loads(p.read_text()) for p in (project / "data" / "report.json").glob("*/*")]
    assert len(reports) == 4, "one versioned report per run"
    assert all(report == reports[0] for report in reports)
    nodes = ["combine", "digest_0", "digest_1", "digest_2", "digest_3", "make_chunks"]
    assert printed == dict.fromkeys(printed, nodes), "every runner's timer table is complete"
