"""``drupe serve --workers 2``: two processes on one port, one store, no answer mixed up.

64 clients x 50 requests, each with its own parameters: every answer must
be the one its request asked for, and every run recorded exactly once in
the one store, whichever worker ran it. Then a SIGTERM stops both workers
gracefully.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_helpers import expected_greeting

CLIENTS = 64
REQUESTS_PER_CLIENT = 50


@pytest.mark.slow(seconds=10)
def test_two_workers_answer_64_clients_correctly_and_record_every_run_once(
    start_server: Any,
) -> None:
    server = start_server("--workers", "2", "--worker-threads", "4", "--max-in-flight", "64")
    server.wait_workers(2)  # both accepting before the clients connect (keep-alive, one each)

    def client(index: int) -> tuple[int, list[tuple[str, str]]]:
        wrong = 0
        runs: list[tuple[str, str]] = []
        with server.load_client() as http:
            for i in range(REQUESTS_PER_CLIENT):
                name, times = f"c{index}-r{i}", i % 4
                status, body = http.post_json(
                    "/runs",
                    {
                        "node_names": ["greet", "shout"],
                        "runtime_params": {"name": name, "times": times},
                    },
                )
                ok = status == 200 and body["outputs"] == {
                    "loud_greeting": expected_greeting(name, times)
                }
                wrong += not ok
                runs.append((body.get("session_id", ""), body.get("run_id", "")))
        return wrong, runs

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))
    assert server.terminate_and_wait(60) == 0, server.log.read_text()

    assert sum(wrong for wrong, _ in results) == 0
    runs = [run for _, client_runs in results for run in client_runs]
    sessions = Counter(session_id for session_id, _ in runs)
    assert len(sessions) == 2  # both workers served
    recorded: Counter[str] = Counter()
    for session_id in sessions:
        stored = server.stored_session(session_id)
        assert stored["status"] == "closed"  # each worker stopped gracefully
        recorded.update(run["run_id"] for run in stored["runs"])
        assert {run["status"] for run in stored["runs"]} == {"succeeded"}
    assert set(recorded) == {run_id for _, run_id in runs}
    assert set(recorded.values()) == {1}
    assert len(recorded) == CLIENTS * REQUESTS_PER_CLIENT
    closes = [e for e in server.events() if e["event"] == "after_close"]
    assert len(closes) == 2


def test_a_second_signal_interrupts_the_runs_of_every_worker_and_fails(
    start_server: Any,
) -> None:
    server = start_server("--workers", "2")
    with ThreadPoolExecutor(1) as pool:

        def slow() -> Any:
            with server.client(timeout=60) as http:
                return http.post("/runs", json={"runtime_params": {"node_sleep": 5}})

        call = pool.submit(slow)
        wait_until(lambda: any(e["event"] == "before_run" for e in server.events()), "run starts")
        server.process.send_signal(signal.SIGTERM)
        # The idle worker stops; the busy one keeps serving, refusing new runs.
        wait_until(lambda: _health(server) == 503, "the busy worker is draining")
        server.process.send_signal(signal.SIGTERM)
        answer = call.result()
    assert server.process.wait(30) == 1
    assert answer.status_code == 503 and answer.json()["status"] == "interrupted"
    stored = server.stored_session(answer.json()["session_id"])
    assert {run["status"] for run in stored["runs"]} == {"interrupted"}


def _health(server: Any) -> int | None:
    try:
        return int(httpx.get(f"{server.base_url}/health", timeout=5).status_code)
    except httpx.TransportError:
        return None


def wait_until(predicate: Any, what: str, limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting until {what}")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_a_sigterm_to_every_process_at_once_is_still_one_graceful_stop(
    start_server: Any,
) -> None:
    # What systemd does by default: SIGTERM to the parent and to each worker.
    server = start_server("--workers", "2")
    workers = _children(server.process.pid)
    assert len(workers) == 2
    with ThreadPoolExecutor(1) as pool:

        def slow() -> Any:
            with server.client(timeout=60) as http:
                return http.post("/runs", json={"runtime_params": {"node_sleep": 1.5}})

        call = pool.submit(slow)
        wait_until(lambda: any(e["event"] == "before_run" for e in server.events()), "run starts")
        for pid in [server.process.pid, *workers]:
            os.kill(pid, signal.SIGTERM)
        answer = call.result()
    assert server.process.wait(30) == 0
    assert answer.status_code == 200  # finished, not interrupted


def test_a_stop_while_workers_are_still_starting_is_a_clean_stop(start_server: Any) -> None:
    # Ready means one worker answered: the other may still be opening its session.
    server = start_server("--workers", "2")
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(60) == 0, server.log.read_text()
