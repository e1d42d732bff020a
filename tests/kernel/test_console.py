"""The ``drupe`` program starts without the cyclic collector, and gives it back before user work.

Project code (settings, the pipeline registry, nodes) and long commands must
run with the collector on, or a pipeline that builds reference cycles would
grow without bound; what drupe built while starting is frozen so that
collections skip it. In-process callers of the CLI keep their collector as
it was, and nothing of theirs is frozen.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from drupe.testing import write_project

REGISTRY = """
import gc
import json
from pathlib import Path

from drupe_pipeline import Pipeline, node

AT_IMPORT = {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}


def observe(rows):
    # Garbage cycles made by a node are collected while the run goes on.
    for _ in range(50_000):
        cycle = []
        cycle.append(cycle)
    seen = {
        "import": AT_IMPORT,
        "node": {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()},
        "unreachable_now": gc.collect(),
    }
    Path("seen.json").write_text(json.dumps(seen))
    return rows


def register_pipelines():
    return {"__default__": Pipeline([node(observe, "params:rows", "out", name="observe")])}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(
        tmp_path / "gcwatch",
        "gcwatch",
        files={
            "src/gcwatch/pipeline_registry.py": REGISTRY,
            "src/gcwatch/settings.py": "",
            "conf/base/parameters.yml": "rows: 3\n",
        },
    )


@pytest.mark.parametrize(
    "program", [["-m", "drupe"], ["-c", "from drupe.console import main; main()"]]
)
def test_project_code_runs_with_the_collector_on_and_startup_frozen(
    project: Path, program: list[str]
) -> None:
    done = subprocess.run(
        [sys.executable, *program, "run"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads((project / "seen.json").read_text())
    for moment in ("import", "node"):
        assert seen[moment]["enabled"] is True, seen
        # What drupe built while starting is frozen: collections skip it.
        assert seen[moment]["frozen"] > 1000, seen
    # The node's 50,000 cycles did not wait for the end of the run.
    assert seen["unreachable_now"] < 50_000, seen


def test_the_in_process_cli_leaves_the_callers_collector_alone(project: Path) -> None:
    probe = """
import gc, json
from drupe.cli.main import main

def state_after_a_run():
    try:
        main(["run"])
    except SystemExit as exc:
        code = exc.code
    return {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(), "code": code}

gc.disable()
off = state_after_a_run()
gc.enable()
on = state_after_a_run()
print(json.dumps({"off": off, "on": on}))
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    states = json.loads(done.stdout.strip().splitlines()[-1])
    assert states["off"] == {"enabled": False, "frozen": 0, "code": 0}
    assert states["on"] == {"enabled": True, "frozen": 0, "code": 0}
