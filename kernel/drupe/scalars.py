"""Typing of plain scalars the way YAML 1.2 users expect.

PyYAML follows YAML 1.1, which reads ``1e-3`` as a string and ``yes`` as a
boolean. drupe types ``--params`` values (and the config plugin types YAML
files) by the YAML 1.2 core schema instead, so the same text means the same
value wherever it is written.
"""

from __future__ import annotations

import re
from typing import Any

#: The patterns, by the names this module offers them under (compiled on first use:
#: a run that types no scalar never pays for them, see `__getattr__`).
_SOURCES = {
    "INT_RE": r"[-+]?[0-9]+\Z",
    "INT_OCT_RE": r"0o[0-7]+\Z",
    "INT_HEX_RE": r"0x[0-9a-fA-F]+\Z",
    "FLOAT_RE": r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z",
    "INF_RE": r"[-+]?\.(inf|Inf|INF)\Z",
    "NAN_RE": r"\.(nan|NaN|NAN)\Z",
}
NULLS = frozenset({"", "~", "null", "Null", "NULL"})
TRUES = frozenset({"true", "True", "TRUE"})
FALSES = frozenset({"false", "False", "FALSE"})


def __dir__() -> list[str]:
    return sorted({*globals(), *_SOURCES})


def __getattr__(name: str) -> re.Pattern[str]:
    """``INT_RE``, ``FLOAT_RE``...: each pattern compiled the first time it is asked for."""
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    pattern = globals()[name] = re.compile(source)
    return pattern


_ORDER = ("INT_RE", "INT_OCT_RE", "INT_HEX_RE", "FLOAT_RE", "INF_RE", "NAN_RE")
_MATCHERS: tuple[re.Pattern[str], ...] = ()


def _compile_matchers() -> tuple[re.Pattern[str], ...]:
    global _MATCHERS
    _MATCHERS = tuple(__getattr__(name) for name in _ORDER)
    return _MATCHERS


def scalar(text: str) -> Any:
    """Return ``text`` as ``None``, a bool, an int, a float or (otherwise) the string itself."""
    if text in NULLS:
        return None
    if text in TRUES:
        return True
    if text in FALSES:
        return False
    # The patterns' own .match: re.match(source, text) would look each one up in
    # re's cache at every call, a tenth of reading a YAML file full of numbers.
    int_re, oct_re, hex_re, float_re, inf_re, nan_re = _MATCHERS or _compile_matchers()
    if int_re.match(text):
        return int(text)
    if oct_re.match(text):
        return int(text[2:], 8)
    if hex_re.match(text):
        return int(text[2:], 16)
    if float_re.match(text):
        return float(text)
    if inf_re.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if nan_re.match(text):
        return float("nan")
    return text
