"""The git commit, branch and dirty flag of the code a session ran.

Commit and branch are read from the repository's files, without spawning
``git``: ``.git`` (a folder, or a file pointing to one for worktrees and
submodules), ``HEAD``, loose refs and ``packed-refs``. That costs a few file
reads and works where git is not installed.

Whether the work tree is dirty cannot be read that way without reimplementing
git's object formats, so it is asked from ``git status --porcelain
--untracked-files=no`` when a ``git`` executable is on ``PATH`` (with
``GIT_OPTIONAL_LOCKS=0`` so it never writes the index while other processes
read it). Untracked files do not count, as for ``git describe --dirty``.
Without git, or if it fails, ``dirty`` is ``None`` (unknown).

``git status`` costs milliseconds, more than a small session, so its answer
is cached per process (`dirty_flag`) under a fingerprint of everything it
depends on (see `treestate`), and when a session must ask git, it asks in a
background thread (`GitProbe`) so the run does not wait for it.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path
from typing import Any

from drupe_store.treestate import Fingerprint, tree_fingerprint


def find_repository(start: Path) -> tuple[Path, Path] | None:
    """``(git_dir, work_tree)`` of the repository containing ``start``, or ``None``."""
    folder = os.fspath(start)
    while True:
        dotgit = os.path.join(folder, ".git")
        try:
            mode = os.stat(dotgit).st_mode  # one system call a level, on strings: cheap
        except OSError:
            mode = 0
        if stat.S_ISDIR(mode):
            return Path(dotgit), Path(folder)
        if stat.S_ISREG(mode):
            with open(dotgit, encoding="utf-8", errors="replace") as handle:
                text = handle.read().strip()
            if text.startswith("gitdir:"):
                target = Path(text[len("gitdir:") :].strip())
                git_dir = target if target.is_absolute() else Path(folder) / target
                return git_dir.resolve(), Path(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


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


def _head(start: Path) -> tuple[Path, Path, str | None, str | None] | None:
    """``(git_dir, work_tree, commit, branch)`` of the repository containing ``start``."""
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
    return git_dir, work_tree, commit, branch


def git_info(start: Path) -> dict[str, Any] | None:
    """``{"commit", "branch", "dirty"}`` for the repository containing ``start``, or ``None``."""
    found = _head(start)
    if found is None:
        return None
    git_dir, work_tree, commit, branch = found
    return {"commit": commit, "branch": branch, "dirty": dirty_flag(git_dir, work_tree, commit)}


class GitProbe:
    """The git facts of one session: commit, branch, and the dirty flag when it is cheap.

    `started` reads HEAD and fingerprints the tracked files (see
    `treestate`); when the process already ran ``git status`` on that very
    state, the dirty flag is known at once. Otherwise ``git status`` runs in
    a daemon thread while the session works: `current` is what is known now
    (``dirty`` is ``None`` until the check ends) and `final` waits for it,
    at most ``timeout`` seconds (then ``dirty`` stays ``None``: unknown).
    """

    def __init__(self, info: dict[str, Any] | None, thread: threading.Thread | None) -> None:
        self._info = info
        self._thread = thread

    @classmethod
    def started(cls, start: Path) -> GitProbe:
        found = _head(start)
        if found is None:
            return cls(None, None)
        git_dir, work_tree, commit, branch = found
        info: dict[str, Any] = {"commit": commit, "branch": branch, "dirty": None}
        asked_at = time.time_ns()
        fingerprint = tree_fingerprint(git_dir, work_tree)
        cached = _cached(work_tree, commit, fingerprint)
        if cached is not None:
            info["dirty"] = cached
            return cls(info, None)

        def check() -> None:
            info["dirty"] = _ask_git(work_tree, commit, fingerprint, asked_at)

        thread = threading.Thread(target=check, name="drupe_store-git", daemon=True)
        thread.start()
        return cls(info, thread)

    def current(self) -> dict[str, Any] | None:
        return None if self._info is None else dict(self._info)

    def final(self, timeout: float) -> dict[str, Any] | None:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.current()


# -- the dirty flag, cached ---------------------------------------------------

#: How far (in seconds) every file time must lie in the past for an answer to be
#: cached: file systems keep times at a coarse granularity (a clock tick on
#: Linux, up to 2 s on FAT), so a file changed twice within one tick keeps its
#: time. Changes that recent make the answer uncacheable, as git treats
#: "racily clean" index entries.
RACY_MARGIN_S = 2.0

_cache: dict[Path, tuple[Any, bool]] = {}
_cache_lock = threading.Lock()


def dirty_flag(git_dir: Path, work_tree: Path, commit: str | None) -> bool | None:
    """`is_dirty`, answered from the per-process cache when nothing it depends on changed."""
    asked_at = time.time_ns()
    fingerprint = tree_fingerprint(git_dir, work_tree)
    cached = _cached(work_tree, commit, fingerprint)
    if cached is not None:
        return cached
    return _ask_git(work_tree, commit, fingerprint, asked_at)


def _cached(work_tree: Path, commit: str | None, fingerprint: Fingerprint | None) -> bool | None:
    if fingerprint is None:
        return None
    with _cache_lock:
        cached = _cache.get(work_tree)
    if cached is not None and cached[0] == (commit, fingerprint):
        return cached[1]
    return None


def _ask_git(
    work_tree: Path, commit: str | None, fingerprint: Fingerprint | None, asked_at: int
) -> bool | None:
    """``git status``; its answer is kept unless a file changed too recently to tell apart."""
    dirty = is_dirty(work_tree)
    if (
        dirty is not None
        and fingerprint is not None
        and fingerprint.newest_ns < asked_at - int(RACY_MARGIN_S * 1e9)
    ):
        with _cache_lock:
            _cache[work_tree] = ((commit, fingerprint), dirty)
    return dirty


def is_dirty(work_tree: Path) -> bool | None:
    """Whether tracked files differ from ``HEAD``; ``None`` when git cannot tell us."""
    import shutil  # only when the git index could not answer

    git = shutil.which("git")
    if git is None:
        return None
    import subprocess  # only inside a repository whose answer is not cached

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
