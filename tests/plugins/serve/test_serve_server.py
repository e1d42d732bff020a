"""`drupe serve` as users start it: a real uvicorn server on 127.0.0.1, real HTTP clients.

The server serves a copy of examples/hello with every bundled plugin; see
conftest.py. Loops are bounded; the whole module stays within seconds.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_helpers import expected_greeting, hello_copy

from drupe_serve.run_records import RUN_VIEW_FIELDS

CLIENTS = 32
#: From the first request on, 32 clients at once keep the 8 run threads busy with 24
#: requests waiting; more requests per client repeat the same contention for seconds of CPU.
REQUESTS_PER_CLIENT = 40


@pytest.mark.slow(seconds=6)
def test_32_concurrent_clients_get_only_their_own_answers(start_server: Any) -> None:
    server = start_server("--worker-threads", "8", "--max-in-flight", "64")
    session_id = httpx.get(f"{server.base_url}/health").json()["session_id"]

    def client(index: int) -> tuple[int, list[str]]:
        wrong = 0
        run_ids: list[str] = []
        with server.load_client() as http:
            for i in range(REQUESTS_PER_CLIENT):
                name, times = f"client{index}-request{i}", i % 5
                status, body = http.post_json(
                    "/runs",
                    {
                        "node_names": ["greet", "shout"],
                        "runtime_params": {"name": name, "times": times},
                    },
                )
                expected = {"loud_greeting": expected_greeting(name, times)}
                ok = status == 200 and body["outputs"] == expected
                wrong += not ok
                run_ids.append(body.get("run_id", ""))
        return wrong, run_ids

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))

    assert sum(wrong for wrong, _ in results) == 0
    run_ids = [run_id for _, ids in results for run_id in ids]
    assert len(set(run_ids)) == CLIENTS * REQUESTS_PER_CLIENT
    assert server.terminate_and_wait() in (0, -signal.SIGTERM)
    events = Counter(event["event"] for event in server.events())
    assert events["after_run"] == CLIENTS * REQUESTS_PER_CLIENT
    assert events["after_close"] == 1
    stored = server.stored_session(session_id)
    assert stored["status"] == "closed"
    assert {run["run_id"] for run in stored["runs"]} == set(run_ids)
    assert {run["status"] for run in stored["runs"]} == {"succeeded"}


@pytest.mark.slow(seconds=3)
def test_the_real_server_answers_each_error_status(start_server: Any) -> None:
    server = start_server("--worker-threads", "2", "--max-in-flight", "1")
    with server.client() as http:
        assert http.get("/pipelines").json() == {"pipelines": ["__default__", "greet"]}
        assert http.get("/health").json()["status"] == "ok"

        ok = http.post("/runs", json={"pipelines": ["greet"], "runtime_params": {"name": "Ann"}})
        assert ok.status_code == 200
        assert ok.json()["outputs"] == {"stats": {"characters": 13, "words": 2}}
        record = http.get(f"/runs/{ok.json()['run_id']}")
        assert record.status_code == 200
        assert record.json()["status"] == "succeeded"

        malformed = http.post("/runs", content=b"{", headers={"content-type": "application/json"})
        assert malformed.status_code == 400
        unknown_pipeline = http.post("/runs", json={"pipelines": ["nope"]})
        assert (unknown_pipeline.status_code, unknown_pipeline.json()["field"]) == (
            404,
            "pipelines",
        )
        assert http.get("/runs/no-such-run").status_code == 404
        wrong_type = http.post("/runs", json={"runtime_params": "x=1"})
        assert (wrong_type.status_code, wrong_type.json()["field"]) == (422, "runtime_params")
        unknown_field = http.post("/runs", json={"params": {}})
        assert (unknown_field.status_code, unknown_field.json()["field"]) == (422, "params")

        # shout() gets a string for times: the node fails; its message stays in the log.
        failed = http.post("/runs", json={"runtime_params": {"name": "s3cr3t", "times": "x"}})
        assert failed.status_code == 500
        assert failed.json()["error_type"] == "NodeError"
        assert failed.json()["run_id"]
        assert "s3cr3t" not in failed.text
        assert "multiply" not in failed.text
        assert "Traceback" not in failed.text

        # One run occupies the only slot; the next request is turned away with Retry-After.
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(http.post, "/runs", json={"runtime_params": {"sleep": 1.5}})
            for _ in range(300):  # bounded wait until the slow run is in flight
                if http.get("/health").json()["runs_in_flight"] == 1:
                    break
                time.sleep(0.01)
            busy = http.post("/runs", json={})
            assert busy.status_code == 503
            assert busy.headers["retry-after"] == "1"
            assert slow.result().status_code == 200
    assert server.terminate_and_wait() in (0, -signal.SIGTERM)
    # The secret stays in the server log, where an operator can find it by run id.
    assert failed.json()["run_id"] in server.log.read_text()


@pytest.mark.slow(seconds=2)
def test_sigterm_during_load_loses_no_accepted_run(start_server: Any) -> None:
    server = start_server("--worker-threads", "4", "--max-in-flight", "64")
    session_id = httpx.get(f"{server.base_url}/health").json()["session_id"]
    stop = threading.Event()
    lock = threading.Lock()
    accepted: list[tuple[str, Any, float]] = []  # (run_id, expected outputs, received at)
    wrong: list[Any] = []

    def client(index: int) -> None:
        with server.client() as http:
            for i in range(200):  # bounded; the server goes away long before
                if stop.is_set():
                    return
                name = f"c{index}r{i}"
                request = {
                    "node_names": ["greet", "shout"],
                    "runtime_params": {"name": name, "times": 1, "sleep": 0.05},
                }
                try:
                    response = http.post("/runs", json=request)
                except httpx.TransportError:
                    return  # the server stopped taking connections: never accepted
                if response.status_code == 200:
                    body = response.json()
                    expected = {"loud_greeting": expected_greeting(name, 1)}
                    if body["outputs"] != expected:
                        wrong.append(body)
                    with lock:
                        accepted.append((body["run_id"], expected, time.monotonic()))
                elif response.status_code != 503:
                    wrong.append((response.status_code, response.text))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for _ in range(300):  # bounded: wait for the load to be well under way
        with lock:
            if len(accepted) >= 40:
                break
        time.sleep(0.01)
    signalled_at = time.monotonic()
    returncode = server.terminate_and_wait()
    stop.set()
    for thread in threads:
        thread.join(30)

    assert returncode in (0, -signal.SIGTERM), server.log.read_text()
    assert wrong == []
    events = server.events()
    started = {e["run_id"] for e in events if e["event"] == "before_run"}
    finished = {e["run_id"]: e["outputs"] for e in events if e["event"] == "after_run"}
    # Every run that started finished, and every 200 a client got is recorded.
    assert started == set(finished)
    assert all(finished.get(run_id) == outputs for run_id, outputs, _ in accepted)
    # Runs in flight at SIGTERM were completed and answered, not cut off.
    assert any(received > signalled_at for _, _, received in accepted)
    # The session closed once, after the last run.
    assert [e["event"] for e in events].count("after_close") == 1
    assert events[-1]["event"] == "after_close"
    # The store agrees: the session is marked closed, every accepted run succeeded, none hangs.
    stored = server.stored_session(session_id)
    assert stored["status"] == "closed"
    statuses = {run["run_id"]: run["status"] for run in stored["runs"]}
    assert all(statuses.get(run_id) == "succeeded" for run_id, _, _ in accepted)
    assert "running" not in statuses.values()


def test_serve_without_the_extra_fails_with_one_line_and_help_still_works() -> None:
    hide = "import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None; "
    run = "from drupe.cli.main import main; main({argv})"
    serve = subprocess.run(
        [sys.executable, "-c", hide + run.format(argv=["-p", "no:pipeline", "serve"])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert serve.returncode == 1
    lines = serve.stderr.strip().splitlines()
    assert len(lines) == 1, serve.stderr
    assert "pip install 'drupe[serve]'" in lines[0]
    help_ = subprocess.run(
        [sys.executable, "-c", hide + run.format(argv=["--help"])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert help_.returncode == 0, help_.stderr
    assert "serve" in help_.stdout


def test_importing_the_plugin_does_not_import_the_web_stack() -> None:
    probe = (
        "import sys, drupe_serve; "
        "print(sorted(m for m in ('starlette', 'uvicorn') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_a_bad_selection_over_http_is_422_with_the_field_and_close_matches(
    start_server: Any,
) -> None:
    # --workers-threads is the spelling of issue 7: an accepted alias of --worker-threads.
    server = start_server("--workers-threads", "3")
    with server.client() as http:
        assert http.get("/health").json()["worker_threads"] == 3
        response = http.post("/runs", json={"node_names": ["gret"]})
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "node_names"
        assert "'greet'" in response.json()["error"]  # the close match
        two_fields = http.post("/runs", json={"node_names": ["greet"], "to_nodes": ["shot"]})
        assert (two_fields.status_code, two_fields.json()["field"]) == (422, "to_nodes")
        record = http.get(f"/runs/{response.json()['run_id']}").json()
        assert tuple(record) == RUN_VIEW_FIELDS
        assert record["status"] == "failed"
        # A selection that is fine still runs.
        ok = http.post("/runs", json={"node_names": ["greet", "shout"]})
        assert ok.status_code == 200
        stored = http.get(f"/runs/{ok.json()['run_id']}").json()
    assert tuple(stored) == RUN_VIEW_FIELDS
    assert stored["source"] == "store"
    assert stored["status"] == "succeeded"
    assert stored["finished_at"] >= stored["started_at"]
    assert isinstance(stored["duration_ms"], float)
    assert stored["error_type"] is None
    assert server.terminate_and_wait() in (0, -signal.SIGTERM)


def test_a_port_in_use_fails_with_one_line_and_opens_no_session(tmp_path: Path) -> None:
    project = hello_copy(tmp_path / "hello")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "drupe", "serve", "--port", str(port)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"Error: port {port} on 127.0.0.1 is already in use: choose another with --port"
    ]
    # Nothing was started, so nothing is left open: the store holds no session.
    from drupe_store import open_history

    with open_history(project) as history:
        assert history.store.list_sessions(limit=None) == []


def test_both_spellings_of_worker_threads_must_agree(tmp_path: Path) -> None:
    project = hello_copy(tmp_path / "hello")
    done = subprocess.run(
        [sys.executable, "-m", "drupe", "serve", "--worker-threads", "2", "--workers-threads", "3"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--worker-threads 2 and --workers-threads 3 disagree" in done.stderr
