"""The history is never wrong: run ids are never reused, final records survive a busy store.

Each test reproduces a case of issue 14 with real sessions on a real store.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from store_testkit import DEFAULT_PATHS, history_at, plugins_for

import drupe
from drupe_store import final_writes


def _fail(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
    raise RuntimeError("this retry fails")


def test_reusing_a_run_id_is_refused_before_the_run_starts(tmp_path: Path, backend: str) -> None:
    started: list[str] = []

    def work(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
        started.append(run.run_id)
        return {"out": 1}

    with drupe.Session.create(
        plugins=plugins_for(tmp_path, backend, work), entry_points=False
    ) as first:
        first.run(run_id="nightly-1")
    with drupe.Session.create(
        plugins=plugins_for(tmp_path, backend, _fail), entry_points=False
    ) as second:
        with pytest.raises(drupe.StoreError, match=r"run id 'nightly-1' is already recorded"):
            second.run(run_id="nightly-1")
    assert started == ["nightly-1"]  # the second run never started
    with history_at(tmp_path, backend) as history:
        kept = history.get_session(first.session_id)
        assert [(r["run_id"], r["status"]) for r in kept["runs"]] == [("nightly-1", "succeeded")]
        assert history.get_session(second.session_id)["runs"] == []
        assert history.get_run("nightly-1")["session_id"] == first.session_id


def test_a_service_session_cannot_run_one_id_twice(tmp_path: Path, backend: str) -> None:
    with drupe.ServiceSession.create(
        plugins=plugins_for(tmp_path, backend), entry_points=False
    ) as service:
        service.run(run_id="job-7")
        with pytest.raises(drupe.StoreError, match="choose another --run-id"):
            service.run(run_id="job-7")
        service.run(run_id="job-8")
    with history_at(tmp_path, backend) as history:
        runs = history.get_session(service.session_id)["runs"]
        assert sorted((r["run_id"], r["status"]) for r in runs) == [
            ("job-7", "succeeded"),
            ("job-8", "succeeded"),
        ]


def test_run_ids_are_claimed_once_across_threads(tmp_path: Path, backend: str) -> None:
    outcomes: list[str] = []

    def one() -> None:
        with drupe.Session.create(
            plugins=plugins_for(tmp_path, backend), entry_points=False
        ) as session:
            try:
                session.run(run_id="contested")
                outcomes.append("ran")
            except drupe.StoreError:
                outcomes.append("refused")

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["ran"] + ["refused"] * 5


def test_final_records_land_after_the_store_was_locked_past_its_busy_timeout(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A lock held longer than the busy timeout at the end of a run: retried, not lost."""
    release = threading.Event()
    locked = threading.Event()
    path = tmp_path / DEFAULT_PATHS["sqlite"]

    def hold_lock() -> None:
        blocker = sqlite3.connect(path, timeout=10, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(30)
        blocker.execute("COMMIT")
        blocker.close()

    def work(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
        threading.Thread(target=hold_lock, daemon=True).start()
        locked.wait(10)
        # The lock outlives SQLite's busy timeout (0.3 s) by a second and a half.
        threading.Timer(1.8, release.set).start()
        return {"model": 1}

    with (
        caplog.at_level(logging.WARNING, logger="drupe_store"),
        drupe.Session.create(
            plugins=plugins_for(tmp_path, "sqlite", work, busy_timeout=0.3), entry_points=False
        ) as session,
    ):
        session.run(run_id="late")
    assert any("recorded run late" in r.getMessage() for r in caplog.records)  # it was retried
    with history_at(tmp_path, "sqlite") as history:
        record = history.get_session(session.session_id)
    assert record["status"] == "closed"
    assert [(r["run_id"], r["status"]) for r in record["runs"]] == [("late", "succeeded")]


def test_a_record_that_never_lands_is_one_loud_error(caplog: pytest.LogCaptureFixture) -> None:
    attempts: list[float] = []

    def broken(record: Any) -> None:
        raise drupe.StoreError("database is locked")

    with caplog.at_level(logging.ERROR, logger="drupe_store"):
        landed = final_writes.persist(
            broken,
            {"run_id": "r1", "session_id": "s1", "status": "succeeded"},
            sleep=attempts.append,
        )
    assert not landed
    assert attempts == list(final_writes.BACKOFF_S)
    (message,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "could not record run r1 of session s1 (status succeeded)" in message
    assert "interrupted" in message and "busy_timeout" in message


def test_a_run_left_running_under_a_closed_session_reads_as_interrupted(tmp_path: Path) -> None:
    """What history shows when the run's final record could not be written."""
    with drupe.Session.create(
        plugins=plugins_for(tmp_path, "sqlite"), entry_points=False
    ) as session:
        session.run(run_id="cut")
    db = sqlite3.connect(tmp_path / DEFAULT_PATHS["sqlite"])
    (text,) = db.execute("SELECT record FROM runs WHERE run_id = 'cut'").fetchone()
    stale = {**json.loads(text), "status": "running", "finished_at": None}
    db.execute("UPDATE runs SET record = ? WHERE run_id = 'cut'", (json.dumps(stale),))
    db.commit()
    db.close()
    with history_at(tmp_path, "sqlite") as history:
        runs = history.get_session(session.session_id)["runs"]
    assert [r["status"] for r in runs] == ["interrupted"]


def test_json_store_stays_readable_with_a_torn_last_line(tmp_path: Path) -> None:
    with drupe.Session.create(plugins=plugins_for(tmp_path, "json"), entry_points=False) as session:
        session.run(run_id="whole")
    (path,) = (tmp_path / DEFAULT_PATHS["json"]).glob("*.jsonl")
    with path.open("ab") as handle:  # a writer killed in the middle of its line
        handle.write(b'{"run": {"run_id": "half", "sess')
    with history_at(tmp_path, "json") as history:
        record = history.get_session(session.session_id)
    assert record["status"] == "closed"
    assert [r["run_id"] for r in record["runs"]] == ["whole"]


def test_json_store_appends_one_line_per_write(tmp_path: Path) -> None:
    with drupe.ServiceSession.create(
        plugins=plugins_for(tmp_path, "json"), entry_points=False
    ) as service:
        for index in range(5):
            service.run(run_id=f"r{index}")
    (path,) = (tmp_path / DEFAULT_PATHS["json"]).glob("*.jsonl")
    lines = path.read_text().splitlines()
    assert len(lines) == 2 + 5 * 2  # session open + close, each run started + finished
    assert all(isinstance(json.loads(line), dict) for line in lines)
