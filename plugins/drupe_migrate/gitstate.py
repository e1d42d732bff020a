"""Is the project's folder a git work tree with uncommitted changes?

A migration rewrites files in place; with a clean tree, ``git diff`` shows
what it did and ``git checkout .`` undoes it. So a dirty tree is refused
unless the user says ``--force``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def uncommitted_files(root: Path) -> list[str] | None:
    """Paths with uncommitted changes under ``root``; ``None`` when ``root`` is not under git."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        inside = subprocess.run(
            [git, "-C", str(root), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        status = subprocess.run(
            [git, "-C", str(root), "status", "--porcelain", "--untracked-files=all", "--", "."],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if status.returncode != 0:
        return None
    return [line[3:] for line in status.stdout.splitlines() if line.strip()]
