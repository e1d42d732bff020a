"""Secrets never land in the history.

Credentials are never read by the store at all. What it does record --
runtime parameters, the run request, the command line -- may still carry a
secret typed by a user (``--params db.password=...``), so every key that
*looks* secret has its value replaced by `MASK` before anything is written.

A key looks secret when one of its *words* is a secret word. Keys are cut
into words at ``_``, ``-``, ``.``, spaces (any non-alphanumeric character),
camelCase humps and between letters and digits, ignoring case:
``api_key``, ``apiKey``, ``db.password``, ``AWS_SECRET_ACCESS_KEY`` and
``token2`` are secret; ``monkey``, ``keyboard_layout`` and ``turkey`` are
not (a substring match hid them too, and hid ``tokenizer`` and
``max_tokens``). A secret word given with several words (``access_id``)
matches those words in a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import drupe
from drupe_store.options import DEFAULT_MASK_KEYS

MASK = "***"

_CHUNKS = r"[^\W_]+"  # runs of letters and digits
_WORDS = r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\W\d_A-Za-z]+"


@lru_cache(maxsize=4096)
def words(key: str) -> tuple[str, ...]:
    """The lower-case words of a key: ``"APIKey_v2"`` -> ``("api", "key", "v", "2")``."""
    chunks = re.findall(_CHUNKS, key)
    return tuple(word.lower() for chunk in chunks for word in re.findall(_WORDS, chunk))


class SecretMask:
    """Masks the values of secret-looking keys in parameters and command lines."""

    def __init__(self, secret_words: Iterable[str] = DEFAULT_MASK_KEYS) -> None:
        phrases = {words(w) for w in secret_words if w}
        phrases.discard(())
        self.single = frozenset(p[0] for p in phrases if len(p) == 1)
        self.phrases = tuple(p for p in phrases if len(p) > 1)

    def is_secret(self, key: Any) -> bool:
        parts = words(str(key))
        if not self.single.isdisjoint(parts):
            return True
        return any(_contains(parts, phrase) for phrase in self.phrases)

    def params(self, value: Any) -> Any:
        """A plain (JSON-friendly) copy of ``value`` with secret keys masked, recursively."""
        if isinstance(value, Mapping):
            return {str(k): MASK if self.is_secret(k) else self.params(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.params(v) for v in value]
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        return str(value)

    def args(self, argv: Sequence[str]) -> list[str]:
        """A copy of a command line with secret values masked.

        Handles ``--token=abc`` and ``--token abc``; a ``--params`` value is
        parsed first, with drupe's own grammar, and each secret value is
        replaced where it is written (quoted values with commas included);
        one that cannot be parsed is masked whole.
        """
        masked: list[str] = []
        hide_next = False
        params_next = False
        for arg in argv:
            if hide_next:
                masked.append(MASK)
                hide_next = False
                continue
            if params_next:
                masked.append(self._params_text(arg))
                params_next = False
                continue
            if arg.startswith("-"):
                flag, sep, value = arg.partition("=")
                if self.is_secret(flag.lstrip("-")):
                    masked.append(f"{flag}={MASK}" if sep else flag)
                    hide_next = not sep
                    continue
                if flag == "--params":
                    if sep:
                        masked.append(f"{flag}={self._params_text(value)}")
                    else:
                        masked.append(arg)
                        params_next = True
                    continue
                if sep:
                    masked.append(f"{flag}={self._pairs(value)}")
                    continue
                masked.append(arg)
                continue
            masked.append(self._pairs(arg))
        return masked

    def _params_text(self, text: str) -> str:
        from drupe.cli import parse_params

        try:
            parsed = parse_params(text)
        except drupe.DrupeError:
            return MASK  # not parseable: nothing in it can be trusted to be harmless
        secrets = sorted(
            {str(v) for v in self.secret_values(parsed) if str(v)}, key=len, reverse=True
        )
        for value in secrets:
            for written in _spellings(value):
                text = text.replace(written, MASK)
        return text

    def secret_values(self, value: Any) -> list[Any]:
        """The values under secret keys anywhere in ``value``."""
        found: list[Any] = []
        if isinstance(value, Mapping):
            for key, item in value.items():
                if self.is_secret(key):
                    found.extend(_leaves(item))
                else:
                    found.extend(self.secret_values(item))
        elif isinstance(value, (list, tuple)):
            for item in value:
                found.extend(self.secret_values(item))
        return found

    def _pairs(self, text: str) -> str:
        parts = []
        for fragment in text.split(","):
            key, sep, _ = fragment.partition("=")
            parts.append(f"{key}={MASK}" if sep and self.is_secret(key) else fragment)
        return ",".join(parts)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [] if value is None or isinstance(value, bool) else [value]


def _spellings(value: str) -> list[str]:
    """How ``value`` may be written in ``--params``: escaped inside quotes, or plain."""
    escaped = [value.replace("\\", "\\\\").replace(q, "\\" + q) for q in "\"'"]
    return list(dict.fromkeys([*escaped, value]))


def _contains(parts: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(parts[i : i + size] == phrase for i in range(len(parts) - size + 1))


def masked_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Key paths of the masked values in ``value``, into lists too (an index is an ``int``)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, Mapping):
        items: Iterable[tuple[Any, Any]] = ((str(k), v) for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return found
    for key, item in items:
        path = (*prefix, key)
        if item == MASK:
            found.append(path)
        else:
            found.extend(masked_paths(item, path))
    return found


def masked_keys(value: Any) -> list[str]:
    """Dotted names of the masked values in ``value`` (to refuse replaying them)."""
    return [".".join(map(str, path)) for path in masked_paths(value)]
