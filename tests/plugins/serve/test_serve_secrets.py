"""A secret in a failing run's error reaches neither serve's log nor its response."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

import drupe
import drupe_serve
from drupe.testing import FunctionExecutor, StaticConfig

SECRET = "svc" + "-secret-9"  # built, so no source line of a traceback holds it


class Credentials:
    """Stands in for the config plugin: names one credential value as secret."""

    @drupe.hookimpl
    def secret_values(self, context: drupe.Context) -> list[str]:
        return [SECRET]


def execute(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
    raise ConnectionError(f"login refused for app:{SECRET}@db")


def test_serve_log_and_response_never_show_a_secret(caplog: pytest.LogCaptureFixture) -> None:
    session = drupe.ServiceSession.create(
        plugins=[StaticConfig({"parameters": {}}), FunctionExecutor(execute), Credentials()],
        entry_points=False,
    )
    app = drupe_serve.create_app(session, close_session=False)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://serve.test") as client:
            return await client.post("/runs", json={})

    try:
        with caplog.at_level(logging.DEBUG):
            response = asyncio.run(go())
    finally:
        session.close()
    assert response.status_code == 500
    logged = "\n".join(
        r.getMessage() + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
        for r in caplog.records
    )
    assert "login refused for app:***@db" in logged
    assert SECRET not in logged and SECRET not in response.text


class TokenParam:
    """Stands in for the config plugin: a run's ``api_token`` parameter is secret."""

    @drupe.hookimpl
    def secret_values(self, context: drupe.Context) -> list[Any]:
        return [context.runtime_params.get("api_token")]


def log_token(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
    logging.getLogger("demo.node").warning("calling with %s", context.runtime_params["api_token"])
    return {}


def test_a_secret_run_parameter_logged_by_a_node_is_scrubbed_in_serve_s_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = "tok" + "-Zx81-run"
    session = drupe.ServiceSession.create(
        plugins=[StaticConfig({"parameters": {}}), FunctionExecutor(log_token), TokenParam()],
        entry_points=False,
    )
    app = drupe_serve.create_app(session, close_session=False)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://serve.test") as client:
            return await client.post("/runs", json={"runtime_params": {"api_token": token}})

    try:
        with caplog.at_level(logging.DEBUG):
            response = asyncio.run(go())
    finally:
        session.close()
    assert response.status_code == 200, response.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "calling with ***" in logged
    assert token not in logged and token not in caplog.text
