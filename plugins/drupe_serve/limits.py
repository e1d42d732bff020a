"""Limits on what one ``POST /runs`` body may hold: hostile input stops here, as a 4xx.

JSON that is well formed can still hurt: a 700-deep object overflows the
recursion of whatever walks it next (config merging, copying, freezing), a
5000-digit integer costs quadratic time to print and overflows the standard
library's own digit limit, and a hundred thousand parameters make every run
slow. Each rule here rejects such a body before any run starts, with the
field it is about, so the client can tell what to change.

The walk is iterative (it must not recurse on the very input it guards
against) and visits every value once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

#: Deepest nesting of objects and lists inside one field (``runtime_params``: 1 for ``{"a": 1}``).
MAX_DEPTH = 32
#: Most values (leaves, objects and lists) inside one field.
MAX_VALUES = 10_000
#: Longest integer, in digits: every 64-bit integer fits.
MAX_INT_DIGITS = 20
#: Longest object key or string, in characters (the body limit bounds the total anyway).
MAX_KEY_CHARS = 256


class LimitError(ValueError):
    """A body breaks one of the limits; ``field`` is the top-level field it is about."""

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(message)
        self.field = field


class BigInt:
    """An integer literal longer than `MAX_INT_DIGITS`, kept as text until the walk names it."""

    __slots__ = ("digits",)

    def __init__(self, digits: str) -> None:
        self.digits = digits


def _parse_int(text: str) -> int | BigInt:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return BigInt(text)
    return int(text)


def loads(raw: bytes) -> Any:
    """``json.loads`` that never builds a huge integer (the walk reports it instead).

    Raises `RecursionError` for nesting deeper than the parser's own stack,
    and `json.JSONDecodeError` / `UnicodeDecodeError` for malformed input.
    """
    return json.loads(raw, parse_int=_parse_int)


_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}:]')


def field_too_deep(raw: bytes) -> str | None:
    """The top-level key whose value nests past `MAX_DEPTH` (for a body the parser gave up on).

    Used on the error path only; it stops at the first place the limit is passed.
    """
    depth = 0
    key: str | None = None
    previous: bytes | None = None
    for match in _TOKEN.finditer(raw):
        token = match.group()
        if token in (b"{", b"["):
            depth += 1
            if depth > MAX_DEPTH + 1:
                return key
        elif token in (b"}", b"]"):
            depth -= 1
        elif token == b":" and depth == 1 and previous is not None and previous[:1] == b'"':
            try:
                key = json.loads(previous)
            except ValueError:
                key = None
        previous = token
    return key


def check_field(field: str, value: Any, *, dotted_keys: bool = False) -> None:
    """Check one top-level field's value against every limit; `LimitError` names the field.

    ``dotted_keys``: object keys are parameter names, where ``a.b`` means
    ``{"a": {"b": ...}}``, so an empty part (``"a."``, ``".b"``, ``""``) is refused.
    """
    stack: list[tuple[Any, int, str]] = [(value, 0, field)]
    seen = 0
    while stack:
        item, depth, where = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise LimitError(f"{field} holds more than {MAX_VALUES} values", field)
        if isinstance(item, BigInt):
            raise LimitError(
                f"{where} is an integer of {len(item.digits.lstrip('-'))} digits; "
                f"at most {MAX_INT_DIGITS} are accepted (send a string for longer numbers)",
                field,
            )
        if isinstance(item, str):
            continue
        if isinstance(item, (Mapping, list)):
            if depth >= MAX_DEPTH:
                raise LimitError(
                    f"{field} nests deeper than {MAX_DEPTH} levels (at {where})", field
                )
            if isinstance(item, Mapping):
                for key, child in item.items():
                    _check_key(field, where, key, dotted_keys)
                    stack.append((child, depth + 1, f"{where}.{key}"))
            else:
                for index, child in enumerate(item):
                    stack.append((child, depth + 1, f"{where}[{index}]"))


def _check_key(field: str, where: str, key: str, dotted: bool) -> None:
    if len(key) > MAX_KEY_CHARS:
        raise LimitError(f"a key in {where} is longer than {MAX_KEY_CHARS} characters", field)
    if dotted and (not key or any(not part for part in key.split("."))):
        raise LimitError(
            f"{key!r} in {where} is not a parameter name: use names like 'model.lr' "
            f"(no empty part before, between or after dots)",
            field,
        )
