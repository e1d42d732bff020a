"""examples/service/app.py works as its README says (in process, on a copy of examples/hello)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "service" / "app.py"


def test_the_service_example_answers_its_own_check(hello_project: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--check", "--project", str(hello_project)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "greeted: Ada, Grace, Edsger, Barbara" in done.stdout
    assert "GET /drupe/pipelines -> ['__default__', 'greet']" in done.stdout
    # The outer app's lifespan closed the session, and the store says so.
    from drupe_store import open_history

    with open_history(hello_project) as history:
        (latest,) = history.list_sessions(limit=1)
    assert latest["kind"] == "service"
    assert latest["status"] == "closed"
