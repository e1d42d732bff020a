"""examples/notebooks/hello.ipynb runs from top to bottom in a real Jupyter kernel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow(seconds=3)
def test_the_hello_notebook_executes_with_nbconvert(tmp_path: Path) -> None:
    for name in ("hello", "notebooks"):
        shutil.copytree(
            ROOT / "examples" / name, tmp_path / name, ignore=shutil.ignore_patterns(".drupe")
        )
    notebooks = tmp_path / "notebooks"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--ExecutePreprocessor.kernel_name=python3",
            "--ExecutePreprocessor.timeout=120",
            "--output",
            "executed.ipynb",
            "hello.ipynb",
        ],
        cwd=notebooks,
        env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    cells = json.loads((notebooks / "executed.ipynb").read_text(encoding="utf-8"))["cells"]
    text = "\n".join(
        "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))
        for cell in cells
        if cell["cell_type"] == "code"
        for output in cell["outputs"]
    )
    assert "drupe: loaded project" in text
    assert "drupe: run succeeded" in text
    assert "{'stats': {'characters': 16, 'words': 2}}" in text
    assert "error" not in text.lower()
    # The notebook's sessions are recorded in the project's store like any other.
    assert (tmp_path / "hello" / ".drupe").is_dir()
