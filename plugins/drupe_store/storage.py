"""File-system helpers shared by the bundled backends."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import drupe

GITIGNORE = "# Session history written by drupe_store; not source code.\n*\n"


_prepared: set[Path] = set()


def prepare_folder(folder: Path) -> None:
    """Create the store's folder; a new ``.drupe`` folder ignores itself in git.

    Without that, the first run in a repository would make the work tree
    look dirty to the next run's git check (and invite committing history).
    """
    if folder in _prepared and os.path.isdir(folder):
        return  # every session of a process opens the same store: one system call
    try:
        created = not folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        if created and folder.name == ".drupe":
            with contextlib.suppress(FileExistsError), open(folder / ".gitignore", "x") as handle:
                handle.write(GITIGNORE)
    except OSError as exc:
        raise drupe.StoreError(
            f"could not create the session store folder {folder}: {exc}; make it writable or "
            f"set SESSION_STORE_ARGS['path']"
        ) from exc
    _prepared.add(folder)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so readers see the old or the new file, never a mix."""
    import tempfile  # rare (exports, the JSON backend's rewrites): kept off every run's start-up

    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
