"""No request body makes ``POST /runs`` answer 500: generated bodies against the real hello project.

Bodies are arbitrary JSON (objects, lists, deep nesting, odd keys, huge
integers, wrong types), put under the known fields or as the whole body.
The hello pipeline itself never fails on them (the generated parameters
avoid the names its nodes read), so any 500 would be the service's own
failure to turn bad input into a 4xx.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import drupe
import drupe_serve

HELLO_PARAMS = {"name", "times", "greeting"}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
keys = st.one_of(
    st.sampled_from(["a", "a.", ".a", "a..b", "", "a.b", "__proto__", "x" * 300]),
    st.text(max_size=12),
).filter(lambda key: key.split(".")[0] not in HELLO_PARAMS)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=30,
)
fields = st.sampled_from(
    [
        "runtime_params",
        "load_versions",
        "tags",
        "node_names",
        "pipelines",
        "namespaces",
        "runner",
        "run_id",
        "timeout",
        "only_missing_outputs",
        "from_nodes",
        "unknown_field",
    ]
)
bodies = st.one_of(values, st.dictionaries(fields, values, max_size=3))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from serve_helpers import hello_copy

    project = hello_copy(tmp_path_factory.mktemp("fuzz") / "hello")
    session = drupe.ServiceSession.create(project_path=project)
    yield drupe_serve.create_app(session, close_session=False, worker_threads=2)
    session.close()


def post(app: Any, raw: bytes) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fuzz") as client:
            return await client.post(
                "/runs", content=raw, headers={"content-type": "application/json"}
            )

    return asyncio.run(go())


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
def test_no_body_is_answered_with_a_500(app: Any, body: Any) -> None:
    response = post(app, json.dumps(body).encode())
    assert response.status_code != 500, (body, response.text)
    assert response.headers["content-type"] == "application/json"
    if response.status_code >= 400 and isinstance(body, dict):
        assert "error" in response.json()


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe",
        b'{"runtime_params": {"a": 1e999}}',
        b'{"runtime_params": NaN}',
        b'{"timeout": NaN}',
        b'{"timeout": Infinity}',
        b"[" * 100_000,
        b'{"runtime_params": {"a": 1, "a.b": 2}}',
        b'{"load_versions": {"x": 1}}',
        b'"just a string"',
    ],
)
def test_odd_bytes_are_never_a_500(app: Any, raw: bytes) -> None:
    response = post(app, raw)
    assert response.status_code != 500, response.text
    assert response.headers["content-type"] == "application/json"
