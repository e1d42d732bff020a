"""The HTTP API of drupe_serve, in process: every status a client can get, and why.

The app is the real Starlette app around a real ServiceSession; requests go
through httpx's ASGI transport (the real-server tests are in
test_serve_server.py).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import drupe
import drupe_serve
from drupe.testing import FunctionExecutor, HookRecorder, StaticConfig
from drupe_pipeline import PipelinePlugin

BASE = "http://serve.test"


def compute(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
    params = context.params
    if params.get("fail"):
        raise ValueError("could not connect to postgres://admin:hunter2@db/prod")
    gate = params.get("gate")
    if gate is not None:
        GATES[gate].wait(10)
    return {"total": params["a"] + params["b"], "echo": params.get("echo"), "handle": object()}


GATES: dict[str, threading.Event] = {}


@pytest.fixture
def service() -> Iterator[drupe.ServiceSession]:
    session = drupe.ServiceSession.create(
        # The stand-in executor answers execute_run first; the pipeline plugin's
        # selection rules (validate_selection) check the request as in production.
        plugins=[
            PipelinePlugin,
            StaticConfig({"parameters": {"a": 1, "b": 2}}),
            FunctionExecutor(compute),
        ],
        entry_points=False,
    )
    yield session
    session.close()


def call(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def test_post_runs_returns_outputs_and_names_what_json_cannot_hold(
    service: drupe.ServiceSession,
) -> None:
    app = drupe_serve.create_app(service)
    response = call(app, "POST", "/runs", json={"runtime_params": {"a": 40, "echo": "hi"}})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["session_id"] == service.session_id
    assert body["outputs"] == {"total": 42, "echo": "hi"}
    assert body["unserialisable_outputs"] == {"handle": "object"}
    assert isinstance(body["duration_ms"], float)
    assert body["duration_ms"] >= 0


def test_a_given_run_id_is_used_and_can_be_looked_up(service: drupe.ServiceSession) -> None:
    app = drupe_serve.create_app(service)
    response = call(app, "POST", "/runs", json={"run_id": "order-17", "pipelines": ["__default__"]})
    assert response.status_code == 200
    assert response.json()["run_id"] == "order-17"
    record = call(app, "GET", "/runs/order-17")
    assert record.status_code == 200
    assert record.json()["status"] == "succeeded"
    assert record.json()["pipelines"] == ["__default__"]
    again = call(app, "POST", "/runs", json={"run_id": "order-17"})
    assert again.status_code == 409
    assert again.json()["field"] == "run_id"


def test_an_unknown_run_id_is_404(service: drupe.ServiceSession) -> None:
    app = drupe_serve.create_app(service)
    for run_id in ("2026-01-01T00.00.00.000000Z-0000000000", "not an id!"):
        response = call(app, "GET", f"/runs/{run_id}")
        assert response.status_code == 404
        assert "unknown run id" in response.json()["error"]


def test_malformed_json_is_400(service: drupe.ServiceSession) -> None:
    app = drupe_serve.create_app(service)
    response = call(
        app,
        "POST",
        "/runs",
        content=b'{"pipelines": [',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"tags": 3}, "tags", "list of names"),
        ({"node_names": ["a", 2]}, "node_names", "node_names[1]"),
        ({"runtime_params": [1, 2]}, "runtime_params", "object"),
        ({"load_versions": {"model": 3}}, "load_versions.model", "version string"),
        ({"only_missing_outputs": "yes"}, "only_missing_outputs", "true or false"),
        ({"runner": "my_package.runners.EvilRunner"}, "runner", "not allowed"),
        ({"run_id": "../../x"}, "run_id", "run_id"),
        ({"pipeline": ["__default__"]}, "pipeline", "unknown run selection 'pipeline'"),
    ],
)
def test_wrong_types_and_unknown_fields_are_422_naming_the_field(
    service: drupe.ServiceSession, body: dict[str, Any], field: str, words: str
) -> None:
    app = drupe_serve.create_app(service)
    response = call(app, "POST", "/runs", json=body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert words in response.json()["error"]


def test_a_body_that_is_not_an_object_is_422(service: drupe.ServiceSession) -> None:
    app = drupe_serve.create_app(service)
    response = call(app, "POST", "/runs", json=["__default__"])
    assert response.status_code == 422
    assert "JSON object" in response.json()["error"]


def test_an_oversized_body_is_413(service: drupe.ServiceSession) -> None:
    app = drupe_serve.create_app(service)
    response = call(app, "POST", "/runs", json={"runtime_params": {"blob": "x" * (2 << 20)}})
    assert response.status_code == 413


def test_an_unknown_pipeline_is_404_and_pipelines_are_listed(
    service: drupe.ServiceSession,
) -> None:
    app = drupe_serve.create_app(service, pipelines=["__default__", "training"])
    response = call(app, "POST", "/runs", json={"pipelines": ["training", "trainig"]})
    assert response.status_code == 404
    assert response.json()["field"] == "pipelines"
    assert "'trainig'" in response.json()["error"]
    listed = call(app, "GET", "/pipelines")
    assert listed.json() == {"pipelines": ["__default__", "training"]}


def test_pipeline_names_come_from_the_projects_registry(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(
        "serve_registry_demo",
        files={
            "src/serve_registry_demo/pipeline_registry.py": """
                from drupe_pipeline import Pipeline

                def register_pipelines():
                    empty = Pipeline([])
                    return {"__default__": empty, "ingest": empty, "report": empty}
            """
        },
    )
    monkeypatch.syspath_prepend(str(root / "src"))

    class ThisProject:
        @drupe.hookimpl
        def find_project(self) -> drupe.Project:
            return drupe.Project(
                package_name="serve_registry_demo", root=root, source_dir=root / "src"
            )

    session = drupe.ServiceSession.create(
        plugins=[
            PipelinePlugin,  # answers register_pipelines from the project's registry
            ThisProject(),
            StaticConfig({"parameters": {"a": 1, "b": 2}}),
            FunctionExecutor(compute),
        ],
        entry_points=False,
    )
    try:
        app = drupe_serve.create_app(session)
        assert call(app, "GET", "/pipelines").json() == {
            "pipelines": ["__default__", "ingest", "report"]
        }
        assert call(app, "POST", "/runs", json={"pipelines": "ingest"}).status_code == 200
        assert call(app, "POST", "/runs", json={"pipelines": "nope"}).status_code == 404
    finally:
        session.close()


def test_a_failing_run_is_500_with_run_id_and_type_but_no_secret_or_traceback(
    service: drupe.ServiceSession, caplog: pytest.LogCaptureFixture
) -> None:
    app = drupe_serve.create_app(service)
    response = call(app, "POST", "/runs", json={"runtime_params": {"fail": True}})
    assert response.status_code == 500
    body = response.json()
    assert body["error_type"] == "ValueError"
    assert body["status"] == "failed"
    assert body["run_id"]
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    # The operator finds the details in the log, under the run id.
    assert any(body["run_id"] in record.getMessage() for record in caplog.records)
    record = call(app, "GET", f"/runs/{body['run_id']}").json()
    assert record["status"] == "failed"
    assert record["error_type"] == "ValueError"


def test_beyond_max_in_flight_is_503_with_retry_after(service: drupe.ServiceSession) -> None:
    app = drupe_serve.create_app(service, max_in_flight=1, worker_threads=2)
    GATES["limit"] = gate = threading.Event()

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            first = asyncio.create_task(
                client.post("/runs", json={"runtime_params": {"gate": "limit"}})
            )
            for _ in range(500):  # bounded wait until the first run occupies the slot
                if service.runs_in_flight == 1:
                    break
                await asyncio.sleep(0.01)
            second = await client.post("/runs", json={})
            gate.set()
            return await first, second

    first, second = asyncio.run(scenario())
    assert second.status_code == 503
    assert second.headers["retry-after"] == "1"
    assert first.status_code == 200
    assert first.json()["outputs"]["total"] == 3
    # The slot is free again once the run finished.
    assert call(app, "POST", "/runs", json={}).status_code == 200


def test_health_reports_the_session(service: drupe.ServiceSession) -> None:
    app = drupe_serve.create_app(service, max_in_flight=5, worker_threads=3)
    body = call(app, "GET", "/health").json()
    assert body == {
        "status": "ok",
        "session_id": service.session_id,
        "runs_in_flight": 0,
        "max_in_flight": 5,
        "worker_threads": 3,
    }


def test_unknown_routes_and_methods_answer_json(service: drupe.ServiceSession) -> None:
    app = drupe_serve.create_app(service)
    assert call(app, "GET", "/nowhere").status_code == 404
    wrong_method = call(app, "GET", "/runs")
    assert wrong_method.status_code == 405
    assert "error" in json.loads(wrong_method.text)


def test_lifespan_shutdown_waits_for_the_run_then_closes_the_session() -> None:
    recorder = HookRecorder()
    session = drupe.ServiceSession.create(
        plugins=[
            StaticConfig({"parameters": {"a": 1, "b": 2}}),
            FunctionExecutor(compute),
            recorder,
        ],
        entry_points=False,
    )
    app = drupe_serve.create_app(session)

    async def serve_then_stop() -> int:
        # What a server does: run the lifespan startup, serve, then the lifespan shutdown.
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
                response = await client.post("/runs", json={"runtime_params": {"a": 5}})
            assert not session.closed
        return int(response.json()["outputs"]["total"])

    assert asyncio.run(serve_then_stop()) == 7
    assert session.closed
    names = recorder.names()
    assert names.count("after_close") == 1
    assert names.index("after_close") > names.index("after_run")


def test_a_closed_session_refuses_runs_with_503() -> None:
    session = drupe.ServiceSession.create(
        # The stand-in executor answers execute_run first; the pipeline plugin's
        # selection rules (validate_selection) check the request as in production.
        plugins=[
            PipelinePlugin,
            StaticConfig({"parameters": {"a": 1, "b": 2}}),
            FunctionExecutor(compute),
        ],
        entry_points=False,
    )
    app = drupe_serve.create_app(session)
    session.close()
    response = call(app, "POST", "/runs", json={})
    assert response.status_code == 503
    assert "shutting down" in response.json()["error"]


def test_create_app_wants_a_service_session() -> None:
    session = drupe.Session.create(
        plugins=[StaticConfig(), FunctionExecutor(compute)], entry_points=False
    )
    with pytest.raises(drupe_serve.ServeError, match="ServiceSession"):
        drupe_serve.create_app(session)  # type: ignore[arg-type]
    session.close()
