"""The SQLite schema and its migrations, from version 1 on.

Version 1 kept each record as JSON with only the columns needed to find it.
Version 2 adds the columns that ``sessions list`` sorts and filters on and
that id lookups use, with their indexes, so listing stays fast with 100k
sessions. Version 3 adds the other columns ``sessions list`` shows (env,
durations, git commit), so a listing reads columns and never decodes a
record. A new version appends one step to `MIGRATIONS`; a database is
migrated forward once, inside one ``BEGIN IMMEDIATE`` transaction, by the
first process that opens it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

SCHEMA_VERSION = 3

V1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    record TEXT NOT NULL
);
"""

V2 = """
ALTER TABLE sessions ADD COLUMN kind TEXT;
ALTER TABLE sessions ADD COLUMN hostname TEXT;
ALTER TABLE sessions ADD COLUMN short_id TEXT;
ALTER TABLE runs ADD COLUMN started_at TEXT;
ALTER TABLE runs ADD COLUMN status TEXT;
CREATE INDEX sessions_by_created ON sessions (created_at, session_id);
CREATE INDEX sessions_by_status ON sessions (status, created_at, session_id);
CREATE INDEX sessions_by_short_id ON sessions (short_id);
CREATE INDEX runs_by_session ON runs (session_id, started_at);
"""


V3 = """
ALTER TABLE sessions ADD COLUMN env TEXT;
ALTER TABLE sessions ADD COLUMN duration_s REAL;
ALTER TABLE sessions ADD COLUMN run_time_s REAL;
ALTER TABLE sessions ADD COLUMN git_commit TEXT;
ALTER TABLE sessions ADD COLUMN git_dirty INTEGER;
UPDATE sessions SET
    env = json_extract(record, '$.env'),
    duration_s = json_extract(record, '$.duration_s'),
    run_time_s = json_extract(record, '$.run_time_s'),
    git_commit = json_extract(record, '$.git.commit'),
    git_dirty = json_extract(record, '$.git.dirty')
WHERE json_valid(record) AND json_type(record) = 'object'
"""


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        for statement in filter(str.strip, sql.split(";")):
            conn.execute(statement)

    return apply


def _v2(conn: sqlite3.Connection) -> None:
    _script(V2)(conn)
    rows = conn.execute("SELECT session_id, record FROM sessions").fetchall()
    for session_id, text in rows:
        record = json.loads(text)
        tail = session_id.rpartition("Z-")[2] if "Z-" in session_id else session_id
        conn.execute(
            "UPDATE sessions SET kind = ?, hostname = ?, short_id = ? WHERE session_id = ?",
            (record.get("kind"), record.get("hostname"), tail, session_id),
        )
    for run_id, text in conn.execute("SELECT run_id, record FROM runs").fetchall():
        record = json.loads(text)
        conn.execute(
            "UPDATE runs SET started_at = ?, status = ? WHERE run_id = ?",
            (record.get("started_at"), record.get("status"), run_id),
        )


#: ``MIGRATIONS[n]`` turns a database of version ``n - 1`` (0: empty) into version ``n``.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _script(V1),
    2: _v2,
    3: _script(V3),
}


def current_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, from_version: int) -> None:
    """Apply every step after ``from_version`` (call inside a write transaction)."""
    for version in range(from_version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](conn)
    conn.execute("DELETE FROM schema_version")
    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
