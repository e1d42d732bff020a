"""The git commit, branch and dirty flag of the code a session ran.

Commit and branch are read from the repository's files, without spawning
``git``: ``.git`` (a folder, or a file pointing to one for worktrees and
submodules), ``HEAD``, loose refs and ``packed-refs``. That costs a few file
reads and works where git is not installed.

Whether the work tree is dirty cannot be read that way without reimplementing
git's index and object formats, so it is asked from ``git status --porcelain
--untracked-files=no`` when a ``git`` executable is on ``PATH`` (with
``GIT_OPTIONAL_LOCKS=0`` so it never writes the index while other processes
read it). Untracked files do not count, as for ``git describe --dirty``.
Without git, or if it fails, ``dirty`` is ``None`` (unknown).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any


def find_repository(start: Path) -> tuple[Path, Path] | None:
    """``(git_dir, work_tree)`` of the repository containing ``start``, or ``None``."""
    for folder in (start, *start.parents):
        dotgit = folder / ".git"
        if dotgit.is_dir():
            return dotgit, folder
        if dotgit.is_file():
            text = dotgit.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text[len("gitdir:") :].strip())
                return (target if target.is_absolute() else folder / target).resolve(), folder
    return None


def _common_dir(git_dir: Path) -> Path:
    """Where shared refs live (a linked worktree keeps only its own HEAD)."""
    pointer = git_dir / "commondir"
    if pointer.is_file():
        target = Path(pointer.read_text(encoding="utf-8").strip())
        return (target if target.is_absolute() else git_dir / target).resolve()
    return git_dir


def resolve_ref(ref: str, git_dir: Path, common: Path, depth: int = 0) -> str | None:
    """The commit a ref points to, from loose ref files or ``packed-refs``."""
    if depth > 5:
        return None
    for base in dict.fromkeys((git_dir, common)):
        loose = base / ref
        if loose.is_file():
            value = loose.read_text(encoding="utf-8").strip()
            if value.startswith("ref:"):
                return resolve_ref(value[4:].strip(), git_dir, common, depth + 1)
            return value or None
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            if line.startswith(("#", "^")):
                continue
            sha, _, name = line.partition(" ")
            if name.strip() == ref:
                return sha.strip()
    return None  # an unborn branch: no commit yet


def git_info(start: Path) -> dict[str, Any] | None:
    """``{"commit", "branch", "dirty"}`` for the repository containing ``start``, or ``None``."""
    try:
        found = find_repository(start)
        if found is None:
            return None
        git_dir, work_tree = found
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        common = _common_dir(git_dir)
        if head.startswith("ref:"):
            ref = head[4:].strip()
            branch: str | None = ref.removeprefix("refs/heads/")
            commit = resolve_ref(ref, git_dir, common)
        else:
            branch, commit = None, head or None  # detached HEAD
    except OSError:
        return None
    return {"commit": commit, "branch": branch, "dirty": is_dirty(work_tree)}


def is_dirty(work_tree: Path) -> bool | None:
    """Whether tracked files differ from ``HEAD``; ``None`` when git cannot tell us."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(
            [git, "-C", str(work_tree), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return bool(done.stdout.strip())
