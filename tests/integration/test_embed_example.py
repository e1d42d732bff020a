"""examples/embed runs the bare kernel with two explicit plugins and no entry points."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_embed_example_runs_a_session_and_isolated_service_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "embed" / "main.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("HELLO, WORLD! (SESSION ")
    assert [line.split(",")[1].split("!")[0].strip() for line in lines[1:4]] == [
        "ADA",
        "GRACE",
        "LINUS",
    ]
    # The bundled pipeline plugin on pipelines held in memory, without a project.
    assert lines[4:] == ["x scaled is 6", "x scaled is 30"]
    assert not (tmp_path / ".drupe").exists()  # nothing persisted without a store plugin
