"""Kedro's ``run`` flags typed from habit, through the real ``drupe run`` on a copy of hello."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from drupe_process import drupe

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


def ran(done: subprocess.CompletedProcess[str]) -> list[str]:
    return re.findall(r"running node (\S+)", done.stderr)


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    root = tmp_path / "hello"
    shutil.copytree(EXAMPLES / "hello", root, ignore=shutil.ignore_patterns(".drupe"))
    with (root / "conf/base/catalog.yml").open("a") as catalog:
        catalog.write("stats:\n  type: JSONDataset\n  filepath: data/stats.json\n")
    (root / "conf/shouty").mkdir()
    (root / "conf/shouty/parameters.yml").write_text("greeting: Hey\n")
    return root


def characters(root: Path) -> int:
    return int(json.loads((root / "data/stats.json").read_text())["characters"])


@pytest.mark.parametrize("runner", ["SequentialRunner", "ThreadRunner", "ParallelRunner"])
def test_runner_class_names(hello: Path, runner: str):
    done = drupe(hello, "run", "--runner", runner)
    assert done.returncode == 0, done.stderr
    assert characters(hello) == len("HELLO, DRUPE!!!")


def test_async_and_short_flags(hello: Path):
    done = drupe(hello, "run", "--async", "-e", "shouty", "-t", "report", "-n", "measure")
    assert done.returncode != 0  # measure alone lacks its memory input
    assert "loud_greeting" in done.stderr
    done = drupe(hello, "run", "--async", "-e", "shouty", "-n", "greet,shout,measure")
    assert done.returncode == 0, done.stderr
    assert characters(hello) == len("HEY, DRUPE!!!")


def test_config_file_with_command_line_flags_winning(hello: Path):
    (hello / "run.yml").write_text(
        "run:\n  env: shouty\n  runner: ThreadRunner\n  params: {times: 1}\n  tags: [nope]\n"
    )
    done = drupe(hello, "run", "--config", "run.yml", "--tags", "report", "--nodes", "x")
    assert done.returncode == 2  # --nodes x from the command line: unknown node
    done = drupe(hello, "run", "--config", "run.yml", "--params", "times=2", "-t", "report")
    assert done.returncode != 0  # tags from the command line win: only measure selected
    (hello / "run.yml").write_text(
        "run:\n  env: shouty\n  runner: ThreadRunner\n  params: {times: 1}\n"
    )
    done = drupe(hello, "run", "--config", "run.yml", "--params", "times=2")
    assert done.returncode == 0, done.stderr
    assert characters(hello) == len("HEY, DRUPE!!")


def test_short_p_says_which_long_flag_to_use(hello: Path):
    done = drupe(hello, "run", "-p", "greet")
    assert done.returncode == 2
    assert "write --pipeline greet" in done.stderr
    assert "Traceback" not in done.stderr


def test_global_p_with_a_pipeline_name_says_which_long_flag_to_use(hello: Path):
    done = drupe(hello, "-p", "greet", "run")
    assert done.returncode == 2
    assert "write `drupe run --pipeline greet`" in done.stderr
