"""benchmarks/compare.py keeps working: every figure runs (timings are never checked).

The benchmark is run by hand; this smoke test proves that each figure can
still be measured with the drupe under test (``--quick``: each figure once,
as small as it gets), and that a wrong interpreter is refused with one line.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPARE = ROOT / "benchmarks" / "compare.py"
FIGURES = {
    "floor",
    "help",
    "run",
    "session",
    "session-store",
    "service-1",
    "service-8",
    "pool-1",
    "pool-2",
    "rss",
    "config",
    "config-cold",
    "yaml-floor",
    "sessions-list",
}


def compare(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KEDRO_PYTHON", "DRUPE_BASELINE_PYTHON", "PYTHONDONTWRITEBYTECODE")
    }
    return subprocess.run(
        [sys.executable, str(COMPARE), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow(seconds=9)
def test_quick_mode_measures_every_figure_with_this_drupe(tmp_path: Path) -> None:
    done = compare("--quick", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    saved = tmp_path / "report.json"
    saved.write_text(done.stdout)
    shown = compare("--show", str(saved))  # the table again, from the saved report
    assert shown.returncode == 0, shown.stderr
    for entry in report["figures"]:
        assert entry["title"] in shown.stdout
    assert report["quick"] is True
    assert list(report["tools"]) == ["drupe"]  # no Kedro, no baseline asked for
    assert {entry["key"] for entry in report["figures"]} == FIGURES
    for entry in report["figures"]:
        values = entry["samples"]["drupe"]
        assert len(values) == 1, entry["key"]  # each figure once
        assert math.isfinite(values[0]), entry["key"]
        if entry["unit"] != "MiB":  # RSS growth may be negative
            assert values[0] > 0, entry["key"]


def test_the_table_names_each_figure_and_the_tool() -> None:
    done = compare("--quick", "--only", "help,session")
    assert done.returncode == 0, done.stderr
    assert "CLI --help (whole process)" in done.stdout
    assert "Session create+run+close, no store" in done.stdout
    assert "drupe" in done.stdout.splitlines()[1]  # the tools line


def test_a_missing_kedro_interpreter_is_refused_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-python"
    done = compare("--quick", KEDRO_PYTHON=str(missing))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"compare.py: KEDRO_PYTHON={missing}: no such file: point it at a Python that has "
        "Kedro (python3 -m venv V && V/bin/pip install kedro)"
    ]


def test_a_baseline_without_drupe_is_refused_in_one_line(tmp_path: Path) -> None:
    not_python = tmp_path / "python"
    not_python.write_text("#!/bin/sh\nexit 1\n")
    not_python.chmod(0o755)
    done = compare("--quick", "--baseline-python", str(not_python))
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"compare.py: --baseline-python={not_python}: cannot import drupe")


def test_an_unknown_figure_is_refused_naming_the_known_ones() -> None:
    done = compare("--only", "sesion")
    assert done.returncode == 2
    assert "unknown figure sesion" in done.stderr
    assert "session" in done.stderr.split("choose from", 1)[1]


def test_a_figure_that_fails_is_named_and_the_others_are_still_measured() -> None:
    # Without the pipeline plugin nothing answers execute_run: `drupe run` fails.
    done = compare("--quick", "--json", "--only", "floor,run", DRUPE_DISABLE_PLUGINS="pipeline")
    assert done.returncode == 1
    figures = {entry["key"]: entry for entry in json.loads(done.stdout)["figures"]}
    assert figures["floor"]["error"] is None and len(figures["floor"]["samples"]["drupe"]) == 1
    assert "exited" in figures["run"]["error"] and "drupe run" in figures["run"]["error"]
    assert "could not measure run" in done.stderr


def test_show_refuses_a_file_that_is_not_a_report(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"not": "a report"}')
    done = compare("--show", str(other))
    assert done.returncode == 2
    assert done.stderr.startswith(f"compare.py: --show {other}: not a report saved by compare.py")
