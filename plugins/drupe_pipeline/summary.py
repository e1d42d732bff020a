"""What a run saved, for ``drupe run``'s summary (the kernel's ``run_summary`` hook).

`execute` notes, once the runner returned, every persisted dataset the run's
pipeline produced: its name, its path (relative to the project when inside
it), the version it was saved under and the exact file. ``drupe run`` asks
for it through ``run_summary`` right after the run. The notes live on the
session's `PipelinePlugin`, per run id and bounded: a service session that
runs many times never holds more than `SavedDatasets.LIMIT` runs' notes.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _shown(path: Path, root: Path | None) -> str:
    """``path`` relative to the project when inside it, else absolute."""
    if root is not None:
        with contextlib.suppress(ValueError):  # outside the project: keep it absolute
            return str(path.resolve().relative_to(Path(root).resolve()))
    return str(path)


def saved_entry(name: str, dataset: Any, root: Path | None, version: str) -> dict[str, Any]:
    """One saved dataset: ``{"name", "type", "path", "version", "file"}``.

    ``path`` is the dataset's own file path (its catalog ``filepath``),
    ``version`` the version it was saved under (``None`` when unversioned)
    and ``file`` the exact file written; any of them is ``None`` when the
    dataset cannot say.
    """
    entry: dict[str, Any] = {"name": name, "type": type(dataset).__name__}
    filepath = getattr(dataset, "filepath", None)
    entry["path"] = _shown(Path(filepath), root) if filepath is not None else None
    versioned = bool(getattr(dataset, "versioned", False))
    entry["version"] = version if versioned else None
    file: str | None = None
    save_path = getattr(dataset, "save_path", None)
    if callable(save_path):
        try:
            file = _shown(Path(save_path()), root)
        except Exception:  # a dataset that cannot say where it saved still gets a line
            file = None
    entry["file"] = file
    return entry


class SavedDatasets:
    """The datasets saved by the most recent runs of this process, by run id."""

    LIMIT = 32

    def __init__(self) -> None:
        self._runs: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def note(self, run_id: str, entries: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            self._runs[run_id] = list(entries)
            self._runs.move_to_end(run_id)
            while len(self._runs) > self.LIMIT:
                self._runs.popitem(last=False)

    def take(self, run_id: str) -> list[dict[str, Any]] | None:
        """The entries noted for ``run_id`` (forgotten once taken), or ``None``."""
        with self._lock:
            return self._runs.pop(run_id, None)


def saved_entries(
    pipeline: Any, catalog: Any, root: Path | None, save_version: str
) -> list[dict[str, Any]]:
    """The persisted outputs of ``pipeline``'s nodes (the run succeeded), sorted by name.

    ``save_version`` is the version versioned datasets saved under (the run id).
    """
    entries = []
    for name in sorted(pipeline.all_outputs()):
        if name not in catalog:
            continue
        dataset = catalog.get(name)
        if getattr(dataset, "persisted", False):
            entries.append(saved_entry(name, dataset, root, save_version))
    return entries
