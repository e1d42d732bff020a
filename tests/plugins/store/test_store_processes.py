"""Real processes: a killed session is reported interrupted; 8 writers lose nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from store_testkit import history_at

KIT = Path(__file__).with_name("store_testkit.py")


def _kit(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(KIT), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(KIT.parent), *sys.path])},
    )


def test_a_session_killed_mid_run_is_listed_as_interrupted(tmp_path: Path, backend: str) -> None:
    process = _kit("sleep", str(tmp_path), backend)
    try:
        assert process.stdout is not None
        session_id = process.stdout.readline().strip()
        assert process.stdout.readline().strip() == "running"
        with history_at(tmp_path, backend) as history:
            assert history.get_session(session_id)["status"] == "open"
            assert [r["session_id"] for r in history.list_sessions(status="open")] == [session_id]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
        process.communicate()

    with history_at(tmp_path, backend) as history:
        (listed,) = history.list_sessions()
        assert listed["session_id"] == session_id
        assert listed["status"] == "interrupted"
        assert [r["session_id"] for r in history.list_sessions(status="interrupted")] == [
            session_id
        ]
        assert history.list_sessions(status="open") == []
        record = history.get_session(session_id)
    assert record["status"] == "interrupted"
    assert record["closed_at"] is None
    assert [r["status"] for r in record["runs"]] == ["interrupted"]


@pytest.mark.slow(seconds=3)
def test_eight_processes_writing_fifty_sessions_each_lose_nothing(
    tmp_path: Path, backend: str
) -> None:
    started = time.monotonic()
    processes = [_kit("many", str(tmp_path), backend, "50") for _ in range(8)]
    for process in processes:
        _, err = process.communicate(timeout=240)
        assert process.returncode == 0, err
    assert time.monotonic() - started < 240

    with history_at(tmp_path, backend) as history:
        listed = history.list_sessions(limit=None)
        assert len(listed) == 400
        assert len({r["session_id"] for r in listed}) == 400
        assert {r["status"] for r in listed} == {"closed"}
        assert {r["run_count"] for r in listed} == {1}
        assert sorted(r["runtime_params"]["index"] for r in listed) == sorted(list(range(50)) * 8)
        assert len({r["pid"] for r in listed}) == 8
        one = history.get_session(listed[123]["session_id"])
        assert one["runs"][0]["status"] == "succeeded"
    if backend == "sqlite":
        import sqlite3

        with sqlite3.connect(tmp_path / ".drupe" / "sessions.db") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("SELECT count(*) FROM runs").fetchone() == (400,)
    else:
        assert not list((tmp_path / ".drupe" / "sessions").glob(".tmp-*"))


def test_a_process_leaves_its_sessions_checkpointed_when_it_exits(tmp_path: Path) -> None:
    process = _kit("many", str(tmp_path), "sqlite", "5")
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    database = tmp_path / ".drupe" / "sessions.db"
    # The connections stayed open across the 5 sessions; the exit closed them and the
    # last close folded the log into the database file.
    assert not database.with_name("sessions.db-wal").exists()
    import sqlite3

    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone() == (5,)
    conn.close()
