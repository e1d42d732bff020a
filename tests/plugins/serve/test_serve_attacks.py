"""`drupe serve` tried as an attacker would: every attack fails, and none is a 500.

A real server on 127.0.0.1 and real HTTP (raw sockets where a client
library would not misbehave on purpose). Loops are bounded. Attacks that
need no option of their own share one server (`shared_server`), as the
attacks on a real server would: each checks that it started no run by
counting the runs started before and after it.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_helpers import AUTH, TOKEN, ServerProcess, free_port, hello_copy, servers


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server with the default options for the attacks of this module that need no other."""
    with servers(tmp_path_factory.mktemp("shared-server")) as start:
        yield start()


def runs_started(server: ServerProcess) -> int:
    return sum(e["event"] == "before_run" for e in server.events())


def test_every_endpoint_but_health_wants_the_token(shared_server: ServerProcess) -> None:
    server = shared_server
    started = runs_started(server)
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        assert http.get("/health").status_code == 200  # load balancers probe it
        for method, path in [("POST", "/runs"), ("GET", "/runs/x"), ("GET", "/pipelines")]:
            for headers in [
                {},
                {"Authorization": "Bearer wrong-token-000000000"},
                {
                    "Authorization": TOKEN  # no scheme
                },
            ]:
                response = http.request(method, path, headers=headers, json={})
                assert response.status_code == 401, (method, path, headers)
                assert response.json() == {"error": "unauthorized"}  # no detail
                assert response.headers["www-authenticate"] == "Bearer"
        assert http.get("/pipelines", headers=AUTH).status_code == 200
    # Nothing ran.
    assert runs_started(server) == started


def test_cross_site_requests_and_foreign_hosts_are_refused(start_server: Any) -> None:
    server = start_server("--allow-origin", "https://ui.example", "--allow-host", "drupe.internal")
    body = json.dumps({"runtime_params": {"name": "x"}})
    with server.client() as http:
        # What a web page can send without a preflight: text/plain, from its own origin.
        plain = http.post(
            "/runs",
            content=body,
            headers={"content-type": "text/plain", "origin": "https://evil.example"},
        )
        assert plain.status_code == 403  # the Origin is checked first
        plain_same_origin = http.post("/runs", content=body, headers={"content-type": "text/plain"})
        assert plain_same_origin.status_code == 415
        assert plain_same_origin.json()["field"] == "content-type"
        form = http.post("/runs", data={"a": "1"})
        assert form.status_code == 415
        evil = http.post("/runs", json={}, headers={"origin": "https://evil.example"})
        assert evil.status_code == 403 and "error" in evil.json()
        assert (
            http.post("/runs", json={}, headers={"origin": "https://ui.example"}).status_code == 200
        )
        # DNS rebinding: the attacker's name in Host.
        rebound = http.get("/pipelines", headers={"host": f"attacker.example:{server.port}"})
        assert rebound.status_code == 403
        assert http.get("/pipelines", headers={"host": "drupe.internal"}).status_code == 200
        assert (
            http.get("/pipelines", headers={"host": f"localhost:{server.port}"}).status_code == 200
        )
    # The one run that happened is the one from the allowed origin.
    assert [e["event"] for e in server.events()].count("before_run") == 1


def _raw(port: int, payload: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(payload)
    return sock


@pytest.mark.slow(seconds=3)
def test_stalled_connections_are_closed_by_the_header_and_body_timeouts(start_server: Any) -> None:
    server = start_server("--header-timeout", "1", "--body-timeout", "1")
    stalled = [_raw(server.port, b"") for _ in range(100)]
    stalled += [
        _raw(server.port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n") for _ in range(100)
    ]
    try:
        # Each one is closed by the server (EOF), none answered.
        for sock in stalled:
            assert sock.recv(1024) == b""
        # A body that never completes: 408, JSON, naming the body.
        head = (
            f"POST /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
            f'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"a"'
        ).encode()
        slow_body = _raw(server.port, head)
        answer = b""
        while b'"}' not in answer:  # the head and the body may come in two segments
            chunk = slow_body.recv(4096)
            if not chunk:
                break
            answer += chunk
        slow_body.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b'"field":"body"' in answer
    finally:
        for sock in stalled:
            sock.close()
    # The server still serves.
    with server.client() as http:
        assert http.get("/pipelines").status_code == 200


def _nested(depth: int) -> str:
    return '{"x": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    ("raw", "status", "field"),
    [
        ('{"runtime_params": {}}', 200, None),
        ('{"runtime_params": ' + _nested(700) + "}", 422, "runtime_params"),
        ('{"runtime_params": {"n": ' + "9" * 5000 + "}}", 422, "runtime_params"),
        ('{"runtime_params": {"a.": 1}}', 422, "runtime_params"),
        ('{"runtime_params": {"": 1}}', 422, "runtime_params"),
        (
            json.dumps({"runtime_params": {f"p{i}": i for i in range(20_000)}}),
            422,
            "runtime_params",
        ),
        ('{"load_versions": {"nope": "2026"}}', 422, "load_versions"),
        (json.dumps({"tags": [str(i) for i in range(20_000)]}), 422, "tags"),
        ('{"timeout": -1}', 422, "timeout"),
        ('{"runtime_params": "x"}', 422, "runtime_params"),
        ("12" + "3" * 5000, 422, None),
        ('{"a": 1', 400, None),
    ],
)
def test_hostile_bodies_are_4xx_naming_the_field(
    shared_server: ServerProcess, raw: str, status: int, field: str | None
) -> None:
    server = shared_server
    started = runs_started(server)
    with server.client() as http:
        response = http.post("/runs", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    if field is not None:
        assert response.json()["field"] == field
    # Refused before anything ran.
    ran = runs_started(server) - started
    assert ran == (1 if status == 200 else 0) or field == "load_versions"


def test_nesting_too_deep_for_the_parser_is_422_too(shared_server: ServerProcess) -> None:
    server = shared_server
    with server.client() as http:
        for raw in [
            b'{"runtime_params": {"a": ' + b"[" * 200_000 + b"]" * 200_000 + b"}}",
            b"[" * 500_000,
        ]:
            response = http.post("/runs", content=raw, headers={"content-type": "application/json"})
            assert response.status_code in (400, 422), response.text
            assert response.headers["content-type"] == "application/json"
        deep = http.post(
            "/runs",
            content=b'{"runtime_params": {"a": ' + b"[" * 200_000 + b"]" * 200_000 + b"}}",
            headers={"content-type": "application/json"},
        )
        assert deep.json()["field"] == "runtime_params"


def test_runtime_params_cannot_steer_a_dataset_outside_the_project(
    start_server: Any, tmp_path: Path
) -> None:
    project = tmp_path / "hello"
    (project / "conf" / "base" / "catalog.yml").write_text(
        "loud_greeting:\n"
        "  type: JSONDataset\n"
        "  filepath: data/${runtime_params:folder, out}/out.json\n"
        "stats:\n"
        "  type: PickleDataset\n"
        "  filepath: data/${runtime_params:pickles, p}/stats.pkl\n",
        encoding="utf-8",
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    server = start_server()
    with server.client() as http:
        escape = http.post(
            "/runs",
            json={
                "node_names": ["greet", "shout"],
                "runtime_params": {"folder": "../../elsewhere/x"},
            },
        )
        assert escape.status_code == 422, escape.text
        assert escape.json()["field"] == "runtime_params"
        assert "loud_greeting" in escape.json()["error"]
        assert str(outside / "x" / "out.json") in escape.json()["error"]
        pickle = http.post("/runs", json={"runtime_params": {"pickles": "attacker"}})
        assert pickle.status_code == 422
        assert "PickleDataset" in pickle.json()["error"]
        fine = http.post("/runs", json={"node_names": ["greet", "shout"]})
        assert fine.status_code == 200, fine.text
        unversioned = http.post("/runs", json={"load_versions": {"loud_greeting": "v1"}})
        assert unversioned.status_code == 422, unversioned.text
        assert unversioned.json()["field"] == "load_versions"
    assert list(outside.iterdir()) == []
    assert not (project / "data" / "attacker").exists()
    assert (project / "data" / "out" / "out.json").is_file()


def test_a_run_id_given_twice_at_once_runs_once(start_server: Any) -> None:
    server = start_server("--worker-threads", "4")

    def post(_: int) -> int:
        with server.client() as http:
            return http.post(
                "/runs", json={"run_id": "twice", "runtime_params": {"node_sleep": 0.5}}
            ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(post, range(8)))
    assert statuses == [200] + [409] * 7
    assert [e["run_id"] for e in server.events() if e["event"] == "before_run"] == ["twice"]


def _serve(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "drupe", "serve", "--log-level", "warning", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_without_a_token_it_refuses_a_public_address(tmp_path: Path) -> None:
    project = hello_copy(tmp_path / "hello")
    env = {k: v for k, v in os.environ.items() if k != "DRUPE_SERVE_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "drupe", "serve", "--host", "0.0.0.0", "--port", "0"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "--token-file" in done.stderr and "DRUPE_SERVE_TOKEN" in done.stderr


def test_on_loopback_a_token_is_generated_printed_once_and_kept_private(tmp_path: Path) -> None:
    project = hello_copy(tmp_path / "hello")
    env = {k: v for k, v in os.environ.items() if k != "DRUPE_SERVE_TOKEN"}
    port = free_port()
    process = _serve(["--port", str(port)], project, env)
    try:
        token_file = project / ".drupe" / "serve-token"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        token = token_file.read_text().strip()
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"http://127.0.0.1:{port}/pipelines", headers=auth).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/pipelines").status_code == 401
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert stderr.count(token) == 1


def test_a_token_file_is_used_and_a_bad_one_is_one_line(tmp_path: Path) -> None:
    project = hello_copy(tmp_path / "hello")
    short = tmp_path / "short"
    short.write_text("abc\n")
    done = subprocess.run(
        [sys.executable, "-m", "drupe", "serve", "--port", "0", "--token-file", str(short)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "at least 16" in done.stderr and done.stderr.strip().count("\n") == 0
