"""Every code snippet in docs/ and README.md runs, so the docs cannot rot.

Convention (see docs/contributing.md):

* the ```python blocks of one file make one script, run in a fresh
  interpreter; it must exit 0. A block runs as if under
  ``if __name__ == "__main__":`` unless it has that guard itself: worker
  processes started with ``spawn`` (a process pool, Dask's local cluster)
  import the script again, and must get only the functions of the blocks
  that are written for them, never re-run the page's other blocks (which
  write files a sibling worker is reading, or run whole pipelines again);
* a failing block's traceback names the page and the line in it;
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
MAIN_GUARD_RE = re.compile(r"""^if __name__ == ["']__main__["']:""", re.M)


def snippets(path: Path) -> tuple[str, list[str]]:
    """The page's python blocks as one script, and its console commands."""
    text = path.read_text(encoding="utf-8")
    python: list[str] = []
    console: list[str] = []
    for match in BLOCK_RE.finditer(text):
        language, body = match.groups()
        if language == "python":
            python.append(_block_statement(path, text[: match.start(2)].count("\n"), body))
        elif language == "console":
            console += [line[2:] for line in body.splitlines() if line.startswith("$ ")]
    if "docs-test: skip-console" in text:
        console = []
    return "\n".join(python), console


def _block_statement(page: Path, lines_before: int, body: str) -> str:
    """One line of the script running ``body``, compiled so tracebacks show the page's lines.

    The block runs in the script's globals (names flow from block to block);
    only in the main process unless it has its own ``__main__`` guard.
    """
    source = "\n" * lines_before + body  # line N of the code is line N of the page
    run = f"exec(compile({source!r}, {str(page)!r}, 'exec'))"
    return run if MAIN_GUARD_RE.search(body) else f"if __name__ == '__main__': {run}"


#: Pages whose snippets take seconds (Dask clusters, many `drupe run`s): started first.
SLOW_PAGES = {"runners.md": 25, "catalog.md": 3, "store.md": 2}

DOC_FILES = [
    pytest.param(
        path,
        id=str(path.relative_to(ROOT)),
        marks=[pytest.mark.slow(seconds=SLOW_PAGES[path.name])] if path.name in SLOW_PAGES else [],
    )
    for path in sorted((ROOT / "docs").rglob("*.md"))
    if any(s for s in snippets(path))
]


@pytest.mark.parametrize("doc", DOC_FILES)
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


SPAWNING_PAGE = """
```python
import os

with open("ran-by", "a") as log:  # a page's setup: must not run again in workers
    log.write(f"{os.getpid()}\\n")
```

```python
import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def square(x):
    return x * x


if __name__ == "__main__":
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert list(pool.map(square, [1, 2, 3])) == [1, 4, 9]
```
"""


def test_spawned_workers_import_only_the_blocks_written_for_them(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(SPAWNING_PAGE, encoding="utf-8")
    script, _ = snippets(page)
    (tmp_path / "snippet.py").write_text(script, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "ran-by").read_text().split()) == 1  # the main process only

    # A failing block names the page and its line.
    page.write_text(SPAWNING_PAGE.replace("[1, 4, 9]", "[1, 4, 8]"), encoding="utf-8")
    (tmp_path / "snippet.py").write_text(snippets(page)[0], encoding="utf-8")
    failed = subprocess.run(
        [sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert failed.returncode == 1
    assert f'File "{page}", line 20, in <module>' in failed.stderr
