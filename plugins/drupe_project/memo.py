"""Where each start folder's project was found, reused while the filesystem says nothing changed.

Finding a project resolves paths and reads and checks ``pyproject.toml``:
about 100 µs, a tenth of a whole session, paid again by every session a
service or a notebook opens on the same folder. The answer depends on a
handful of filesystem entries, so it is reused while one ``stat`` of each
says it is the same entry, unchanged:

* the start folder itself (a symlink moved to another folder gives another
  folder);
* every ``pyproject.toml`` looked at on the way up, present or absent (one
  created in a nearer folder would win);
* the project's source folder, through the path as configured (a moved
  symlink gives another folder).

A file rewritten within one timestamp tick of an earlier read could look
unchanged, so an answer is kept only when every file it depends on was
last modified (and its inode last changed) well before the lookup began (as git does for its index,
and ``drupe_config`` for folder listings). Errors and "no project" are
never kept: they are looked up again.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drupe import Project

#: A file's stat is trusted to mean "unchanged" once it is this much older than the lookup.
SETTLED_NS = 2_000_000_000
#: Start folders remembered per process (least recently used dropped first).
KEPT = 64

#: ``(path, is a folder, signature)``: a signature is ``None`` for a missing entry.
Check = tuple[str, bool, "tuple[int, ...] | None"]

_lock = threading.Lock()
_answers: OrderedDict[str, tuple[Project, tuple[Check, ...]]] = OrderedDict()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # a thread of the parent may have held it at the fork


os.register_at_fork(after_in_child=_after_fork_in_child)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _file(path: str) -> tuple[int, ...] | None:
    found = _stat(path)
    if found is None:
        return None
    # ctime too: an in-place rewrite that puts the old mtime back (cp -p, rsync -t) changes it.
    return (found.st_dev, found.st_ino, found.st_mtime_ns, found.st_ctime_ns, found.st_size)


def folder_mark(path: str) -> tuple[int, ...] | None:
    """Which folder ``path`` is now (symlinks followed), or ``None``: taken *before* it is read."""
    found = _stat(path)
    return None if found is None else (found.st_dev, found.st_ino)


def recall(start: str) -> Project | None:
    """The project remembered for ``start`` if every entry it depends on is unchanged."""
    with _lock:
        known = _answers.get(start)
    if known is None:
        return None
    project, checks = known
    for path, is_folder, signature in checks:
        if (folder_mark(path) if is_folder else _file(path)) != signature:
            with _lock:
                _answers.pop(start, None)
            return None
    with _lock:
        if start in _answers:
            _answers.move_to_end(start)
    return project


def keep(
    start: str,
    project: Project,
    *,
    folders: Sequence[tuple[str, tuple[int, ...] | None]],
    pyprojects: Sequence[str],
    began_ns: int,
) -> None:
    """Remember ``project`` for ``start`` if the files it was read from had settled.

    ``folders`` are the start and source folders with the `folder_mark` each
    had before the lookup read through them: a symlink moved meanwhile makes
    the next `recall` look again.
    """
    files = [(path, False, _file(path)) for path in pyprojects]
    settled = began_ns - SETTLED_NS
    for _, _, signature in files:
        if signature is not None and max(signature[2], signature[3]) >= settled:
            return  # changed too recently: a change in the same tick could go unseen
    if any(mark is None for _, mark in folders):
        return
    checks = (*((path, True, mark) for path, mark in folders), *files)
    with _lock:
        _answers[start] = (project, checks)
        while len(_answers) > KEPT:
            _answers.popitem(last=False)


def forget() -> None:
    """Drop every remembered answer (tests that rewrite projects in place)."""
    with _lock:
        _answers.clear()


__all__ = ["KEPT", "SETTLED_NS", "folder_mark", "forget", "keep", "recall"]
