"""Every code snippet in docs/ and README.md runs, so the docs cannot rot.

Convention (see docs/contributing.md):

* each ```python block of one file is appended to one script, run in a fresh
  interpreter; it must exit 0;
* each line starting with ``$ `` inside a ```console block is a shell command
  run with bash after the python script; it must exit 0;
* the working folder is a fresh temporary folder, or a temporary copy of the
  example named by ``<!-- docs-test: cwd=examples/NAME -->`` in the file;
* ``<!-- docs-test: skip-console -->`` skips the console commands of a file
  (for commands that install packages or start servers, shown elsewhere).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BLOCK_RE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.M | re.S)
CWD_RE = re.compile(r"<!--\s*docs-test:\s*cwd=(\S+)\s*-->")


def snippets(path: Path) -> tuple[str, list[str]]:
    text = path.read_text(encoding="utf-8")
    python, console = [], []
    for language, body in BLOCK_RE.findall(text):
        if language == "python":
            python.append(body)
        elif language == "console":
            console += [line[2:] for line in body.splitlines() if line.startswith("$ ")]
    if "docs-test: skip-console" in text:
        console = []
    return "\n\n".join(python), console


DOC_FILES = [
    path for path in sorted((ROOT / "docs").rglob("*.md")) if any(s for s in snippets(path))
]


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_snippets_run(doc: Path, tmp_path: Path) -> None:
    script, commands = snippets(doc)
    match = CWD_RE.search(doc.read_text(encoding="utf-8"))
    cwd = tmp_path / "work"
    if match:
        shutil.copytree(ROOT / match.group(1), cwd, ignore=shutil.ignore_patterns(".drupe"))
    else:
        cwd.mkdir()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if script.strip():
        (tmp_path / "snippet.py").write_text(script, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(tmp_path / "snippet.py")],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, f"{doc.name} python snippets failed:\n{done.stderr}"
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
        )
        assert done.returncode == 0, f"{doc.name}: `{command}` failed:\n{done.stdout}{done.stderr}"
