"""The isolation guarantees again, through the real plugins: examples/hello in a ServiceSession.

Project discovery, settings, the YAML config loader with runtime parameters,
the pipeline engine and its runners, and the SQLite store all take part, as
in a service. A node hook checks, from inside node execution, that the node
sees this run's parameters and that ``get_current_session()`` is the session
running it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from serve_helpers import expected_greeting

import drupe

THREADS = 16
#: 16 threads on two sessions contend from the first run on; test_service_concurrency.py
#: does 500 runs a thread through the kernel alone, where a run costs a tenth of this one.
RUNS_PER_THREAD = 150


class NodeWitness:
    """Checks, before each node, the parameters it receives and the current session."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.expected: dict[str, str] = {}  # run id -> the name this run was given
        self.problems: list[str] = []
        self.nodes_seen = 0

    @drupe.hookimpl(optionalhook=True)
    def before_node_run(self, inputs: Mapping[str, Any], run_id: str, session_id: str) -> None:
        current = drupe.get_current_session().session_id
        with self.lock:
            self.nodes_seen += 1
            if current != session_id:
                self.problems.append(f"{run_id}: current session {current} != {session_id}")
            name = inputs.get("params:name")
            if name is not None and name != self.expected.get(run_id):
                self.problems.append(f"{run_id}: node saw name {name!r}")


@pytest.fixture
def services(hello_project: Path) -> Iterator[tuple[list[drupe.ServiceSession], NodeWitness]]:
    witness = NodeWitness()
    sessions = [
        drupe.ServiceSession.create(project_path=hello_project, plugins=[witness]) for _ in range(2)
    ]
    yield sessions, witness
    for session in sessions:
        session.close()


@pytest.mark.slow(seconds=5)
def test_concurrent_hello_runs_are_isolated_and_ids_unique(
    services: tuple[list[drupe.ServiceSession], NodeWitness],
) -> None:
    sessions, witness = services
    barrier = threading.Barrier(THREADS)

    def worker(index: int) -> tuple[int, list[str]]:
        session = sessions[index % 2]
        runner = "thread" if index % 4 < 2 else "sequential"
        wrong = 0
        ids: list[str] = []
        barrier.wait()
        for i in range(RUNS_PER_THREAD):
            name, times = f"t{index}-r{i}", i % 4
            run_id = drupe.new_id()
            with witness.lock:
                witness.expected[run_id] = name
            outputs = session.run(
                node_names=["greet", "shout"],
                runner=runner,
                run_id=run_id,
                runtime_params={"name": name, "times": times},
            )
            wrong += outputs != {"loud_greeting": expected_greeting(name, times)}
            ids.append(run_id)
        return wrong, ids

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))

    assert sum(wrong for wrong, _ in results) == 0
    assert witness.problems == []
    assert witness.nodes_seen == 2 * THREADS * RUNS_PER_THREAD
    all_ids = [run_id for _, ids in results for run_id in ids]
    assert [i for i, n in Counter(all_ids).items() if n > 1] == []
    # The store recorded every run of each session, each exactly once.
    for session in sessions:
        assert session.store is not None
        runs = session.store.get_session(session.session_id)["runs"]  # type: ignore[index]
        assert len(runs) == len({run["run_id"] for run in runs}) == THREADS // 2 * RUNS_PER_THREAD
