"""A second backend: one JSON-lines file per session, in a folder (``.drupe/sessions/``).

It exists to prove that the `drupe.SessionStore` protocol is the whole
contract (the same test suite runs against both backends) and for people who
want history they can read, grep or ship with plain tools.

Each write *appends* one line (``{"session": {...}}`` or ``{"run": {...}}``)
to ``<session_id>.jsonl`` in a single ``write`` call, so a write costs the
same whether the file holds one run or ten thousand; a reader folds the
lines, the last record of a run or session winning. A process killed at any
moment leaves at worst a last line without its newline, which readers skip:
the file stays readable. (Lines are not fsynced one by one: a power cut may
lose the last ones, never the ones before.)

Run ids are claimed with a ``.runs/<run_id>`` file (holding the session
id) created with ``O_EXCL``: atomic between processes, so a run id is used once
per store, and `get_run` finds a run's session without reading every file.

Files of the previous layout (``<session_id>.json``, one JSON document) are
still read.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import drupe
from drupe_store.liveness import run_with_effective_status, with_effective_status
from drupe_store.records import RunIdTakenError, check_status, short_id
from drupe_store.storage import prepare_folder

_log = logging.getLogger("drupe_store")

SUFFIX = ".jsonl"
LEGACY_SUFFIX = ".json"
CLAIMS = ".runs"


def _safe_name(name: str, what: str, folder: Path) -> str:
    if not name or "/" in name or "\\" in name or name[0] == "." or "\0" in name:
        raise drupe.StoreError(f"{name!r} cannot name a {what} file in {folder}")
    return name


class JsonStore:
    """A `drupe.SessionStore` keeping ``<folder>/<session_id>.jsonl`` files."""

    def __init__(self, folder: str | Path, *, lazy: bool = False) -> None:
        """Use the folder ``folder``, creating it unless ``lazy`` (then: at the first write).

        A lazy store without its folder reads as empty: reading history never
        leaves a ``.drupe/`` behind in a project that never ran a session.
        """
        self.path = Path(folder)
        self._lock = threading.Lock()
        self._closed = False
        self._prepared = False
        if not lazy:
            self._prepare()

    def _prepare(self) -> None:
        if not self._prepared:
            prepare_folder(self.path.parent)
            prepare_folder(self.path)
            self._prepared = True

    # -- files ----------------------------------------------------------------

    def _file(self, session_id: str) -> Path:
        return self.path / (_safe_name(session_id, "session", self.path) + SUFFIX)

    def _append(self, session_id: str, entry: Mapping[str, Any]) -> None:
        line = (json.dumps(entry, default=str, separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            if self._closed:
                raise drupe.StoreError(f"the session store {self.path} is closed")
            path = self._file(session_id)
            self._prepare()
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
                try:
                    written = os.write(fd, line)
                finally:
                    os.close(fd)
            except OSError as exc:
                raise drupe.StoreError(f"could not write the session file {path}: {exc}") from exc
            if written != len(line):
                raise drupe.StoreError(f"could not write the session file {path}: short write")

    def _fold(self, path: Path) -> dict[str, Any]:
        """``{"session": record | None, "runs": {run_id: record}}`` from a file's lines."""
        data: dict[str, Any] = {"session": None, "runs": {}}
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise drupe.StoreError(f"could not read the session file {path}: {exc}") from exc
        if path.suffix == LEGACY_SUFFIX:
            try:
                legacy = json.loads(raw)
                return {"session": legacy.get("session"), "runs": dict(legacy.get("runs") or {})}
            except (ValueError, AttributeError) as exc:
                raise drupe.StoreError(
                    f"could not read the session file {path}: {exc}; delete it if it is corrupt"
                ) from exc
        lines = raw.split(b"\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                if number == len(lines):  # a last line cut short by a kill: not written yet
                    continue
                _log.warning("drupe_store: skipping unreadable line %d of %s", number, path)
                continue
            if isinstance(entry, dict) and isinstance(entry.get("session"), dict):
                data["session"] = entry["session"]
            elif isinstance(entry, dict) and isinstance(entry.get("run"), dict):
                run = entry["run"]
                data["runs"][str(run.get("run_id"))] = run
            else:
                _log.warning("drupe_store: skipping unreadable line %d of %s", number, path)
        return data

    def _session_files(self) -> Iterator[Path]:
        if not self.path.is_dir():  # a lazy store before its first write
            return
        for entry in os.scandir(self.path):
            name = entry.name
            if name.startswith(".") or not entry.is_file():
                continue
            if name.endswith(SUFFIX) or name.endswith(LEGACY_SUFFIX):
                yield Path(entry.path)

    def _existing(self, session_id: str) -> Path | None:
        path = self._file(session_id)
        if path.exists():
            return path
        legacy = path.with_suffix(LEGACY_SUFFIX)
        return legacy if legacy.exists() else None

    # -- SessionStore -------------------------------------------------------

    def save_session(self, record: Mapping[str, Any]) -> None:
        self._append(str(record["session_id"]), {"session": dict(record)})

    def add_run(self, record: Mapping[str, Any]) -> None:
        """Record a new run; `RunIdTakenError` when the store already has its id."""
        run_id, session_id = str(record["run_id"]), str(record["session_id"])
        claims = self.path / CLAIMS
        claim = claims / _safe_name(run_id, "run", self.path)
        self._prepare()
        try:
            claims.mkdir(exist_ok=True)
            fd = os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            raise RunIdTakenError(run_id, self._claimed_by(run_id)) from None
        except OSError as exc:
            raise drupe.StoreError(f"could not write the run claim {claim}: {exc}") from exc
        try:
            os.write(fd, session_id.encode("utf-8"))
        finally:
            os.close(fd)
        self.save_run(record)

    def save_run(self, record: Mapping[str, Any]) -> None:
        self._append(str(record["session_id"]), {"run": dict(record)})

    def _claimed_by(self, run_id: str) -> str | None:
        try:
            text = (self.path / CLAIMS / run_id).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return text or None

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The record of run ``run_id`` (any session), or ``None``: found through its claim."""
        try:
            _safe_name(run_id, "run", self.path)
        except drupe.StoreError:
            return None
        session_id = self._claimed_by(run_id)
        candidates = [session_id] if session_id else []
        for candidate in candidates:
            path = self._existing(candidate)
            if path is None:
                continue
            run = self._fold(path)["runs"].get(run_id)
            if run is not None:
                return run_with_effective_status(run)
        if session_id is None:  # history written before run claims existed
            for path in self._session_files():
                if path.suffix != LEGACY_SUFFIX:
                    continue
                run = self._readable(path)["runs"].get(run_id)
                if run is not None:
                    return run_with_effective_status(run)
        return None

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        try:
            path = self._existing(session_id)
        except drupe.StoreError:
            return None
        return None if path is None else _session_of(self._fold(path))

    def _readable(self, path: Path) -> dict[str, Any]:
        try:
            return self._fold(path)
        except drupe.StoreError as exc:
            _log.warning("drupe_store: skipping %s", exc)
            return {"session": None, "runs": {}}

    def list_sessions(
        self, *, limit: int | None = 20, status: str | None = None
    ) -> list[Mapping[str, Any]]:
        check_status(status)
        found: list[Mapping[str, Any]] = []
        for path in self._session_files():
            record = _session_of(self._readable(path), with_runs=False)
            if record is not None and (status is None or record["status"] == status):
                found.append(record)
        found.sort(key=lambda r: (r.get("created_at") or "", r["session_id"]), reverse=True)
        return found if limit is None else found[:limit]

    def find_session_ids(self, prefix: str, limit: int = 2) -> list[str]:
        """Ids that start with ``prefix``, or whose random tail does (at most ``limit``)."""
        if not prefix:
            return []
        stems = {p.name.rsplit(".", 1)[0] for p in self._session_files()}
        ids = sorted(s for s in stems if s.startswith(prefix) or short_id(s).startswith(prefix))
        return ids[:limit]

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def __repr__(self) -> str:
        return f"JsonStore({str(self.path)!r})"


def _session_of(data: Mapping[str, Any], *, with_runs: bool = True) -> dict[str, Any] | None:
    session = data.get("session")
    if not isinstance(session, dict) or "session_id" not in session:
        return None  # runs written, session record not (yet)
    runs = sorted(
        (data.get("runs") or {}).values(),
        key=lambda r: (str(r.get("started_at") or ""), str(r.get("run_id"))),
    )
    record = dict(session)
    if with_runs:
        record["runs"] = runs
        return with_effective_status(record)
    record = with_effective_status(record)
    record["run_count"] = len(runs)
    return record
