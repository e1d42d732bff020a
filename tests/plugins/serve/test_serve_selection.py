"""A bad selection is the client's mistake (422 naming the field); a failing run stays a 500.

In process, with an executor of our own that checks the selection the way
any executor may: it raises an error with exit status 2 before running
anything. The real pipeline plugin over real HTTP is in
test_serve_server.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import drupe
import drupe_serve
from drupe.testing import FunctionExecutor, StaticConfig
from drupe_serve.run_records import RUN_VIEW_FIELDS

NODES = ("load", "clean", "train")


class FilterError(drupe.RunError):
    """A third-party executor's own selection error: not a UsageError, but exit status 2."""

    exit_code = 2


def _names(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or ())


def execute(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
    selection = run.selection
    for field in ("node_names", "from_nodes", "to_nodes"):
        unknown = [name for name in _names(selection.get(field)) if name not in NODES]
        if unknown:
            raise drupe.UsageError(
                f"The pipeline has no node named {unknown[0]!r}. Did you mean 'clean'?",
                field=field,
            )
    if "nothing" in _names(selection.get("tags")):
        raise FilterError("The filter selects no nodes (the pipeline's tags: ml).", field="tags")
    if selection.get("namespaces"):
        raise FilterError("Nothing to run.")
    if context.params.get("fail"):
        raise drupe.RunError("node 'train' failed: no model")
    return {"ran": len(_names(selection.get("node_names"))) or len(NODES)}


@pytest.fixture
def app() -> Iterator[Any]:
    session = drupe.ServiceSession.create(
        plugins=[StaticConfig({"parameters": {}}), FunctionExecutor(execute)],
        entry_points=False,
    )
    yield drupe_serve.create_app(session, close_session=False)
    session.close()


def call(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://serve.test") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"node_names": ["cleen"]}, "node_names"),
        # Two fields set: the error's own ``field`` tells which one.
        ({"node_names": ["load"], "from_nodes": ["cleen"]}, "from_nodes"),
        ({"to_nodes": "cleen", "tags": ["ml"]}, "to_nodes"),
        ({"tags": ["nothing"], "node_names": ["load"]}, "tags"),
        # The error does not say: the only selection field the request set.
        ({"namespaces": ["data"]}, "namespaces"),
    ],
)
def test_a_bad_selection_is_422_naming_the_field(
    app: Any, body: dict[str, Any], field: str
) -> None:
    response = call(app, "POST", "/runs", json=body)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["field"] == field
    assert payload["run_id"]
    assert payload["error"]  # the executor's own message, close matches included
    if field != "tags" and field != "namespaces":
        assert "Did you mean 'clean'?" in payload["error"]


def test_a_bad_selection_that_cannot_be_pinned_on_one_field_has_no_field(app: Any) -> None:
    response = call(app, "POST", "/runs", json={"namespaces": ["data"], "tags": ["ml"]})
    assert response.status_code == 422
    assert "field" not in response.json()
    assert response.json()["error"] == "Nothing to run."


def test_a_failing_run_is_still_500_and_a_good_selection_runs(app: Any) -> None:
    failed = call(app, "POST", "/runs", json={"runtime_params": {"fail": True}})
    assert failed.status_code == 500
    assert failed.json()["error_type"] == "RunError"
    assert "no model" not in failed.text
    ok = call(app, "POST", "/runs", json={"node_names": ["load", "clean"]})
    assert (ok.status_code, ok.json()["outputs"]) == (200, {"ran": 2})


def test_a_rejected_selection_is_recorded_as_a_failed_run(app: Any) -> None:
    rejected = call(app, "POST", "/runs", json={"node_names": ["nope"], "pipelines": "x"})
    assert rejected.status_code == 422
    record = call(app, "GET", f"/runs/{rejected.json()['run_id']}").json()
    assert record["status"] == "failed"
    assert record["error_type"] == "UsageError"
    assert record["pipelines"] == ["x"]


def test_run_records_from_memory_have_the_documented_shape(app: Any) -> None:
    ok = call(app, "POST", "/runs", json={"run_id": "shape-1", "pipelines": ["__default__"]})
    assert ok.status_code == 200
    record = call(app, "GET", "/runs/shape-1").json()
    assert tuple(record) == RUN_VIEW_FIELDS
    assert record["source"] == "memory"
    assert record["status"] == "succeeded"
    assert record["pipelines"] == ["__default__"]
    assert record["finished_at"] >= record["started_at"]
    assert isinstance(record["duration_ms"], float)
    assert record["error_type"] is None


class BadParamsError(drupe.ConfigError):
    """What a config loader raises for runtime params it refuses: the caller's mistake."""

    exit_code = 2


def test_an_error_naming_a_body_field_is_422_on_that_field() -> None:
    def refuse(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
        raise BadParamsError(
            "runtime parameters not declared in parameters: lr", field="runtime_params"
        )

    session = drupe.ServiceSession.create(
        plugins=[StaticConfig({"parameters": {}}), FunctionExecutor(refuse)],
        entry_points=False,
    )
    try:
        app = drupe_serve.create_app(session, close_session=False)
        # A selection field is set too: the error's own field wins over any guess.
        response = call(app, "POST", "/runs", json={"runtime_params": {"lr": 1}, "tags": ["x"]})
    finally:
        session.close()
    assert response.status_code == 422
    assert response.json()["field"] == "runtime_params"
    assert "not declared" in response.json()["error"]
