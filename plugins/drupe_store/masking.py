"""Secrets never land in the history.

Credentials are never read by the store at all. What it does record --
runtime parameters, the run request, the command line -- may still carry a
secret typed by a user (``--params db.password=...``), so every key that
*looks* secret has its value replaced by `MASK` before anything is written.

A key looks secret when it contains one of the fragments (case-insensitive
substring: ``api_key``, ``GITHUB_TOKEN``, ``db_password``). Substring matching
over-masks (``monkey`` contains ``key``); that is the safe side to err on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from drupe_store.options import DEFAULT_MASK_KEYS

MASK = "***"


class SecretMask:
    """Masks the values of secret-looking keys in parameters and command lines."""

    def __init__(self, fragments: Iterable[str] = DEFAULT_MASK_KEYS) -> None:
        self.fragments = tuple(f.lower() for f in fragments if f)

    def is_secret(self, key: Any) -> bool:
        text = str(key).lower()
        return any(fragment in text for fragment in self.fragments)

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

        Handles ``--token=abc``, ``--token abc`` and ``key=value`` pairs
        separated by commas (``--params a=1,db.password=x``).
        """
        masked: list[str] = []
        hide_next = False
        for arg in argv:
            if hide_next:
                masked.append(MASK)
                hide_next = False
                continue
            if arg.startswith("-"):
                flag, sep, value = arg.partition("=")
                if self.is_secret(flag.lstrip("-")):
                    masked.append(f"{flag}={MASK}" if sep else flag)
                    hide_next = not sep
                    continue
                if sep:
                    masked.append(f"{flag}={self._pairs(value)}")
                    continue
                masked.append(arg)
                continue
            masked.append(self._pairs(arg))
        return masked

    def _pairs(self, text: str) -> str:
        parts = []
        for fragment in text.split(","):
            key, sep, _ = fragment.partition("=")
            parts.append(f"{key}={MASK}" if sep and self.is_secret(key) else fragment)
        return ",".join(parts)


def masked_keys(value: Any, prefix: str = "") -> list[str]:
    """Dotted names of the masked values in ``value`` (to refuse replaying them)."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if item == MASK:
                found.append(name)
            else:
                found.extend(masked_keys(item, name))
    return found
