"""The README's main job works: a spaceflights session runs and is listed from its store."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.*?)\n```", text, re.S)


def test_readme_has_the_install_and_main_job_and_the_test_command() -> None:
    main_job, tests = quickstart_commands()[:2]
    assert "pip install -e '.[pandas,plotly]'" in main_job and main_job.endswith(
        "cd examples/spaceflights && drupe run && drupe sessions list"
    )
    assert "pip install -e '.[dev]'" in tests and tests.endswith("python -m pytest")


def test_main_job_runs_and_is_recorded(tmp_path: Path) -> None:
    project = tmp_path / "spaceflights"
    shutil.copytree(
        ROOT / "examples" / "spaceflights",
        project,
        ignore=shutil.ignore_patterns(".drupe", "0[2-9]_*"),
    )
    drupe = [sys.executable, "-m", "drupe"]
    ran = subprocess.run([*drupe, "run"], cwd=project, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert (project / ".drupe" / "sessions.db").exists()
    listed = subprocess.run(
        [*drupe, "sessions", "list", "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    sessions = json.loads(listed.stdout)
    assert len(sessions) == 1 and sessions[0]["status"] == "closed"
    assert (project / "data" / "08_reporting").exists()
