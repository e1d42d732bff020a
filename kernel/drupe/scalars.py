"""Typing of plain scalars the way YAML 1.2 users expect.

PyYAML follows YAML 1.1, which reads ``1e-3`` as a string and ``yes`` as a
boolean. drupe types ``--params`` values (and the config plugin types YAML
files) by the YAML 1.2 core schema instead, so the same text means the same
value wherever it is written.
"""

from __future__ import annotations

import re
from typing import Any

INT_RE = re.compile(r"[-+]?[0-9]+\Z")
INT_OCT_RE = re.compile(r"0o[0-7]+\Z")
INT_HEX_RE = re.compile(r"0x[0-9a-fA-F]+\Z")
FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
INF_RE = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
NAN_RE = re.compile(r"\.(nan|NaN|NAN)\Z")
NULLS = frozenset({"", "~", "null", "Null", "NULL"})
TRUES = frozenset({"true", "True", "TRUE"})
FALSES = frozenset({"false", "False", "FALSE"})


def scalar(text: str) -> Any:
    """Return ``text`` as ``None``, a bool, an int, a float or (otherwise) the string itself."""
    if text in NULLS:
        return None
    if text in TRUES:
        return True
    if text in FALSES:
        return False
    if INT_RE.match(text):
        return int(text)
    if INT_OCT_RE.match(text):
        return int(text[2:], 8)
    if INT_HEX_RE.match(text):
        return int(text[2:], 16)
    if FLOAT_RE.match(text):
        return float(text)
    if INF_RE.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if NAN_RE.match(text):
        return float("nan")
    return text
