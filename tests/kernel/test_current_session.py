"""get_current_session(): the session active in this thread or task."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from drupe import Context, RunRequest, ServiceSession, Session, SessionError, get_current_session
from drupe.testing import FunctionExecutor, StaticConfig


def current_id(context: Context, run: RunRequest) -> dict[str, Any]:
    return {"current": get_current_session().session_id, "run": run.run_id}


def plugins() -> list[Any]:
    return [StaticConfig(), FunctionExecutor(current_id)]


def test_outside_any_session_it_says_so() -> None:
    with pytest.raises(SessionError, match="no drupe session is active"):
        get_current_session()


def test_inside_with_block_and_inside_node_code(tmp_path) -> None:
    with Session.create(tmp_path, plugins=plugins(), entry_points=False) as session:
        assert get_current_session() is session
        assert session.run()["current"] == session.session_id
    with pytest.raises(SessionError):
        get_current_session()


def test_nested_sessions_restore_the_outer_one(tmp_path) -> None:
    with Session.create(tmp_path, plugins=plugins(), entry_points=False) as outer:
        with Session.create(tmp_path, plugins=plugins(), entry_points=False) as inner:
            assert get_current_session() is inner
        assert get_current_session() is outer


def test_each_thread_sees_its_own_service_session(tmp_path) -> None:
    sessions = [
        ServiceSession.create(plugins=plugins(), entry_points=False, project_path=tmp_path)
        for _ in range(4)
    ]
    wrong: list[str] = []

    def worker(session: ServiceSession) -> None:
        for _ in range(50):
            if session.run()["current"] != session.session_id:
                wrong.append(session.session_id)

    threads = [threading.Thread(target=worker, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in sessions:
        s.close()
    assert wrong == []
