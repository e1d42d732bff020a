"""A migration plan: the files to rewrite and what could not be converted.

Nothing is written while a plan is built, so ``--dry-run`` shows exactly what
applying would do. Every path in a plan is checked to lie inside the project
root (symbolic links are never followed), and each file is replaced
atomically, so an interrupted migration leaves each file old or new, never
half-written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

import attrs


class Report(Protocol):
    """How a rewriter reports: a message and its line; ``done=True`` when it was handled."""

    def __call__(self, message: str, line: int | None, *, done: bool = False) -> None: ...


@attrs.frozen
class Change:
    """One file's new text (``old`` is what was read, for the diff)."""

    path: Path
    old: str
    new: str
    why: str


@attrs.frozen
class Note:
    """Something the migration could not convert, with where and what to do."""

    path: Path
    line: int | None
    text: str
    done: bool = False

    def render(self, root: Path) -> str:
        where = str(self.path.relative_to(root)) if self.path.is_relative_to(root) else self.path
        return f"{where}:{self.line}: {self.text}" if self.line else f"{where}: {self.text}"


@attrs.define
class Plan:
    """Changes and notes for one project, built by a migrator, applied by `apply`."""

    root: Path
    changes: list[Change] = attrs.Factory(list)
    notes: list[Note] = attrs.Factory(list)

    def change(self, path: Path, old: str, new: str, why: str) -> None:
        """Record a rewrite of ``path`` (no-op when the text is unchanged)."""
        self._check_inside(path)
        if new != old:
            self.changes.append(Change(path, old, new, why))

    def note(self, path: Path, text: str, line: int | None = None, *, done: bool = False) -> None:
        """Record something removed (``done``) or left for the user to convert."""
        self.notes.append(Note(path, line, text, done))

    @property
    def removed(self) -> list[Note]:
        return [n for n in self.notes if n.done]

    @property
    def todo(self) -> list[Note]:
        return [n for n in self.notes if not n.done]

    def diff(self) -> str:
        """A unified diff of every change, paths relative to the root."""
        import difflib

        out: list[str] = []
        for change in self.changes:
            name = change.path.relative_to(self.root).as_posix()
            out.extend(
                difflib.unified_diff(
                    change.old.splitlines(keepends=True),
                    change.new.splitlines(keepends=True),
                    fromfile=f"a/{name}",
                    tofile=f"b/{name}",
                )
            )
        return "".join(line if line.endswith("\n") else line + "\n" for line in out)

    def apply(self) -> None:
        """Write every change (each file atomically, keeping its permissions)."""
        for change in self.changes:
            self._check_inside(change.path)
            _write_atomically(change.path, change.new)

    def _check_inside(self, path: Path) -> None:
        if path.is_symlink() or not path.resolve().is_relative_to(self.root):
            raise ValueError(f"refusing to write {path}: it is not a file inside {self.root}")


def _write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
