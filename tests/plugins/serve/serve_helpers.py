"""Helpers for the serve tests: a copy of examples/hello, and `drupe serve` running it.

The server runs exactly as a user starts it: the ``drupe`` console script in
a subprocess, on 127.0.0.1 and a free port, serving a temporary copy of the
hello example with every bundled plugin (project, settings, config,
pipeline, store). One more plugin distribution is written here (a
``.dist-info`` folder on ``PYTHONPATH`` registers it in the ``drupe.plugins``
group, as ``pip install`` would): it makes a run slow when asked
(``runtime_params.sleep``) and writes every run it starts and finishes to a
witness file, so a test can check, after the process is gone, that no
accepted run was lost.

In the copy, the catalog is emptied so that ``loud_greeting`` (the output of
the ``shout`` node) is a free output: a request selecting
``node_names=["greet", "shout"]`` gets back a string built from its own
parameters, which makes a response given to the wrong client visible.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

PLUGIN_MODULE = '''
"""A third-party-style plugin for the serve tests: slow runs on request, and a witness file."""

import http.client
import json
import os
import select
import threading
import time

import drupe

_lock = threading.Lock()


def _witness(event, **fields):
    path = os.environ.get("SERVE_WITNESS")
    if path:
        with _lock, open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"event": event, **fields}) + "\\n")


_node_sleeps = {}


@drupe.hookimpl
def before_run(run):
    _witness("before_run", run_id=run.run_id)
    delay = run.runtime_params.get("sleep")
    if delay:
        time.sleep(delay)
    node_sleep = run.runtime_params.get("node_sleep")
    if node_sleep:
        with _lock:
            _node_sleeps[run.run_id] = node_sleep


@drupe.hookimpl
def after_node_run(node, run_id):
    # Inside the run, after its node: the run is "in a node" for this long.
    with _lock:
        delay = _node_sleeps.get(run_id)
    if delay and node.name == "greet":
        time.sleep(delay)


@drupe.hookimpl
def after_run(run, result):
    _witness("after_run", run_id=run.run_id, outputs=result)


@drupe.hookimpl
def on_run_error(run, error):
    _witness("on_run_error", run_id=run.run_id, error=type(error).__name__)


@drupe.hookimpl
def after_close(session):
    _witness("after_close", session_id=session.session_id)
'''


def install_test_plugin(site: Path) -> Path:
    """Write the plugin module and a dist-info registering it, as an installed distribution."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "serve_test_plugin.py").write_text(textwrap.dedent(PLUGIN_MODULE), encoding="utf-8")
    dist = site / "serve_test_plugin-0.1.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: serve-test-plugin\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[drupe.plugins]\nserve_test = serve_test_plugin\n", encoding="utf-8"
    )
    return site


HELLO = Path(__file__).resolve().parents[3] / "examples" / "hello"


def hello_copy(target: Path) -> Path:
    """A fresh copy of examples/hello whose ``loud_greeting`` is a free output."""
    shutil.copytree(HELLO, target, ignore=shutil.ignore_patterns(".drupe", "__pycache__"))
    (target / "conf" / "base" / "catalog.yml").write_text("{}\n", encoding="utf-8")
    return target


def expected_greeting(name: str, times: int) -> str:
    """What hello's greet and shout nodes make of these parameters."""
    return f"Hello, {name}".upper() + "!" * times


@pytest.fixture
def hello_project(tmp_path: Path) -> Path:
    return hello_copy(tmp_path / "hello")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: The bearer token the test servers require (given as DRUPE_SERVE_TOKEN).
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class ServerProcess:
    """A ``drupe serve`` subprocess and what a test needs to talk to it."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        port: int,
        witness: Path,
        log: Path,
        project: Path,
    ) -> None:
        self.process = process
        self.project = project
        self.log = log
        self.port = port
        self.witness = witness
        self.base_url = f"http://127.0.0.1:{port}"

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"drupe serve exited with {self.process.returncode}:\n{self.log.read_text()}"
                )
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError("drupe serve did not answer /health in time")

    def wait_workers(self, count: int, timeout: float = 30.0) -> None:
        """Wait until ``count`` workers answer ``/health`` (each has its own session).

        `wait_ready` returns at the first answer, from whichever worker was
        up first; a burst of clients sent then could all be accepted by it.
        Each request here opens a new connection, which any worker may take.
        """
        seen: set[str] = set()
        deadline = time.monotonic() + timeout
        while len(seen) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(seen)} of {count} workers answered /health")
            with contextlib.suppress(httpx.TransportError):
                answer = httpx.get(f"{self.base_url}/health", timeout=1)
                if answer.status_code == 200:
                    seen.add(answer.json()["session_id"])
            time.sleep(0.01)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client of this server that sends the token."""
        return httpx.Client(base_url=self.base_url, headers=AUTH, **{"timeout": 30, **kwargs})

    def load_client(self) -> LoadClient:
        """A lean client for tests that send thousands of requests (see `LoadClient`)."""
        return LoadClient(self.port)

    def terminate_and_wait(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stored_session(self, session_id: str) -> Mapping[str, Any]:
        """The session's record in the project's store (drupe_store), with its runs."""
        from drupe_store import open_history

        with open_history(self.project) as history:
            return history.get_session(session_id)

    def events(self) -> list[dict[str, Any]]:
        if not self.witness.exists():
            return []
        return [json.loads(line) for line in self.witness.read_text().splitlines() if line]


class LoadClient:
    """POSTs JSON over one keep-alive HTTP/1.1 connection (the standard library's http.client).

    The load tests send thousands of requests from many threads of the test
    process; httpx spends about 1.5 ms of CPU on each, four times what this
    costs, and more than the server spends on the run. Same wire protocol,
    same server: the answers checked are the server's.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self._connection: http.client.HTTPConnection | None = None

    def post_json(self, path: str, body: Any) -> tuple[int, Any]:
        """``(status, parsed JSON body)`` of one request."""
        connection = self._open()
        connection.request(
            "POST",
            path,
            body=json.dumps(body).encode("utf-8"),
            headers={**AUTH, "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())

    def _open(self) -> http.client.HTTPConnection:
        connection = self._connection
        if connection is not None and connection.sock is not None:
            readable, _, _ = select.select([connection.sock], [], [], 0)
            if readable:  # the server closed the idle connection: open another, as httpx does
                self.close()
        if self._connection is None:
            self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> LoadClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextlib.contextmanager
def servers(folder: Path) -> Iterator[Any]:
    """``start(*serve_args)`` returns a ready `ServerProcess` serving a hello copy in ``folder``.

    Every server started is killed when the block ends, if still running.
    """
    started: list[ServerProcess] = []
    site = install_test_plugin(folder / "site")
    project = hello_copy(folder / "hello")

    def start(*serve_args: str, extra_env: Mapping[str, str] = {}) -> ServerProcess:
        port = free_port()
        witness = folder / f"witness-{port}.jsonl"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
            "SERVE_WITNESS": str(witness),
            "PYTHONDONTWRITEBYTECODE": "1",
            "DRUPE_SERVE_TOKEN": TOKEN,
            **extra_env,
        }
        command = [
            sys.executable,
            "-m",
            "drupe",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        log = folder / f"server-{port}.log"
        with log.open("w") as output:  # a file, not a pipe: a chatty server never blocks
            process = subprocess.Popen(
                [*command, *serve_args], cwd=project, env=env, stdout=output, stderr=output
            )
        server = ServerProcess(process, port, witness, log, project)
        started.append(server)
        server.wait_ready()
        return server

    try:
        yield start
    finally:
        for server in started:
            if server.process.poll() is None:
                server.process.kill()
                server.process.wait(10)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Any]:
    """Factory: ``start_server(*serve_args)`` returns a ready `ServerProcess` of this test."""
    with servers(tmp_path) as start:
        yield start
