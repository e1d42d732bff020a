"""A ServiceSession shared by many threads: every run sees only its own parameters and id.

These are the guarantees a web service relies on when it puts one service
session behind many request threads (the issue that started drupe_serve
measured Kedro's service session handing one thread's parameters to another).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import drupe
from drupe.testing import FunctionExecutor, StaticConfig

THREADS = 16
RUNS_PER_THREAD = 500


def echo_params(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
    """A run whose outputs are derived only from what this run was given."""
    current = drupe.get_current_session()
    params = context.params
    return {
        "doubled": params["n"] * 2,
        "label": params["nested"]["label"],
        "base": params["base"],
        "run_id": run.run_id,
        "context_run_id": context.run_id,
        "current_session_id": current.session_id,
        "run_session_id": run.session_id,
    }


@pytest.fixture
def two_services() -> Iterator[tuple[drupe.ServiceSession, drupe.ServiceSession]]:
    sessions = tuple(
        drupe.ServiceSession.create(
            plugins=[
                StaticConfig({"parameters": {"base": name, "n": -1, "nested": {"label": "x"}}}),
                FunctionExecutor(echo_params),
            ],
            entry_points=False,
        )
        for name in ("first", "second")
    )
    yield sessions  # type: ignore[misc]
    for session in sessions:
        session.close()


def test_concurrent_runs_are_isolated_and_ids_unique(
    two_services: tuple[drupe.ServiceSession, drupe.ServiceSession],
) -> None:
    barrier = threading.Barrier(THREADS)

    def worker(thread_index: int) -> tuple[list[str], int]:
        session = two_services[thread_index % 2]
        base = "first" if thread_index % 2 == 0 else "second"
        wrong = 0
        ids: list[str] = []
        barrier.wait()
        for i in range(RUNS_PER_THREAD):
            n = thread_index * RUNS_PER_THREAD + i
            out = session.run(runtime_params={"n": n, "nested": {"label": f"t{n}"}})
            ids.append(out["run_id"])
            expected = {
                "doubled": 2 * n,
                "label": f"t{n}",
                "base": base,
                "run_id": out["run_id"],
                "context_run_id": out["run_id"],
                "current_session_id": session.session_id,
                "run_session_id": session.session_id,
            }
            wrong += out != expected
        return ids, wrong

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))

    all_ids = [run_id for ids, _ in results for run_id in ids]
    assert sum(wrong for _, wrong in results) == 0
    assert len(all_ids) == THREADS * RUNS_PER_THREAD
    duplicates = [run_id for run_id, count in Counter(all_ids).items() if count > 1]
    assert duplicates == []
    for session in two_services:
        assert session.runs_in_flight == 0


def test_current_session_is_set_only_inside_a_run(
    two_services: tuple[drupe.ServiceSession, drupe.ServiceSession],
) -> None:
    first, _ = two_services
    first.run(runtime_params={"n": 1})
    seen: list[BaseException] = []

    def outside() -> None:
        try:
            drupe.get_current_session()
        except drupe.SessionError as exc:
            seen.append(exc)

    thread = threading.Thread(target=outside)
    thread.start()
    thread.join()
    assert len(seen) == 1


def test_arun_runs_off_the_event_loop_with_its_own_params(
    two_services: tuple[drupe.ServiceSession, drupe.ServiceSession],
) -> None:
    session, _ = two_services
    loop_thread: list[int] = []
    run_threads: set[int] = set()

    async def main() -> list[dict[str, Any]]:
        loop_thread.append(threading.get_ident())
        return await asyncio.gather(
            *(
                session.arun(runtime_params={"n": n, "nested": {"label": str(n)}})
                for n in range(200)
            )
        )

    # Record which thread executes each run through an after_run hook of our own.
    class ThreadSpy:
        @drupe.hookimpl
        def after_run(self) -> None:
            run_threads.add(threading.get_ident())

    session.plugin_manager.register(ThreadSpy())
    outputs = asyncio.run(main())
    assert [out["doubled"] for out in outputs] == [2 * n for n in range(200)]
    assert [out["label"] for out in outputs] == [str(n) for n in range(200)]
    assert len({out["run_id"] for out in outputs}) == 200
    assert loop_thread[0] not in run_threads


class BlockingParams(Mapping[str, Any]):
    """Runtime params whose first read waits until the session has started closing."""

    def __init__(self, session: drupe.ServiceSession, read: threading.Event) -> None:
        self._session = session
        self._read = read
        self._data = {"n": 7, "nested": {"label": "late"}}

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[str]:
        self._read.set()
        for _ in range(500):  # bounded: at most ~5 s
            if self._session.closed:
                break
            threading.Event().wait(0.01)
        return iter(self._data)


def test_close_waits_for_an_admitted_run_instead_of_failing_it(
    two_services: tuple[drupe.ServiceSession, drupe.ServiceSession],
) -> None:
    session, _ = two_services
    read = threading.Event()
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(session.run(runtime_params=BlockingParams(session, read)))
        except drupe.DrupeError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert read.wait(5)
    session.close(timeout=10)  # the run was admitted: close must wait for it, not fail it
    thread.join(10)
    assert len(outcome) == 1
    assert isinstance(outcome[0], dict), outcome[0]
    assert outcome[0]["doubled"] == 14
