"""What the store records through the lifecycle hooks, for every bundled backend."""

from __future__ import annotations

import platform
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from store_testkit import ProjectAt, history_at, plugins_for

import drupe
import drupe_store
from drupe.testing import FunctionExecutor, StaticConfig
from drupe_store.history import history_for


def test_a_session_and_its_run_are_recorded_whole(tmp_path: Path, backend: str) -> None:
    with drupe.Session.create(
        env="staging",
        conf_source="conf",
        runtime_params={"alpha": 2, "nested": {"beta": "b"}},
        plugins=plugins_for(tmp_path, backend),
        entry_points=False,
    ) as session:
        session.run(
            tags=["train"], node_names=["fit"], load_versions={"model": "v1"}, runner="thread"
        )

    with history_at(tmp_path, backend) as history:
        record = history.get_session(session.session_id)

    assert record["session_id"] == session.session_id
    assert record["kind"] == "session"
    assert record["status"] == "closed"
    assert record["created_at"] < record["closed_at"]
    assert record["duration_s"] >= 0
    assert record["project_path"] == str(tmp_path)
    assert record["package_name"] == "demo_project"
    assert record["env"] == "staging"
    assert record["conf_source"] == "conf"
    assert record["runtime_params"] == {"alpha": 2, "nested": {"beta": "b"}}
    assert record["hostname"] == socket.gethostname()
    assert record["python_version"] == platform.python_version()
    assert record["drupe_version"] == drupe.__version__
    assert record["username"]
    assert "StorePlugin" in [p["name"] for p in record["plugins"]]
    assert record["git"] is None  # tmp_path is not in a repository
    assert record["cli"] is None  # not started by the drupe command
    assert record["error"] is None

    (run,) = record["runs"]
    assert run["session_id"] == session.session_id
    assert run["status"] == "succeeded"
    assert run["outputs"] == ["model", "report"]
    assert run["started_at"] <= run["finished_at"]
    assert run["duration_s"] >= 0
    assert run["error"] is None
    assert run["runtime_params"] == {"alpha": 2, "nested": {"beta": "b"}}
    request = run["request"]
    assert request["run_id"] == run["run_id"]
    assert request["selection"]["tags"] == ["train"]
    assert request["selection"]["node_names"] == ["fit"]
    assert request["selection"]["load_versions"] == {"model": "v1"}
    assert request["selection"]["runner"] == "thread"


def test_plugin_versions_come_from_their_distributions(tmp_path: Path) -> None:
    site = drupe.testing.write_distribution(
        tmp_path / "site",
        "drupe-versioned",
        version="3.1.4",
        plugins={"versioned": "versioned_plugin"},
        modules={"versioned_plugin.py": "import drupe\n"},
    )
    sys.path.insert(0, str(site))
    try:
        with drupe.Session.create(
            plugins=plugins_for(tmp_path / "project"),
            disable_plugins=[
                name for name in ("project", "settings", "config", "pipeline", "serve", "store")
            ],
        ) as session:
            pass
    finally:
        sys.path.remove(str(site))
    with history_at(tmp_path / "project", "sqlite") as history:
        record = history.get_session(session.session_id)
    plugins = {p["name"]: p for p in record["plugins"]}
    assert plugins["versioned"]["version"] == "3.1.4"
    assert plugins["versioned"]["distribution"] == "drupe-versioned"
    assert "store" in record["disabled_plugins"]


def test_the_session_is_visible_while_open_and_its_run_while_running(
    tmp_path: Path, backend: str
) -> None:
    seen: dict[str, Any] = {}

    def peek(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
        with history_at(tmp_path, backend) as history:
            seen.update(history.get_session(run.session_id))
        return {}

    with drupe.Session.create(
        plugins=plugins_for(tmp_path, backend, peek), entry_points=False
    ) as session:
        session.run()
    assert seen["status"] == "open"
    assert [r["status"] for r in seen["runs"]] == ["running"]


def test_an_exception_in_the_with_block_marks_the_session_failed(
    tmp_path: Path, backend: str
) -> None:
    with (
        pytest.raises(KeyError, match="missing-thing"),
        drupe.Session.create(plugins=plugins_for(tmp_path, backend), entry_points=False) as session,
    ):
        raise KeyError("missing-thing")

    with history_at(tmp_path, backend) as history:
        record = history.get_session(session.session_id)
    assert record["status"] == "failed"
    assert record["closed_at"] is not None
    assert record["error"]["type"] == "KeyError"
    assert record["error"]["message"] == "'missing-thing'"
    assert 'raise KeyError("missing-thing")' in record["error"]["traceback"]


def test_a_failing_run_is_recorded_failed_with_its_error(tmp_path: Path, backend: str) -> None:
    class ModelError(Exception):
        pass

    def explode(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
        raise ModelError("diverged at epoch 3")

    with (
        pytest.raises(ModelError),
        drupe.Session.create(
            plugins=plugins_for(tmp_path, backend, explode), entry_points=False
        ) as session,
    ):
        session.run(pipeline_names=["training"])

    with history_at(tmp_path, backend) as history:
        record = history.get_session(session.session_id)
    assert record["status"] == "failed"
    assert record["error"]["type"].endswith("ModelError")
    (run,) = record["runs"]
    assert run["status"] == "failed"
    assert run["error"]["message"] == "diverged at epoch 3"
    assert "in explode" in run["error"]["traceback"]
    assert run["request"]["selection"]["pipeline_names"] == ["training"]
    assert run["outputs"] == []


def test_save_on_close_false_writes_nothing(tmp_path: Path, backend: str) -> None:
    with drupe.Session.create(
        save_on_close=False, plugins=plugins_for(tmp_path, backend), entry_points=False
    ) as session:
        assert session.store is None
        session.run()
    assert not (tmp_path / ".drupe").exists()


def test_reading_the_history_of_a_project_that_never_ran_creates_nothing(
    tmp_path: Path, backend: str
) -> None:
    manager = drupe.build_plugin_manager(
        start=tmp_path, plugins=plugins_for(tmp_path, backend), entry_points=False
    )
    with history_for(manager, tmp_path) as history:
        assert history.list_sessions() == []
        assert list(history.iter_session_texts()) == []
        assert history.find("2026") == [] and history.find_run("nope") is None
        with pytest.raises(drupe.StoreError, match="no session recorded yet"):
            history.get_session("latest")
    assert not (tmp_path / ".drupe").exists()
    # The first session creates the store; a reader opened before it sees the session.
    with history_for(manager, tmp_path) as early:
        with drupe.Session.create(plugins=plugins_for(tmp_path, backend), entry_points=False) as s:
            s.run()
        assert early.get_session("latest")["session_id"] == s.session_id
    assert (tmp_path / ".drupe" / ".gitignore").is_file()


def test_a_session_without_a_project_works_and_keeps_no_history(tmp_path: Path) -> None:
    plugins = [drupe_store.StorePlugin, StaticConfig(), FunctionExecutor(lambda c, r: {"x": 1})]
    with drupe.Session.create(project_path=tmp_path, plugins=plugins, entry_points=False) as s:
        assert s.store is None
        assert s.run() == {"x": 1}
    assert list(tmp_path.iterdir()) == []


def test_an_absolute_path_option_keeps_history_outside_the_project(
    tmp_path: Path, backend: str
) -> None:
    elsewhere = tmp_path / "shared" / ("history.db" if backend == "sqlite" else "history")
    plugins = plugins_for(tmp_path / "project", backend, path=str(elsewhere))
    with drupe.Session.create(plugins=plugins, entry_points=False) as session:
        session.run()
    assert not (tmp_path / "project" / ".drupe").exists()
    with drupe_store.open_history(path=elsewhere, backend=backend) as history:
        assert history.get_session(session.session_id)["status"] == "closed"


def test_a_bad_store_option_fails_the_session_with_a_clear_message(tmp_path: Path) -> None:
    plugins = [drupe_store.StorePlugin, ProjectAt(tmp_path, {"backend": "postgres"})]
    with pytest.raises(drupe.SettingsError, match=r"SESSION_STORE_ARGS\['backend'\] is 'postgres'"):
        drupe.Session.create(plugins=plugins, entry_points=False)
    plugins = [drupe_store.StorePlugin, ProjectAt(tmp_path, {"pth": "x.db"})]
    with pytest.raises(drupe.SettingsError, match=r"unknown key.*'pth'"):
        drupe.Session.create(plugins=plugins, entry_points=False)


def test_service_session_runs_from_many_threads_are_all_recorded(
    tmp_path: Path, backend: str
) -> None:
    session = drupe.ServiceSession.create(
        plugins=plugins_for(tmp_path, backend), entry_points=False
    )
    errors: list[BaseException] = []

    def worker(thread: int) -> None:
        try:
            for index in range(15):
                session.run(runtime_params={"thread": thread, "index": index})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    session.close()
    assert errors == []

    with history_at(tmp_path, backend) as history:
        record = history.get_session(session.session_id)
        (listed,) = history.list_sessions()
    assert record["kind"] == "service"
    assert record["status"] == "closed"
    assert listed["run_count"] == 120
    params = sorted(
        (r["runtime_params"]["thread"], r["runtime_params"]["index"]) for r in record["runs"]
    )
    assert params == [(t, i) for t in range(8) for i in range(15)]
    assert all(r["status"] == "succeeded" for r in record["runs"])
    assert all(r["request"]["runtime_params"] == r["runtime_params"] for r in record["runs"])


def test_secret_looking_params_are_masked_everywhere(tmp_path: Path, backend: str) -> None:
    # Each secret is long and holds characters that no timestamp, hex id, path or JSON
    # key of a record has ("_", upper case letters), so finding it in the raw files can only
    # mean it leaked: the check below cannot match by chance.
    secrets = {
        "password": "hunter2_Pw_QZ7x",
        "token": "tok_Xq93_LmRv",
        "aws": "aws_Kx81_ZdTq",
        "pin": "pin_8W3q_JvNs",
    }
    params = {
        "db": {"password": secrets["password"], "host": "db.local"},
        "API_TOKEN": secrets["token"],
        "aws_secret_access_key": secrets["aws"],
        "pin": secrets["pin"],
        "rows": 10,
    }
    plugins = plugins_for(tmp_path, backend, mask_keys=["pin"])
    with drupe.Session.create(runtime_params=params, plugins=plugins, entry_points=False) as s:
        s.run()

    expected = {
        "db": {"password": "***", "host": "db.local"},
        "API_TOKEN": "***",
        "aws_secret_access_key": "***",
        "pin": "***",
        "rows": 10,
    }
    with history_at(tmp_path, backend) as history:
        record = history.get_session(s.session_id)
    assert record["runtime_params"] == expected
    assert record["runs"][0]["runtime_params"] == expected
    assert record["runs"][0]["request"]["runtime_params"] == expected
    stored = "".join(
        p.read_text(errors="replace") for p in (tmp_path / ".drupe").rglob("*.*") if p.is_file()
    )
    stored += "".join(
        p.read_bytes().decode("latin-1") for p in (tmp_path / ".drupe").rglob("*.db*")
    )
    assert "db.local" in stored  # the files read are the ones holding the records
    for secret in secrets.values():
        assert secret not in stored


def test_list_is_newest_first_with_limit_and_status(tmp_path: Path, backend: str) -> None:
    ids = []
    for index in range(5):
        try:
            with drupe.Session.create(
                plugins=plugins_for(tmp_path, backend), entry_points=False
            ) as session:
                ids.append(session.session_id)
                if index % 2:
                    raise RuntimeError("odd")
        except RuntimeError:
            pass

    with history_at(tmp_path, backend) as history:
        assert [r["session_id"] for r in history.list_sessions()] == ids[::-1]
        assert [r["session_id"] for r in history.list_sessions(limit=2)] == ids[:-3:-1]
        assert [r["session_id"] for r in history.list_sessions(limit=0)] == ids[::-1]
        failed = history.list_sessions(status="failed")
        assert [r["session_id"] for r in failed] == [ids[3], ids[1]]
        assert [r["session_id"] for r in history.list_sessions(status="closed", limit=1)] == [
            ids[4]
        ]
        assert history.list_sessions(status="interrupted") == []
        with pytest.raises(drupe.UsageError, match="unknown session status 'done'"):
            history.list_sessions(status="done")


def test_sessions_are_found_by_id_prefix_or_by_their_random_tail(
    tmp_path: Path, backend: str
) -> None:
    sessions = []
    for _ in range(3):
        with drupe.Session.create(
            plugins=plugins_for(tmp_path, backend), entry_points=False
        ) as session:
            sessions.append(session.session_id)
    target = sessions[1]
    tail = target.rpartition("Z-")[2]
    with history_at(tmp_path, backend) as history:
        assert history.get_session(target)["session_id"] == target
        assert history.get_session(tail[:7])["session_id"] == target
        assert history.get_session(target[:-3])["session_id"] == target
        with pytest.raises(drupe.StoreError, match="ambiguous"):
            history.get_session(target[:4])  # the year: every session
        with pytest.raises(drupe.StoreError, match="no session 'nope'"):
            history.get_session("nope")
        assert history.get_session("latest")["session_id"] == sessions[-1]


def test_a_run_is_found_by_its_id_alone(tmp_path: Path, backend: str) -> None:
    s = drupe.ServiceSession.create(plugins=plugins_for(tmp_path, backend), entry_points=False)
    s.run(runtime_params={"alpha": 3})
    s.run(runtime_params={"alpha": 4})
    s.close()
    with history_at(tmp_path, backend) as history:
        runs = history.get_session(s.session_id)["runs"]
        assert len(runs) == 2
        store = history.store
        for run in runs:
            found = store.get_run(run["run_id"])  # type: ignore[attr-defined]
            assert found == run
            assert history.get_run(run["run_id"]) == run
        assert store.get_run("no-such-run") is None  # type: ignore[attr-defined]
        with pytest.raises(drupe.StoreError, match="no run 'no-such-run'"):
            history.get_run("no-such-run")
