"""Turning a run's free outputs into a JSON response without dumping what JSON cannot hold.

A pipeline's outputs may be data frames, models or open handles. Printing
their ``repr`` into a response would be noise at best and a leak at worst, so
an output that is not plain JSON is *named* (with its type) and left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def split_outputs(outputs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Return ``(json_outputs, unserialisable)``: values that are JSON, and the others' types."""
    plain: dict[str, Any] = {}
    named: dict[str, str] = {}
    for name, value in outputs.items():
        key = str(name)
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            kind = type(value)
            named[key] = f"{kind.__module__}.{kind.__qualname__}".removeprefix("builtins.")
        else:
            plain[key] = value
    return plain, named


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of a store record (mappings, sequences, scalars; anything else as text)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return str(value)


def dumps(payload: Any) -> bytes:
    """Encode a response body (compact, UTF-8, never NaN)."""
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
