"""The lifecycle a Session and a ServiceSession go through, as plugins see it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import drupe
from drupe import Context, RunRequest, ServiceSession, Session, SessionError
from drupe.testing import FunctionExecutor, HookRecorder, StaticConfig

LIFECYCLE = {
    "before_session_create",
    "find_project",
    "load_settings",
    "open_store",
    "after_session_created",
    "create_config_loader",
    "after_context_created",
    "before_run",
    "execute_run",
    "after_run",
    "on_run_error",
    "after_close",
}


def echo_params(context: Context, run: RunRequest) -> dict[str, Any]:
    return {"params": dict(context.params), "run_id": run.run_id}


def bare(*extra: Any, executor: Any = echo_params, config: Any = None) -> list[Any]:
    return [StaticConfig(config or {"parameters": {"x": 1}}), FunctionExecutor(executor), *extra]


def names(recorder: HookRecorder) -> list[str]:
    return [name for name in recorder.names() if name in LIFECYCLE]


def test_session_calls_hooks_in_lifecycle_order(hook_recorder: HookRecorder, tmp_path) -> None:
    with Session.create(tmp_path, plugins=bare(hook_recorder), entry_points=False) as session:
        session.run()
    assert names(hook_recorder) == [
        "before_session_create",
        "find_project",
        "load_settings",
        "open_store",
        "after_session_created",
        "create_config_loader",
        "after_context_created",
        "before_run",
        "execute_run",
        "after_run",
        "after_close",
    ]


def test_save_on_close_false_never_asks_for_a_store(hook_recorder: HookRecorder, tmp_path) -> None:
    session = Session.create(
        tmp_path, save_on_close=False, plugins=bare(hook_recorder), entry_points=False
    )
    session.close()
    assert "open_store" not in names(hook_recorder)
    assert session.store is None


def test_run_returns_free_outputs_and_sees_runtime_params(tmp_path) -> None:
    with Session.create(
        tmp_path, runtime_params={"x": 5, "y": {"z": 1}}, plugins=bare(), entry_points=False
    ) as session:
        result = session.run()
    assert result["params"] == {"x": 5, "y": {"z": 1}}


def test_second_run_is_refused_but_a_failed_run_may_be_retried(tmp_path) -> None:
    attempts: list[str] = []

    def flaky(context: Context, run: RunRequest) -> dict[str, Any]:
        attempts.append(run.run_id)
        if len(attempts) == 1:
            raise RuntimeError("transient")
        return {"ok": True}

    with Session.create(tmp_path, plugins=bare(executor=flaky), entry_points=False) as session:
        with pytest.raises(RuntimeError, match="transient"):
            session.run()
        assert session.run() == {"ok": True}
        with pytest.raises(SessionError, match="already completed a run"):
            session.run()
    assert len(set(attempts)) == 2


def test_failed_run_calls_on_run_error_and_reraises(hook_recorder: HookRecorder, tmp_path) -> None:
    def boom(context: Context, run: RunRequest) -> dict[str, Any]:
        raise ValueError("bad node")

    session = Session.create(
        tmp_path, plugins=bare(hook_recorder, executor=boom), entry_points=False
    )
    with pytest.raises(ValueError, match="bad node"):
        session.run()
    errors = hook_recorder.named("on_run_error")
    assert len(errors) == 1 and isinstance(errors[0].kwargs["error"], ValueError)
    assert "after_run" not in names(hook_recorder)
    session.close()


def test_exit_records_the_exception_then_closes_once(hook_recorder: HookRecorder, tmp_path) -> None:
    with pytest.raises(KeyError):
        with Session.create(tmp_path, plugins=bare(hook_recorder), entry_points=False) as session:
            raise KeyError("oops")
    assert isinstance(session.exception, KeyError)
    assert session.closed
    session.close()  # harmless
    assert len(hook_recorder.named("after_close")) == 1
    with pytest.raises(SessionError, match="closed"):
        session.run()


def test_context_is_built_once_per_session(tmp_path) -> None:
    with Session.create(tmp_path, plugins=bare(), entry_points=False) as session:
        assert session.load_context() is session.load_context()


def test_missing_provider_names_the_hook_and_the_bundled_plugin(tmp_path) -> None:
    with Session.create(tmp_path, plugins=[], entry_points=False) as session:
        with pytest.raises(drupe.MissingProviderError, match=r"create_config_loader.*'config'"):
            session.load_context()
    with (
        Session.create(tmp_path, plugins=[StaticConfig()], entry_points=False) as session,
        pytest.raises(drupe.MissingProviderError, match=r"execute_run.*'pipeline'"),
    ):
        session.run()


def test_run_request_carries_the_whole_selection(tmp_path) -> None:
    seen: list[RunRequest] = []

    def capture(context: Context, run: RunRequest) -> dict[str, Any]:
        seen.append(run)
        return {}

    with Session.create(tmp_path, plugins=bare(executor=capture), entry_points=False) as s:
        s.run(
            pipeline_names=["a", "b"],
            tags=["t"],
            runner="thread",
            node_names=["n"],
            from_nodes=["f"],
            to_nodes=["t2"],
            from_inputs=["i"],
            to_outputs=["o"],
            load_versions={"ds": "v1"},
            namespaces=["ns"],
            only_missing_outputs=True,
            run_id="my-run",
        )
    run = seen[0]
    assert run.to_dict() == {
        "run_id": "my-run",
        "session_id": s.session_id,
        "selection": {
            "pipeline_names": ["a", "b"],
            "tags": ["t"],
            "node_names": ["n"],
            "from_nodes": ["f"],
            "to_nodes": ["t2"],
            "from_inputs": ["i"],
            "to_outputs": ["o"],
            "namespaces": ["ns"],
            "runner": "thread",
            "load_versions": {"ds": "v1"},
            "only_missing_outputs": True,
        },
        "runtime_params": {},
    }


def test_service_session_runs_many_times_with_their_own_params(tmp_path) -> None:
    with ServiceSession.create(plugins=bare(), entry_points=False, project_path=tmp_path) as s:
        first = s.run(runtime_params={"x": 2})
        second = s.run(runtime_params={"x": 3})
        default = s.run()
    assert (first["params"]["x"], second["params"]["x"], default["params"]["x"]) == (2, 3, 1)
    assert first["run_id"] != second["run_id"]


def test_service_session_loads_config_once(hook_recorder: HookRecorder, tmp_path) -> None:
    with ServiceSession.create(
        plugins=bare(hook_recorder), entry_points=False, project_path=tmp_path
    ) as s:
        for i in range(5):
            s.run(runtime_params={"x": i})
    assert len(hook_recorder.named("create_config_loader")) == 1
    assert len(hook_recorder.named("after_context_created")) == 5


def test_three_concurrent_service_runs_each_see_lifecycle_order(
    hook_recorder: HookRecorder, tmp_path
) -> None:
    barrier = threading.Barrier(3)

    def wait_for_all(context: Context, run: RunRequest) -> dict[str, Any]:
        barrier.wait(timeout=10)  # all three runs are inside execute_run at once
        return {"x": context.params["x"]}

    session = ServiceSession.create(
        plugins=bare(hook_recorder, executor=wait_for_all),
        entry_points=False,
        project_path=tmp_path,
    )
    results: dict[int, Any] = {}

    def worker(i: int) -> None:
        results[i] = session.run(runtime_params={"x": i})

    threads = [threading.Thread(target=worker, args=(i,), name=f"run-{i}") for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    session.close()
    assert results == {i: {"x": i} for i in range(3)}
    per_thread: dict[str, list[str]] = {}
    for call in hook_recorder.calls:
        if call.name in LIFECYCLE and call.thread.startswith("run-"):
            per_thread.setdefault(call.thread, []).append(call.name)
    assert per_thread == {
        f"run-{i}": ["after_context_created", "before_run", "execute_run", "after_run"]
        for i in range(3)
    }
    assert names(hook_recorder)[-1] == "after_close"


def test_service_close_waits_for_runs_in_flight(tmp_path) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(context: Context, run: RunRequest) -> dict[str, Any]:
        started.set()
        release.wait(timeout=10)
        return {"done": True}

    session = ServiceSession.create(
        plugins=bare(executor=slow), entry_points=False, project_path=tmp_path
    )
    result: list[Any] = []
    runner = threading.Thread(target=lambda: result.append(session.run()))
    runner.start()
    assert started.wait(timeout=10)
    closer = threading.Thread(target=session.close)
    closer.start()
    closer.join(timeout=0.2)
    assert closer.is_alive(), "close() must wait for the run in flight"
    with pytest.raises(SessionError, match="closed"):
        session.run()
    release.set()
    runner.join(timeout=10)
    closer.join(timeout=10)
    assert result == [{"done": True}] and session.closed


def test_duplicate_run_id_in_flight_is_refused(tmp_path) -> None:
    inside, release = threading.Event(), threading.Event()

    def slow(context: Context, run: RunRequest) -> dict[str, Any]:
        inside.set()
        release.wait(timeout=10)
        return {}

    with ServiceSession.create(
        plugins=bare(executor=slow), entry_points=False, project_path=tmp_path
    ) as s:
        t = threading.Thread(target=s.run, kwargs={"run_id": "same"})
        t.start()
        assert inside.wait(timeout=10)
        with pytest.raises(SessionError, match="already in flight"):
            s.run(run_id="same")
        release.set()
        t.join(timeout=10)


def test_arun_runs_off_the_event_loop(tmp_path) -> None:
    import asyncio

    loop_threads: list[str] = []

    def where(context: Context, run: RunRequest) -> dict[str, Any]:
        loop_threads.append(threading.current_thread().name)
        return {"x": context.params["x"]}

    async def main(session: ServiceSession) -> list[dict[str, Any]]:
        return list(
            await asyncio.gather(*(session.arun(runtime_params={"x": i}) for i in range(4)))
        )

    with ServiceSession.create(
        plugins=bare(executor=where), entry_points=False, project_path=tmp_path
    ) as s:
        results = asyncio.run(main(s))
    assert results == [{"x": i} for i in range(4)]
    assert threading.main_thread().name not in loop_threads


def test_embedded_session_without_a_project(tmp_path) -> None:
    with Session.create(tmp_path, plugins=bare(), entry_points=False) as session:
        assert session.project is None
        assert session.load_context().project is None
        assert session.run()["params"] == {"x": 1}


def test_a_project_path_that_does_not_exist_fails_at_create(tmp_path) -> None:
    missing = tmp_path / "nowhere"
    for create in (
        lambda: Session.create(missing, plugins=bare(), entry_points=False),
        lambda: ServiceSession.create(project_path=missing, plugins=bare(), entry_points=False),
    ):
        with pytest.raises(drupe.ProjectError, match=f"project path {missing} does not exist"):
            create()


def test_close_timeout_defers_the_end_of_closing_until_the_last_run_ends(
    hook_recorder: HookRecorder, tmp_path
) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(context: Context, run: RunRequest) -> dict[str, Any]:
        started.set()
        release.wait(timeout=10)
        return {"done": True}

    session = ServiceSession.create(
        plugins=bare(hook_recorder, executor=slow), entry_points=False, project_path=tmp_path
    )
    result: list[Any] = []
    runner = threading.Thread(target=lambda: result.append(session.run()))
    runner.start()
    assert started.wait(timeout=10)
    session.close(timeout=0.05)  # returns although the run is still going
    assert session.closed and hook_recorder.named("after_close") == []
    release.set()
    runner.join(timeout=10)
    assert result == [{"done": True}]
    assert names(hook_recorder)[-2:] == ["after_run", "after_close"]


def test_a_create_that_fails_after_the_session_exists_closes_it_as_failed(
    hook_recorder: HookRecorder, tmp_path
) -> None:
    class BrokenPreload:
        @drupe.hookimpl
        def after_session_created(self, session: Any) -> None:
            raise RuntimeError("cannot preload")

    with pytest.raises(RuntimeError, match="cannot preload"):
        Session.create(tmp_path, plugins=bare(hook_recorder, BrokenPreload()), entry_points=False)
    closes = hook_recorder.named("after_close")
    assert len(closes) == 1
    assert isinstance(closes[0].kwargs["session"].exception, RuntimeError)
