"""Parsing one file: YAML (YAML 1.2 scalars, libyaml when present) or JSON.

PyYAML resolves plain scalars by YAML 1.1, where ``1e-3`` is a string and
``yes`` is a boolean. The loader here replaces the implicit resolvers with
the YAML 1.2 core schema that ``drupe.scalars`` documents, on a subclass
(no change to PyYAML's own loaders), and keeps ``<<`` merge keys (a key
given next to ``<<`` overrides the merged one). Only safe loaders are used: a
YAML file can never build arbitrary Python objects.

A file written for a YAML 1.1 reader (Kedro's) can mean something else here:
``yes``/``no``/``on``/``off``/``y``/``n`` are strings, ``017`` is seventeen,
``1_000`` is a string. `parse` logs one warning per file listing every such
plain scalar with its line and how to write what was meant, so a migrated
project never changes meaning silently.
"""

from __future__ import annotations

import json
import logging
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
from drupe_config import shape

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_MERGE_TAG = _TAG + "merge"
_DIGITS = list("0123456789")
_log = logging.getLogger("drupe_config")

# Plain scalars YAML 1.1 types differently from YAML 1.2 (what drupe reads).
_YAML11_BOOLS = frozenset({"yes", "no", "on", "off", "y", "n"})
_YAML11_OCTAL = re.compile(r"[-+]?0[0-9]+\Z")
_YAML11_UNDERSCORED = re.compile(r"[-+]?[0-9][0-9_]*_[0-9_]*(\.[0-9_]*)?\Z")
_AMBIGUITIES_SHOWN = 10


class Yaml12Loader(_Base):  # type: ignore[valid-type,misc]
    """A safe loader typing plain scalars by YAML 1.2 and refusing duplicate keys.

    ``ambiguous`` collects ``(line, text, advice)`` for each plain scalar a
    YAML 1.1 reader would type differently.
    """

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.ambiguous: list[tuple[int, str, str]] = []
        self.key_nodes: set[int] = set()

    def note_ambiguous(self, node: Any, advice: str) -> None:
        self.ambiguous.append((node.start_mark.line + 1, node.value, advice))

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        # Look before PyYAML flattens "<<" into node.value: merged keys may be
        # overridden, only keys written twice in this mapping are duplicates.
        own = [k for k, _ in node.value if k.tag != _MERGE_TAG]
        merges = len(own) != len(node.value)
        # Only a one-letter key can be YAML 1.1's y/n boolean (see _construct_str).
        one_letter = [id(k) for k in own if len(k.value) == 1]
        if one_letter:
            self.key_nodes.update(one_letter)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if merges:
            suspect = len(own) > len(
                {(k.tag, k.value) for k in own if isinstance(k, yaml.ScalarNode)}
            ) or any(not isinstance(k, yaml.ScalarNode) for k in own)
        else:  # every key is its own: fewer entries than keys means two were equal
            suspect = len(mapping) < len(own)
        if suspect:
            seen: set[Any] = set()
            for key_node in own:
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


def _construct_str(loader: Yaml12Loader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    if not node.style and isinstance(text, str):  # plain: None (Python) or "" (libyaml)
        # A key "y" or "n" (coordinates, sample sizes) stays a string for
        # PyYAML-based readers too; as a value it is YAML 1.1's boolean.
        # Cheap tests first: every string of a file comes here, and YAML 1.1's
        # booleans are at most three letters, its underscored numbers hold a "_".
        if (
            len(text) <= 3
            and text.lower() in _YAML11_BOOLS
            and not (len(text) == 1 and id(node) in loader.key_nodes)
        ):
            truth = "true" if text.lower() in ("yes", "on", "y") else "false"
            loader.note_ambiguous(
                node,
                f"read as the string {text!r}; write {truth} for a boolean, "
                f"or '{text}' (quoted) to keep the string",
            )
        elif "_" in text and _YAML11_UNDERSCORED.match(text):
            number = text.replace("_", "")
            loader.note_ambiguous(
                node,
                f"read as the string {text!r}; write {number} for a number, "
                f"or '{text}' (quoted) to keep the string",
            )
    return text


def _construct(kind: type) -> Any:
    def construct(loader: Yaml12Loader, node: yaml.ScalarNode) -> Any:
        text = loader.construct_scalar(node)
        if kind is int and not node.style and _YAML11_OCTAL.match(text):
            sign, digits = ("-", text[1:]) if text[0] in "+-" else ("", text)
            digits = digits.lstrip("0") or "0"
            if set(digits) <= set("01234567") and not sign:
                advice = (
                    f"read as the decimal {int(text)}; write {digits} to say so, "
                    f"or 0o{digits} for the octal number YAML 1.1 read"
                )
            else:
                advice = (
                    f"read as the number {int(text)}; write {sign}{digits} to say so, "
                    f"or '{text}' (quoted) to keep the string"
                )
            loader.note_ambiguous(node, advice)
        value = scalar(text)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if kind is bool and text.lower() in ("yes", "on"):
            return True  # explicit !!bool tags keep their YAML 1.1 meaning
        if kind is bool and text.lower() in ("no", "off"):
            return False
        return value

    return construct


Yaml12Loader.add_implicit_resolver(_MERGE_TAG, re.compile(r"<<\Z"), ["<"])
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
Yaml12Loader.add_constructor(_TAG + "str", _construct_str)


def _load(data: bytes) -> tuple[Any, list[tuple[int, str, str]]]:
    loader = Yaml12Loader(data)
    try:
        value = loader.get_single_data()
    finally:
        loader.dispose()
    return value, loader.ambiguous


def warn_ambiguous(name: str, found: list[tuple[int, str, str]]) -> None:
    """One warning per file: each YAML-1.1-ambiguous plain scalar, its line and the fix."""
    shown = [f"line {line}: {text} is {advice}" for line, text, advice in found]
    more = len(shown) - _AMBIGUITIES_SHOWN
    if more > 0:
        shown = [*shown[:_AMBIGUITIES_SHOWN], f"and {more} more"]
    _log.warning(
        "%s: drupe reads YAML 1.2, where these plain values mean something else than in "
        "YAML 1.1 (Kedro): %s",
        name,
        "; ".join(shown),
    )


def parse(data: bytes, name: str) -> dict[str, Any]:
    """Parse a file's bytes; return its top-level mapping (``{}`` for an empty file).

    Logs one warning listing the file's YAML-1.1-ambiguous plain scalars.
    Raises `drupe.ConfigError` naming the file, line and column of a syntax
    error, or the file whose top level is not a mapping.
    """
    value, ambiguous = parse_document(data, name)
    if ambiguous:
        warn_ambiguous(name, ambiguous)
    return value


def parse_document(data: bytes, name: str) -> tuple[dict[str, Any], list[tuple[int, str, str]]]:
    """`parse` without logging: the mapping and ``(line, text, advice)`` per ambiguous scalar.

    ``name`` only names the file in errors (and picks JSON for ``.json``): the
    result depends on the bytes alone, which is what lets
    `drupe_config.files` cache it by content.
    """
    ambiguous: list[tuple[int, str, str]] = []
    try:
        if name.lower().endswith(".json"):
            value = json.loads(data.decode("utf-8")) if data.strip() else None
        else:
            value, ambiguous = _load(data)
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
        return {}, ambiguous
    if b"*" in data or len(data) > shape.MAX_EXPANDED_NODES // 2:
        shape.check_shape(value, name, shape.MAX_EXPANDED_NODES, shape.MAX_DEPTH)
    else:  # no alias (written "*name"): a tree no bigger than its bytes; only depth to check
        shape.check_depth(value, name, shape.MAX_DEPTH)
    if not isinstance(value, dict):
        raise drupe.ConfigError(
            f"{name}: the top level is a {type(value).__name__}, not a mapping of keys; "
            f"write `key: value` lines at the top of the file"
        )
    for key in value:
        if not isinstance(key, str):
            raise drupe.ConfigError(f"{name}: top-level key {key!r} is not a string; quote it")
    return value, ambiguous
