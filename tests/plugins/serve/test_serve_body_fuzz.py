"""Fuzzing serve's request body: any bytes give a `RunBody` or a `RequestError` (a 4xx).

`parse_run_body` is what every POST /runs goes through; anything else it
raised would reach the client as a 500.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drupe_serve.run_body import RequestError, RunBody, parse_run_body

RUNNERS = ("sequential", "thread")
FIELDS = ("runtime_params", "run_id", "runner", "pipeline_names", "tags", "load_versions")

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
BODIES = st.one_of(
    st.binary(max_size=200),
    st.dictionaries(st.sampled_from([*FIELDS, "extra"]), JSON_VALUES, max_size=5).map(
        lambda d: json.dumps(d).encode()
    ),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
)


def _outcome(raw: bytes) -> Any:
    try:
        return parse_run_body(raw, allowed_runners=RUNNERS)
    except RequestError as error:
        assert 400 <= error.status < 500
        assert error.payload()
        return error


@pytest.mark.slow(seconds=5)
@settings(max_examples=500, deadline=None)
@given(BODIES)
def test_any_body_is_a_run_body_or_a_4xx(raw: bytes) -> None:
    assert isinstance(_outcome(raw), (RunBody, RequestError))


def test_deeply_nested_body_is_a_4xx() -> None:
    assert isinstance(_outcome(b'{"runtime_params": ' + b"[" * 100_000 + b"}"), RequestError)


def test_number_python_cannot_read_is_a_4xx() -> None:
    body = b'{"runtime_params": {"a": ' + b"1" * 5000 + b"}}"
    assert isinstance(_outcome(body), RequestError)
