"""Stopping `drupe serve` loses no accepted run: real server, real signals, real store.

Runs are made slow inside the pipeline (the test plugin sleeps after the
``greet`` node when ``runtime_params.node_sleep`` asks), a few seconds at
most, so each scenario stays short. Every scenario checks the three things
an operator relies on: what each waiting client got, what the store
recorded for every accepted run, and how the process ended.
"""

from __future__ import annotations

import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from serve_helpers import expected_greeting


def _post(server: Any, name: str, node_sleep: float, **extra: Any) -> httpx.Response:
    with server.client(timeout=60) as http:
        return http.post(
            "/runs",
            json={
                "node_names": ["greet", "shout"],
                "runtime_params": {"name": name, "times": 1, "node_sleep": node_sleep},
                **extra,
            },
        )


def _wait_until(predicate: Any, what: str, limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting until {what}")


def _in_flight(server: Any) -> int:
    return int(httpx.get(f"{server.base_url}/health", timeout=5).json()["runs_in_flight"])


def _stored_runs(server: Any, session_id: str) -> dict[str, dict[str, Any]]:
    return {run["run_id"]: run for run in server.stored_session(session_id)["runs"]}


@pytest.mark.slow(seconds=5)
def test_sigterm_finishes_running_and_queued_runs_and_answers_every_client(
    start_server: Any,
) -> None:
    # Two threads: two runs running, one queued behind them, when SIGTERM arrives.
    server = start_server("--worker-threads", "2", "--graceful-timeout", "30")
    session_id = httpx.get(f"{server.base_url}/health").json()["session_id"]
    with ThreadPoolExecutor(3) as pool:
        names = ["first", "second", "queued"]
        calls: list[Future[httpx.Response]] = [pool.submit(_post, server, n, 1.5) for n in names]
        _wait_until(lambda: _in_flight(server) == 3, "three runs are accepted")
        server.process.send_signal(signal.SIGTERM)
        # Stopping: new runs are refused with Retry-After, /health says so too.
        _wait_until(
            lambda: httpx.get(f"{server.base_url}/health", timeout=5).status_code == 503,
            "health reports the stop",
        )
        with server.client() as http:
            refused = http.post("/runs", json={})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"] == "application/json"
        answers = [call.result() for call in calls]
    assert server.process.wait(30) == 0, server.log.read_text()
    for name, answer in zip(names, answers, strict=True):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["outputs"] == {"loud_greeting": expected_greeting(name, 1)}
    runs = _stored_runs(server, session_id)
    assert {answer.json()["run_id"] for answer in answers} <= set(runs)
    assert {runs[a.json()["run_id"]]["status"] for a in answers} == {"succeeded"}
    assert server.stored_session(session_id)["status"] == "closed"


def test_graceful_timeout_records_cut_off_runs_as_interrupted_and_tells_their_clients(
    start_server: Any,
) -> None:
    # One thread: one run in its node, one queued; neither can finish in 1 s.
    server = start_server("--worker-threads", "1", "--graceful-timeout", "1")
    session_id = httpx.get(f"{server.base_url}/health").json()["session_id"]
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(_post, server, "long", 4)
        _wait_until(lambda: _in_flight(server) == 1, "the first run is accepted")
        queued = pool.submit(_post, server, "waiting", 4)
        _wait_until(lambda: _in_flight(server) == 2, "the second run is queued")
        server.process.send_signal(signal.SIGTERM)
        answers = [running.result(), queued.result()]
    status = server.process.wait(30)
    assert status == 1, server.log.read_text()  # runs were cut off: not a clean stop
    # It did not wait for the runs: the one in its node never finished.
    ended = {e["run_id"] for e in server.events() if e["event"] in ("after_run", "on_run_error")}
    assert not ended & {answer.json()["run_id"] for answer in answers}
    for answer in answers:
        assert answer.status_code == 503
        body = answer.json()
        assert body["status"] == "interrupted"
        assert "--graceful-timeout of 1 s" in body["error"]
    runs = _stored_runs(server, session_id)
    for answer in answers:
        record = runs[answer.json()["run_id"]]
        assert record["status"] == "interrupted"
        assert "--graceful-timeout of 1 s" in record["error"]["message"]
    # The queued run never started: no node ran for it.
    started = {e["run_id"] for e in server.events() if e["event"] == "before_run"}
    assert answers[1].json()["run_id"] not in started


def test_a_second_signal_interrupts_at_once_and_exits_non_zero(start_server: Any) -> None:
    server = start_server("--worker-threads", "1")  # no graceful timeout: would wait forever
    session_id = httpx.get(f"{server.base_url}/health").json()["session_id"]
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(_post, server, "slow", 5)
        _wait_until(lambda: _in_flight(server) == 1, "the run is accepted")
        server.process.send_signal(signal.SIGINT)
        _wait_until(
            lambda: httpx.get(f"{server.base_url}/health", timeout=5).status_code == 503,
            "the first signal is taken",
        )
        server.process.send_signal(signal.SIGINT)
        answer = call.result()
    assert server.process.wait(30) == 1
    assert answer.status_code == 503
    assert answer.json()["status"] == "interrupted"
    assert "second SIGINT" in answer.json()["error"]
    record = _stored_runs(server, session_id)[answer.json()["run_id"]]
    assert record["status"] == "interrupted"


@pytest.mark.slow(seconds=5)
def test_a_run_past_its_timeout_fails_as_timed_out(start_server: Any) -> None:
    server = start_server("--worker-threads", "2", "--run-timeout", "30")
    session_id = httpx.get(f"{server.base_url}/health").json()["session_id"]
    # The body asks for less than the server's limit: its own limit applies.
    answer = _post(server, "late", 3, timeout=0.5)
    assert answer.status_code == 504
    body = answer.json()
    assert (body["status"], body["error_type"], body["field"]) == (
        "failed",
        "RunTimeout",
        "timeout",
    )
    run_id = body["run_id"]
    with server.client() as http:
        view = http.get(f"/runs/{run_id}").json()
    assert (view["status"], view["error_type"]) == ("failed", "RunTimeout")

    # The run itself ends at its next node boundary, failed with RunTimeout, not succeeded.
    def ended() -> bool:
        return any(
            e.get("run_id") == run_id and e["event"] == "on_run_error" for e in server.events()
        )

    _wait_until(ended, "the timed-out run ends")
    assert not any(e.get("run_id") == run_id and e["event"] == "after_run" for e in server.events())
    record = _stored_runs(server, session_id)[run_id]
    assert record["status"] == "failed"
    assert record["error"]["type"].endswith("RunTimeout")
    # A quick run within the limit is untouched.
    assert _post(server, "quick", 0, timeout=20).status_code == 200
    assert server.terminate_and_wait() == 0


@pytest.mark.slow(seconds=5)
def test_a_body_timeout_above_the_servers_is_capped(start_server: Any) -> None:
    server = start_server("--run-timeout", "0.5")
    answer = _post(server, "late", 3, timeout=600)
    assert answer.status_code == 504
    assert "0.5 s" in answer.json()["error"]
    assert server.terminate_and_wait() == 0


@pytest.mark.slow(seconds=3)
def test_run_records_and_listings_answer_while_every_run_thread_is_busy(
    start_server: Any,
) -> None:
    server = start_server("--worker-threads", "1")
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(_post, server, "busy", 2, run_id="busy-run")
        _wait_until(lambda: _in_flight(server) == 1, "the run is accepted")
        with server.client() as http:
            view = http.get("/runs/busy-run")
            listing = http.get("/pipelines")
            duplicate = http.post("/runs", json={"run_id": "busy-run"})
        # Answered while the only run thread is still busy with the run.
        assert not call.done()
        assert view.status_code == 200 and view.json()["status"] == "running"
        assert listing.status_code == 200
        assert duplicate.status_code == 409 and duplicate.json()["field"] == "run_id"
        assert call.result().status_code == 200
    with server.client() as http:
        again = http.post("/runs", json={"run_id": "busy-run"})
    assert again.status_code == 409  # used before: the store has it
    assert server.terminate_and_wait() == 0
