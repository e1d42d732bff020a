"""The default backend: one SQLite database per project (``.drupe/sessions.db``).

Safe under concurrency: WAL mode lets readers run while one process writes;
every write is a single statement, so SQLite takes the write lock up front
(two writers never deadlock upgrading a read lock) and the statement is its
own transaction; SQLite's busy timeout waits for the lock, and a retry loop
covers the cases where SQLite returns "busy" at once.

Cheap per session: the store is a thin handle on a `Database` of
`drupe_store.sqlite_connections`, which keeps one connection per thread open
for the life of the process (no open, schema check and checkpoint per
session): one writer behind a lock, one reader per thread.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import drupe
from drupe_store import sqlite_connections
from drupe_store.liveness import (
    AliveCache,
    effective_status,
    hostname,
    run_with_effective_status,
    with_effective_status,
)
from drupe_store.records import RunIdTakenError, check_status, number_or_none, short_id
from drupe_store.sqlite_schema import SCHEMA_VERSION, current_version, migrate
from drupe_store.storage import prepare_folder

T = TypeVar("T")
_log = logging.getLogger("drupe_store")

BUSY_TIMEOUT_S = 30.0

# Upserts, not INSERT OR REPLACE: a replace deletes the row and its index entries and
# inserts them again, while an update rewrites only what changed (a third of the time).
SAVE_SESSION = (
    "INSERT INTO sessions (session_id, created_at, status, record, kind, hostname, short_id, "
    "env, duration_s, run_time_s, git_commit, git_dirty) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET "
    "created_at = excluded.created_at, status = excluded.status, record = excluded.record, "
    "kind = excluded.kind, hostname = excluded.hostname, short_id = excluded.short_id, "
    "env = excluded.env, duration_s = excluded.duration_s, run_time_s = excluded.run_time_s, "
    "git_commit = excluded.git_commit, git_dirty = excluded.git_dirty"
)

ADD_RUN = "INSERT INTO runs (run_id, session_id, record, started_at, status) VALUES (?, ?, ?, ?, ?)"
SAVE_RUN = (
    "INSERT INTO runs (run_id, session_id, record, started_at, status) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (run_id) DO UPDATE SET session_id = excluded.session_id, "
    "record = excluded.record, started_at = excluded.started_at, status = excluded.status"
)

#: The SQL that says a row's record is a readable record of its session (JSON1). Use it
#: in a CASE WHEN only: a plain AND evaluates both sides, and json_extract of bad JSON fails.
READABLE = "json_valid(record) AND json_extract(record, '$.session_id') IS session_id"
#: What tells, for an ``open`` row, whether its process still runs (NULL for other rows).
OWNER = (
    "CASE WHEN status = 'open' AND json_valid(record) THEN json_extract(record, '$.pid') END, "
    "CASE WHEN status = 'open' AND json_valid(record) "
    "THEN json_extract(record, '$.process_start') END"
)
RUN_COUNT = "(SELECT count(*) FROM runs WHERE runs.session_id = s.session_id)"
#: ``sessions list --json``: each record checked by SQLite, its run count, and for an
#: ``open`` row the variant saying ``interrupted`` (used when its process is gone).
TEXT_COLUMNS = (
    f"CASE WHEN {READABLE} THEN rtrim(record) END, {RUN_COUNT}, "
    f"CASE WHEN status = 'open' AND {READABLE} "
    f"THEN json_set(record, '$.status', 'interrupted', '$.run_count', {RUN_COUNT}) END"
)
#: ``sessions list``: the columns of the table, the creation time in local time.
ROW_COLUMNS = (
    f"CASE WHEN {READABLE} THEN 1 END, kind, "
    f"strftime('%Y-%m-%d %H:%M:%S', created_at, 'localtime'), "
    f"duration_s, {RUN_COUNT}, run_time_s, env, git_commit, git_dirty"
)


class SqliteStore:
    """A `drupe.SessionStore` in one SQLite file."""

    def __init__(
        self, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT_S, lazy: bool = False
    ) -> None:
        """Open the database at ``path``, creating it (and its folder) unless ``lazy``.

        A ``lazy`` store opens an existing file at once (a bad one fails
        here) but creates a missing one only at its first write: until then
        it reads as empty. Reading history must never leave a ``.drupe/``
        behind in a project that never ran a session.
        """
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._pid = os.getpid()
        self._closed = False
        self._close_lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._db: sqlite_connections.Database | None = None
        if not lazy or self.path.exists():
            self._db = self._acquire()

    def _acquire(self) -> sqlite_connections.Database:
        prepare_folder(self.path.parent)
        try:
            return sqlite_connections.acquire(self.path, self.busy_timeout, self._prepare)
        except sqlite3.Error as exc:
            raise self._error("open", exc) from exc

    # -- schema -------------------------------------------------------------

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """Once per process and file: WAL mode, and the schema brought up to date."""
        self._retry(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())

        def upgrade() -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._upgrade(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        self._retry(upgrade)

    def _upgrade(self, conn: sqlite3.Connection) -> None:
        version = current_version(conn)
        if version > SCHEMA_VERSION:
            raise drupe.StoreError(
                f"the session store {self.path} has schema version {version}, newer than this "
                f"drupe_store understands ({SCHEMA_VERSION}): upgrade drupe, or point "
                f"SESSION_STORE_ARGS['path'] elsewhere"
            )
        if version < SCHEMA_VERSION:
            migrate(conn, version)

    @property
    def schema_version(self) -> int:
        """The database's schema version; 0 while a lazy store has no file yet."""
        return self._read(current_version, empty=0)

    # -- statements ---------------------------------------------------------

    def _error(self, action: str, exc: BaseException) -> drupe.StoreError:
        return drupe.StoreError(
            f"could not {action} the session store {self.path}: {exc}; check the file is "
            f"writable and not corrupt (SESSION_STORE_ARGS['path'] moves it)"
        )

    def _retry(self, attempt: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.005
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() > deadline:
                    raise self._error("use", exc) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
            except sqlite3.Error as exc:
                raise self._error("use", exc) from exc

    def _write(self, sql: str, values: tuple[Any, ...]) -> None:
        """One statement, committed when this returns (see `Database.write`)."""
        database = self._open_database(create=True)
        assert database is not None
        database.write(sql, values, self._retry)

    def _read(self, body: Callable[[sqlite3.Connection], T], empty: T) -> T:
        """``body`` on this thread's connection, in one read transaction (one snapshot).

        ``empty`` is the answer while the database does not exist (a lazy store).
        """
        database = self._open_database(create=False)
        if database is None:
            return empty
        conn = database.reader()

        def attempt() -> T:
            conn.execute("BEGIN")
            try:
                return body(conn)
            finally:
                conn.execute("COMMIT")

        return self._retry(attempt)

    def _open_database(self, *, create: bool) -> sqlite_connections.Database | None:
        """The database; a lazy store without a file gives ``None`` unless ``create``."""
        if self._closed:
            raise drupe.StoreError(f"the session store {self.path} is closed")
        if os.getpid() != self._pid:
            raise drupe.StoreError(
                f"the session store {self.path} was opened in process {self._pid} and cannot "
                f"be used in a forked child ({os.getpid()}): open a new one there"
            )
        if self._db is None:
            with self._open_lock:
                if self._db is None and (create or self.path.exists()):
                    self._db = self._acquire()
        return self._db

    # -- SessionStore -------------------------------------------------------

    def save_session(self, record: Mapping[str, Any]) -> None:
        session_id = str(record["session_id"])
        git = record.get("git")
        git = git if isinstance(git, Mapping) else {}
        dirty = git.get("dirty")
        self._write(
            SAVE_SESSION,
            (
                session_id,
                str(record.get("created_at") or ""),
                str(record.get("status") or "open"),
                json.dumps(record, default=str),
                record.get("kind"),
                record.get("hostname"),
                short_id(session_id),
                _text(record.get("env")),
                number_or_none(record.get("duration_s")),
                number_or_none(record.get("run_time_s")),
                _text(git.get("commit")),
                None if dirty is None else bool(dirty),
            ),
        )

    def save_run(self, record: Mapping[str, Any]) -> None:
        self._write(SAVE_RUN, self._run_values(record))

    def add_run(self, record: Mapping[str, Any]) -> None:
        """Record a new run; `RunIdTakenError` when the store already has its id (atomic)."""
        run_id = str(record["run_id"])
        try:
            self._write(ADD_RUN, self._run_values(record))
        except drupe.StoreError as exc:
            if not isinstance(exc.__cause__, sqlite3.IntegrityError):
                raise
            owner = self._read(
                lambda conn: conn.execute(
                    "SELECT session_id FROM runs WHERE run_id = ?", (run_id,)
                ).fetchone(),
                empty=None,
            )
            raise RunIdTakenError(run_id, owner[0] if owner else None) from None

    def _run_values(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        return (
            str(record["run_id"]),
            str(record["session_id"]),
            json.dumps(record, default=str),
            record.get("started_at"),
            record.get("status"),
        )

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The record of run ``run_id`` (any session), or ``None``; by primary key."""

        def body(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT record FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            return None if row is None else str(row[0])

        text = self._read(body, empty=None)
        return None if text is None else run_with_effective_status(json.loads(text))

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        def body(conn: sqlite3.Connection) -> tuple[Any, list[tuple[str, Any]]] | None:
            row = conn.execute(
                "SELECT record FROM sessions WHERE session_id = ?", (session_id,)
            ).fetchone()
            if row is None:
                return None
            runs = conn.execute(
                "SELECT run_id, record FROM runs WHERE session_id = ? ORDER BY started_at, run_id",
                (session_id,),
            ).fetchall()
            return row[0], runs

        found = self._read(body, empty=None)
        if found is None:
            return None
        record = _readable(session_id, found[0])
        if record is None:
            raise drupe.StoreError(
                f"the stored record of session {session_id} in {self.path} is unreadable; "
                f"other sessions are fine (`drupe sessions list` skips it)"
            )
        runs = []
        for run_id, text in found[1]:
            try:
                run = json.loads(text)
            except (TypeError, ValueError):
                run = None
            if not isinstance(run, dict):
                _log.warning(
                    "drupe_store: skipping run %s: its stored record is unreadable", run_id
                )
                continue
            runs.append(run)
        record["runs"] = runs
        return with_effective_status(record)

    def list_sessions(
        self, *, limit: int | None = 20, status: str | None = None
    ) -> list[Mapping[str, Any]]:
        return list(self.iter_sessions(limit=limit, status=status))

    def iter_sessions(
        self, *, limit: int | None = 20, status: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Session records, newest first, one at a time: memory stays flat for any history.

        Filtering and limits run in SQL, except that whether an ``open``
        session was interrupted is decided while streaming (it depends on
        processes alive now). A row whose record cannot be read is skipped
        with a warning naming it.
        """
        for text in self.iter_session_texts(limit=limit, status=status):
            record: dict[str, Any] = json.loads(text)
            yield record

    def iter_session_texts(
        self, *, limit: int | None = 20, status: str | None = None
    ) -> Iterator[str]:
        """`iter_sessions` as JSON texts, completed by SQLite and passed through.

        The fast path of ``drupe sessions list --json``: SQLite checks each
        record and adds its ``run_count`` (and, for an ``open`` row, makes
        the variant saying ``interrupted``); Python decodes nothing.
        """
        for reported, row in self._listed(TEXT_COLUMNS, limit, status):
            text, run_count, interrupted_text = row[5:]
            if reported == "interrupted":
                yield interrupted_text
            else:  # a JSON object ends with "}": add the run count without parsing it
                yield f'{text[:-1]}, "run_count": {run_count}}}'

    def iter_session_rows(
        self, *, limit: int | None = 20, status: str | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """What the ``sessions list`` table shows, read from columns (no record decoded).

        Each row: ``(session_id, status, kind, created, duration_s, run_count,
        run_time_s, env, git_commit, git_dirty)``, ``created`` already as
        ``YYYY-MM-DD HH:MM:SS`` in local time (SQLite's ``localtime``),
        ``status`` the one to report (``interrupted`` decided now).
        """
        for reported, row in self._listed(ROW_COLUMNS, limit, status):
            yield (row[0], reported, *row[6:])

    def _listed(
        self, columns: str, limit: int | None, status: str | None
    ) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """``(status to report, row)`` per listed, readable session, newest first.

        ``row`` is ``(session_id, stored status, hostname, pid, process_start,
        *columns)``. The first of ``columns`` is NULL (or 0) for a row whose
        record is not readable: that row is skipped with a warning. The status
        to report is, for an ``open`` row, ``interrupted`` when its process is gone.
        """
        check_status(status)
        select = f"SELECT session_id, status, hostname, {OWNER}, {columns} FROM sessions AS s"
        order = " ORDER BY created_at DESC, session_id DESC"
        args: list[Any] = []
        decided_later = status in ("open", "interrupted")
        if status == "interrupted":
            where = " WHERE status = 'open' AND hostname = ?"
            args.append(hostname())
        elif status is not None:
            where = " WHERE status = ?"
            args.append(status)
        else:
            where = ""
        tail = ""
        if limit is not None and not decided_later:
            tail = " LIMIT ?"
            args.append(limit)
        database = self._open_database(create=False)
        if database is None:
            return
        conn = database.reader()
        self._retry(lambda: conn.execute("BEGIN"))
        try:
            cursor = self._retry(lambda: conn.execute(select + where + order + tail, args))
            shown = 0
            alive = AliveCache()
            for row in cursor:
                if limit is not None and shown >= limit:
                    break
                if not row[5]:
                    _warn_unreadable(row[0])
                    continue
                reported = row[1]
                if reported == "open":  # interrupted or not: decided now
                    owner = {"status": "open", "hostname": row[2], "pid": row[3]}
                    owner["process_start"] = row[4]
                    reported = effective_status(owner, alive=alive)
                    if decided_later and reported != status:
                        continue
                shown += 1
                yield reported, row
        finally:
            conn.execute("COMMIT")

    def find_session_ids(self, prefix: str, limit: int = 2) -> list[str]:
        """Ids that start with ``prefix``, or whose random tail does (at most ``limit``)."""
        if not prefix:
            return []
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)

        def body(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT session_id FROM sessions WHERE session_id >= ? AND session_id < ? "
                "UNION SELECT session_id FROM sessions WHERE short_id >= ? AND short_id < ? "
                "LIMIT ?",
                (prefix, upper, prefix, upper, limit),
            ).fetchall()
            return sorted(r[0] for r in rows)

        return self._read(body, empty=[])

    def close(self) -> None:
        """Done with the store; the connections stay open for the process's next store.

        Closing in a forked child only marks the handle closed: the parent's
        connections must not be touched there.
        """
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        if os.getpid() == self._pid and self._db is not None:
            sqlite_connections.release(self._db)

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _readable(session_id: str, text: Any) -> dict[str, Any] | None:
    """The record of one row, or ``None`` (and a warning naming the row) when it is unreadable."""
    try:
        record = json.loads(text)
    except (TypeError, ValueError):
        record = None
    if isinstance(record, dict) and record.get("session_id") == session_id:
        return record
    _warn_unreadable(session_id)
    return None


def _warn_unreadable(session_id: str) -> None:
    _log.warning(
        "drupe_store: skipping session %s: its stored record is not a readable session "
        "record (a damaged row?); the other sessions are listed",
        session_id,
    )
