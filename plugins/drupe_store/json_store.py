"""A second backend: one JSON file per session, in a folder (``.drupe/sessions/``).

It exists to prove that the `drupe.SessionStore` protocol is the whole
contract (the same test suite runs against both backends) and for people who
want history they can read, diff or ship with plain tools. Each file holds
the session record and its runs and is replaced atomically (temporary file,
then ``os.replace``), so a reader or a killed writer never leaves half a file.

A session is written by the one process that owns it; within that process a
lock serialises the threads of a service session. Listing reads every file,
so prefer the SQLite backend for large histories.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import drupe
from drupe_store.liveness import run_with_effective_status, with_effective_status
from drupe_store.records import check_status, short_id
from drupe_store.storage import prepare_folder, write_atomically

_log = logging.getLogger("drupe_store")


class JsonStore:
    """A `drupe.SessionStore` keeping ``<folder>/<session_id>.json`` files."""

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder)
        prepare_folder(self.path.parent)
        prepare_folder(self.path)
        self._lock = threading.Lock()
        self._closed = False
        # The sessions this store object wrote: get_run looks in their files first
        # (a service asking about its own runs), before scanning the folder.
        self._written: dict[str, None] = {}

    def _file(self, session_id: str) -> Path:
        if not session_id or "/" in session_id or "\\" in session_id or session_id[0] == ".":
            raise drupe.StoreError(f"{session_id!r} cannot name a session file in {self.path}")
        return self.path / f"{session_id}.json"

    def _load(self, path: Path) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise drupe.StoreError(
                f"could not read the session file {path}: {exc}; delete it if it is corrupt"
            ) from exc
        return data

    def _update(self, session_id: str, change: Any) -> None:
        with self._lock:
            if self._closed:
                raise drupe.StoreError(f"the session store {self.path} is closed")
            path = self._file(session_id)
            data = self._load(path) if path.exists() else {"session": None, "runs": {}}
            change(data)
            try:
                write_atomically(path, json.dumps(data, default=str, indent=1))
            except OSError as exc:
                raise drupe.StoreError(f"could not write the session file {path}: {exc}") from exc

    # -- SessionStore -------------------------------------------------------

    def save_session(self, record: Mapping[str, Any]) -> None:
        def change(data: dict[str, Any]) -> None:
            data["session"] = dict(record)

        self._update(str(record["session_id"]), change)

    def save_run(self, record: Mapping[str, Any]) -> None:
        def change(data: dict[str, Any]) -> None:
            data["runs"][str(record["run_id"])] = dict(record)

        session_id = str(record["session_id"])
        self._update(session_id, change)
        self._written[session_id] = None

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The record of run ``run_id`` (any session), or ``None``.

        Looks in the files of the sessions this object wrote runs for, then
        reads every file: JSON keeps no index (prefer SQLite for big histories).
        """
        written = [self.path / f"{session_id}.json" for session_id in list(self._written)]
        others = (p for p in self.path.glob("*.json") if p not in written)
        for path in (*written, *others):
            if path.name.startswith(".") or not path.exists():
                continue
            try:
                data = self._load(path)
            except drupe.StoreError as exc:
                _log.warning("drupe_store: skipping %s", exc)
                continue
            run = (data.get("runs") or {}).get(run_id)
            if run is not None:
                return run_with_effective_status(run)
        return None

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        try:
            path = self._file(session_id)
        except drupe.StoreError:
            return None
        if not path.exists():
            return None
        return _session_of(self._load(path))

    def list_sessions(
        self, *, limit: int | None = 20, status: str | None = None
    ) -> list[Mapping[str, Any]]:
        check_status(status)
        found: list[Mapping[str, Any]] = []
        for path in self.path.glob("*.json"):
            if path.name.startswith("."):
                continue
            try:
                record = _session_of(self._load(path), with_runs=False)
            except drupe.StoreError as exc:
                _log.warning("drupe_store: skipping %s", exc)
                continue
            if record is not None and (status is None or record["status"] == status):
                found.append(record)
        found.sort(key=lambda r: (r.get("created_at") or "", r["session_id"]), reverse=True)
        return found if limit is None else found[:limit]

    def find_session_ids(self, prefix: str, limit: int = 2) -> list[str]:
        """Ids that start with ``prefix``, or whose random tail does (at most ``limit``)."""
        if not prefix:
            return []
        ids = sorted(
            p.stem
            for p in self.path.glob("*.json")
            if not p.name.startswith(".")
            and (p.stem.startswith(prefix) or short_id(p.stem).startswith(prefix))
        )
        return ids[:limit]

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def __repr__(self) -> str:
        return f"JsonStore({str(self.path)!r})"


def _session_of(data: Mapping[str, Any], *, with_runs: bool = True) -> dict[str, Any] | None:
    session = data.get("session")
    if session is None:  # runs written, session record not (yet)
        return None
    runs = sorted(
        (data.get("runs") or {}).values(), key=lambda r: (r.get("started_at") or "", r["run_id"])
    )
    record = dict(session)
    if with_runs:
        record["runs"] = runs
        return with_effective_status(record)
    record = with_effective_status(record)
    record["run_count"] = len(runs)
    return record
