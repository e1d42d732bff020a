"""Fixtures of the store tests: every backend goes through the same tests."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "json"])
def backend(request: pytest.FixtureRequest) -> str:
    """The bundled backend under test."""
    return str(request.param)
