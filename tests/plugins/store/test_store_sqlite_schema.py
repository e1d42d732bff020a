"""The SQLite backend's schema: versioned, migrated forward, indexed for listing."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pytest

import drupe
from drupe_store import SqliteStore, open_history
from drupe_store.sqlite_schema import SCHEMA_VERSION

# The first released schema, written out by hand: what old databases contain.
VERSION_1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE sessions (session_id TEXT PRIMARY KEY, created_at TEXT NOT NULL,
                       status TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE runs (run_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, record TEXT NOT NULL);
"""

OLD_ID = "2025-01-02T03.04.05.000001Z-0123456789"
NEWER_ID = "2025-01-03T03.04.05.000001Z-abcdefabcd"


def write_version_1(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(VERSION_1)
        for session_id, created, status in (
            (OLD_ID, "2025-01-02T03:04:05.000001+00:00", "closed"),
            (NEWER_ID, "2025-01-03T03:04:05.000001+00:00", "failed"),
        ):
            record = {
                "session_id": session_id,
                "kind": "session",
                "status": status,
                "created_at": created,
                "hostname": "old-host",
                "pid": 1,
                "env": "prod",
                "duration_s": 75.5,
                "run_time_s": 2.25,
                "git": {"commit": "abcdef0123456789", "dirty": True},
            }
            conn.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                (session_id, created, status, json.dumps(record)),
            )
        run = {
            "run_id": "run-1",
            "session_id": OLD_ID,
            "status": "succeeded",
            "started_at": "2025-01-02T03:04:06+00:00",
        }
        conn.execute("INSERT INTO runs VALUES (?, ?, ?)", ("run-1", OLD_ID, json.dumps(run)))
    conn.close()


def test_a_version_1_database_is_migrated_and_keeps_its_history(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    write_version_1(path)

    store = SqliteStore(path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        listed = store.list_sessions()
        assert [r["session_id"] for r in listed] == [NEWER_ID, OLD_ID]
        assert [r["run_count"] for r in listed] == [0, 1]
        assert [r["session_id"] for r in store.list_sessions(status="failed")] == [NEWER_ID]
        assert store.get_session(OLD_ID)["runs"][0]["run_id"] == "run-1"  # type: ignore[index]
        assert store.find_session_ids("01234") == [OLD_ID]  # the new short-id column
        store.save_session({"session_id": "new", "created_at": "2026-01-01T00:00:00+00:00"})
        assert store.list_sessions(limit=1)[0]["session_id"] == "new"
    finally:
        store.close()

    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"sessions_by_created", "sessions_by_status", "runs_by_session"} <= indexes
        kinds = conn.execute(
            "SELECT DISTINCT kind, hostname FROM sessions WHERE session_id != 'new'"
        )
        assert kinds.fetchall() == [("session", "old-host")]
        # Version 3: what the table shows, in columns, so listing decodes no record.
        shown = conn.execute(
            "SELECT env, duration_s, run_time_s, git_commit, git_dirty FROM sessions "
            "WHERE session_id = ?",
            (OLD_ID,),
        )
        assert shown.fetchall() == [("prod", 75.5, 2.25, "abcdef0123456789", 1)]
    conn.close()


def test_reopening_a_current_database_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    SqliteStore(path).close()
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION
    store.close()


def test_a_database_from_a_newer_drupe_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (99);"
        )
    conn.close()
    with pytest.raises(drupe.StoreError, match=r"schema version 99, newer than .* understands"):
        SqliteStore(path)


def test_the_database_runs_in_wal_mode(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "sessions.db")
    store.close()
    with sqlite3.connect(tmp_path / "sessions.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_listing_uses_an_index_not_a_scan_and_sort(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "sessions.db").close()
    with sqlite3.connect(tmp_path / "sessions.db") as conn:
        for sql, args in (
            ("SELECT record FROM sessions ORDER BY created_at DESC, session_id DESC LIMIT 20", ()),
            (
                "SELECT record FROM sessions WHERE status = ? "
                "ORDER BY created_at DESC, session_id DESC LIMIT 20",
                ("failed",),
            ),
        ):
            plan = " ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, args))
            assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan
    conn.close()


def test_a_store_that_is_not_a_database_fails_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(drupe.StoreError, match=re.escape(str(path))):
        open_history(path=path)


def test_a_forked_child_cannot_use_or_close_its_parents_connection(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "sessions.db")
    store.save_session({"session_id": "parent", "created_at": "2026-01-01T00:00:00+00:00"})
    pid = os.fork()
    if pid == 0:  # the child: refused to write, and closing leaves the parent's WAL alone
        try:
            store.save_session({"session_id": "child", "created_at": "2026-01-02"})
            code = 1
        except drupe.StoreError:
            code = 0
        store.close()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    store.save_session({"session_id": "after", "created_at": "2026-01-03T00:00:00+00:00"})
    assert [r["session_id"] for r in store.list_sessions()] == ["after", "parent"]
    store.close()


def test_a_store_file_deleted_between_sessions_is_created_again(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    first = SqliteStore(path)
    first.save_session({"session_id": "one", "created_at": "2026-01-01T00:00:00+00:00"})
    first.close()
    for leftover in tmp_path.glob("sessions.db*"):
        leftover.unlink()  # the process keeps its connection: it must notice the new file
    second = SqliteStore(path)
    second.save_session({"session_id": "two", "created_at": "2026-01-02T00:00:00+00:00"})
    second.close()
    assert path.exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT session_id FROM sessions").fetchall() == [("two",)]
    conn.close()


def test_a_forked_child_opens_its_own_connection_and_writes(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "sessions.db")
    store.save_session({"session_id": "parent", "created_at": "2026-01-01T00:00:00+00:00"})
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            own = SqliteStore(tmp_path / "sessions.db")
            own.save_session({"session_id": "child", "created_at": "2026-01-02T00:00:00+00:00"})
            own.close()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    store.save_session({"session_id": "after", "created_at": "2026-01-03T00:00:00+00:00"})
    assert [r["session_id"] for r in store.list_sessions()] == ["after", "child", "parent"]
    store.close()


def test_the_table_read_from_columns_matches_the_records(tmp_path: Path) -> None:
    """``sessions list`` reads columns; it must show what the records say, the status included."""
    from drupe_store.cli import _cells
    from drupe_store.history import summary_row
    from drupe_store.liveness import hostname

    path = tmp_path / "sessions.db"
    write_version_1(path)  # migrated rows, and rows written by this version
    store = SqliteStore(path)
    gone = 2**22 + 12345  # above the default pid_max: no such process
    try:
        store.save_session(
            {
                "session_id": "2026-01-01T00.00.00.000001Z-aaaaaaaaaa",
                "created_at": "2026-01-01T00:00:00.000001+00:00",
                "status": "open",
                "kind": "service",
                "hostname": hostname(),
                "pid": gone,
                "git": None,
            }
        )
        store.save_session(
            {
                "session_id": "2026-01-02T00.00.00.000001Z-bbbbbbbbbb",
                "created_at": "2026-01-02T01:02:03.5+02:00",
                "status": "closed",
                "env": None,
                "duration_s": 4000,
                "run_time_s": "not a number",
                "git": {"commit": "0123456789abcdef", "dirty": False},
            }
        )
        for status in (None, "interrupted", "closed"):
            from_columns = [_cells(r) for r in store.iter_session_rows(limit=None, status=status)]
            from_records = [
                _cells(summary_row(r)) for r in store.iter_sessions(limit=None, status=status)
            ]
            assert from_columns == from_records
        statuses = {row[0]: row[1] for row in store.iter_session_rows(limit=None)}
        assert statuses["2026-01-01T00.00.00.000001Z-aaaaaaaaaa"] == "interrupted"
    finally:
        store.close()
