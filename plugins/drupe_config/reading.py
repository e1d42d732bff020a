"""Parsing one file: YAML (YAML 1.2 scalars, libyaml when present) or JSON.

PyYAML resolves plain scalars by YAML 1.1, where ``1e-3`` is a string and
``yes`` is a boolean. The loader here replaces the implicit resolvers with
the YAML 1.2 core schema that ``drupe.scalars`` documents, on a subclass
(no change to PyYAML's own loaders), and keeps ``<<`` merge keys. Only safe
loaders are used: a YAML file can never build arbitrary Python objects.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

import drupe
from drupe.scalars import (
    FALSES,
    FLOAT_RE,
    INF_RE,
    INT_HEX_RE,
    INT_OCT_RE,
    INT_RE,
    NAN_RE,
    NULLS,
    TRUES,
    scalar,
)
from drupe_config.shape import check_shape

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_DIGITS = list("0123456789")


class Yaml12Loader(_Base):  # type: ignore[valid-type,misc]
    """A safe loader typing plain scalars by YAML 1.2 and refusing duplicate keys."""

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        own = [k for k, _ in node.value if k.tag != _TAG + "merge"]
        if len(mapping) < len(own) and not any(k.tag == _TAG + "merge" for k, _ in node.value):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
        return mapping


def _construct(kind: type) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        text = loader.construct_scalar(node)
        value = scalar(text)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if kind is bool and text.lower() in ("yes", "on"):
            return True  # explicit !!bool tags keep their YAML 1.1 meaning
        if kind is bool and text.lower() in ("no", "off"):
            return False
        return value

    return construct


Yaml12Loader.add_implicit_resolver(_TAG + "merge", re.compile(r"<<\Z"), ["<"])
for _tag, _regexes, _first in (
    ("null", [], ["~", "n", "N", ""]),
    ("bool", [], ["t", "T", "f", "F"]),
    ("int", [INT_RE, INT_OCT_RE, INT_HEX_RE], [*_DIGITS, "-", "+"]),
    ("float", [FLOAT_RE, INF_RE, NAN_RE], [*_DIGITS, "-", "+", "."]),
):
    if _tag == "null":
        _regexes = [re.compile("(?:" + "|".join(w for w in NULLS if w) + r")?\Z")]
    elif _tag == "bool":
        _regexes = [re.compile("(?:" + "|".join(sorted(TRUES | FALSES)) + r")\Z")]
    for _regex in _regexes:
        Yaml12Loader.add_implicit_resolver(_TAG + _tag, _regex, _first)
Yaml12Loader.add_constructor(_TAG + "int", _construct(int))
Yaml12Loader.add_constructor(_TAG + "float", _construct(float))
Yaml12Loader.add_constructor(_TAG + "bool", _construct(bool))
Yaml12Loader.add_constructor(_TAG + "null", lambda loader, node: None)


def parse(data: bytes, name: str) -> dict[str, Any]:
    """Parse a file's bytes; return its top-level mapping (``{}`` for an empty file).

    Raises `drupe.ConfigError` naming the file, line and column of a syntax
    error, or the file whose top level is not a mapping.
    """
    try:
        if name.lower().endswith(".json"):
            value = json.loads(data.decode("utf-8")) if data.strip() else None
        else:
            value = yaml.load(data, Loader=Yaml12Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        problem = " ".join(filter(None, [exc.context, exc.problem]))
        raise drupe.ConfigError(f"{where}: invalid YAML: {problem}; fix the syntax there") from exc
    except yaml.YAMLError as exc:
        raise drupe.ConfigError(f"{name}: invalid YAML: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise drupe.ConfigError(
            f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}; fix the syntax there"
        ) from exc
    except UnicodeDecodeError as exc:
        raise drupe.ConfigError(f"{name}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    except RecursionError:
        raise drupe.ConfigError(
            f"{name}: nested too deeply to read; flatten the structure"
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise drupe.ConfigError(f"{name}: cannot read a value: {exc}; quote it as text") from None
    if value is None:
        return {}
    check_shape(value, name)
    if not isinstance(value, dict):
        raise drupe.ConfigError(
            f"{name}: the top level is a {type(value).__name__}, not a mapping of keys; "
            f"write `key: value` lines at the top of the file"
        )
    for key in value:
        if not isinstance(key, str):
            raise drupe.ConfigError(f"{name}: top-level key {key!r} is not a string; quote it")
    return value
