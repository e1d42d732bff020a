"""Parsing ``--params``: ``key=value`` pairs separated by commas.

* dotted keys nest: ``model.lr=0.1`` gives ``{"model": {"lr": 0.1}}``;
* values are typed like YAML 1.2 scalars (`drupe.scalars.scalar`);
* a value in single or double quotes stays a string and may contain commas
  and ``=`` (``title="a, b"``); a backslash escapes the closing quote;
* anything malformed raises `UsageError` naming the key at fault -- never
  a value, which may be a secret the error line would print; so do a key
  of more than `MAX_KEY_DEPTH` parts and a number Python cannot read (more
  than 4300 digits).
"""

from __future__ import annotations

from typing import Any

from drupe.errors import UsageError
from drupe.scalars import scalar

#: The most dot-separated parts one ``--params`` key may have.
MAX_KEY_DEPTH = 100


def _fragments(text: str) -> list[tuple[str, bool]]:
    """Split on commas outside quotes; return (fragment, value_was_quoted) pairs.

    A quote opens only where a value starts (right after ``=``, spaces
    allowed), so apostrophes inside plain values (``name=O'Brien``) are text.
    """
    fragments: list[tuple[str, bool]] = []
    key: list[str] = []
    value: list[str] = []
    in_value = quoted = False
    quote: str | None = None
    i = 0
    while i < len(text):
        char = text[i]
        i += 1
        if quote is not None:
            if char == "\\" and i < len(text) and text[i] in (quote, "\\"):
                value.append(text[i])
                i += 1
            elif char == quote:
                quote = None
            else:
                value.append(char)
            continue
        if char == ",":
            fragments.append(("".join(key) + ("=" + "".join(value) if in_value else ""), quoted))
            key, value, in_value, quoted = [], [], False, False
        elif not in_value:
            if char == "=":
                in_value = True
            else:
                key.append(char)
        elif quoted:
            if not char.isspace():
                raise UsageError(
                    f"--params: text after a quoted value, the value of "
                    f"{''.join(key).strip()!r} (position {i}): put the whole value inside "
                    f"the quotes"
                )
        elif char in "'\"" and not "".join(value).strip():
            quote, quoted, value = char, True, []
        else:
            value.append(char)
    if quote is not None:
        raise UsageError(
            f"--params: unterminated {quote} quote in the value of {''.join(key).strip()!r}: "
            f"close the quote"
        )
    fragments.append(("".join(key) + ("=" + "".join(value) if in_value else ""), quoted))
    return fragments


def parse_params(text: str) -> dict[str, Any]:
    """Parse one ``--params`` value into a nested dict."""
    result: dict[str, Any] = {}
    if not text.strip():
        return result
    previous = ""
    for fragment, quoted in _fragments(text):
        if not fragment.strip() and not quoted:
            where = f"after {previous!r}" if previous else "at the start"
            raise UsageError(
                f"--params: empty item {where}: remove the extra comma "
                f"(format: key=value,other.key=value)"
            )
        previous = fragment.partition("=")[0].strip()
        key, sep, raw = fragment.partition("=")
        if not sep:
            raise UsageError(
                f"--params: {fragment.strip()!r} is not key=value "
                f"(format: key=value,other.key=value; quote values that contain commas)"
            )
        key = key.strip()
        parts = key.split(".")
        if not key or any(not part.strip() or part != part.strip() for part in parts):
            raise UsageError(
                f"--params: bad key {key!r}: keys are dot-separated names without empty parts"
            )
        if len(parts) > MAX_KEY_DEPTH:
            raise UsageError(
                f"--params: key {key[:40]!r}... has {len(parts)} dotted parts, more than "
                f"{MAX_KEY_DEPTH}: use a shorter key (or a parameters file)"
            )
        value: Any = raw if quoted else _typed(raw.strip(), key)
        _assign(result, parts, value, key)
    return result


def _typed(raw: str, key: str) -> Any:
    try:
        return scalar(raw)
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise UsageError(
            f"--params: cannot read the value of {key!r} ({exc}); quote it to pass it as text"
        ) from None


def _assign(target: dict[str, Any], parts: list[str], value: Any, key: str) -> None:
    node = target
    for depth, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise UsageError(
                f"--params: {'.'.join(parts[: depth + 1])!r} is given both a value and "
                f"nested keys (at {key!r}): keep one"
            )
        node = child
    last = parts[-1]
    if last in node:
        raise UsageError(f"--params: {'.'.join(parts)!r} is given twice: keep one")
    node[last] = value


def merge_params(target: dict[str, Any], extra: dict[str, Any], path: str = "") -> dict[str, Any]:
    """Deep-merge ``extra`` into ``target`` (for repeated ``--params``); later values win."""
    for key, value in extra.items():
        here = f"{path}.{key}" if path else key
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge_params(target[key], value, here)
        else:
            target[key] = value
    return target
