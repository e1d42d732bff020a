"""Which configuration values are secret: all of ``credentials``, and secret-looking parameters.

Answers the kernel's ``secret_values(context)`` hook. A runtime parameter is
secret when one of the parts of its key path matches ``SECRET_KEY_PATTERN``
(a setting; a regular expression searched, ignoring case, in the key split
into lower-case words joined by ``_``: ``apiKey`` and ``API-KEY`` are both
``api_key``). The default, `DEFAULT_SECRET_KEY_PATTERN`, matches whole words
only, so ``password``, ``db_pass``, ``api_token``, ``dsn``, ``auth``,
``private_key`` and ``aws_secret_access_key`` are secret while ``monkey``,
``max_tokens`` and ``keyboard`` are not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import drupe

#: Whole words (between ``_`` or the ends of the key) that make a key secret.
DEFAULT_SECRET_KEY_PATTERN = (
    r"(?:^|_)(?:pass|passwd|password|passwords|passphrase|pwd|token|secret|secrets|"
    r"key|apikey|dsn|auth|authorization|credential|credentials|cookie|session_key|"
    r"private|signature)(?:_|$)"
)

SETTING = "SECRET_KEY_PATTERN"

_CHUNKS = r"[^\W_]+"
_WORDS = r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\W\d_A-Za-z]+"


@lru_cache(maxsize=4096)
def normalised(key: str) -> str:
    """``"apiKey-v2"`` -> ``"api_key_v_2"``: the text the pattern is searched in."""
    chunks = re.findall(_CHUNKS, key)
    return "_".join(w.lower() for chunk in chunks for w in re.findall(_WORDS, chunk))


@lru_cache(maxsize=32)
def compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise drupe.SettingsError(
            f"{SETTING} is not a valid regular expression ({exc}): fix it in settings.py"
        ) from exc


def pattern_of(settings: Any) -> re.Pattern[str]:
    """The configured secret-key pattern (``SECRET_KEY_PATTERN``), else the default."""
    configured = getattr(settings, SETTING, None) if settings is not None else None
    if configured is None:
        return compiled(DEFAULT_SECRET_KEY_PATTERN)
    if not isinstance(configured, str):
        raise drupe.SettingsError(
            f"{SETTING} must be a regular expression string, not {type(configured).__name__}"
        )
    return compiled(configured)


def _leaves(value: Any, depth: int = 0) -> Iterator[Any]:
    if depth > 200:
        return
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item, depth + 1)
    elif value is not None and not isinstance(value, bool):
        yield value


def secret_params(params: Any, pattern: re.Pattern[str], depth: int = 0) -> Iterator[Any]:
    """Values under a secret-looking key anywhere in ``params``."""
    if depth > 200:
        return
    if isinstance(params, Mapping):
        for key, value in params.items():
            if pattern.search(normalised(str(key))):
                yield from _leaves(value)
            else:
                yield from secret_params(value, pattern, depth + 1)
    elif isinstance(params, (list, tuple)):
        for item in params:
            yield from secret_params(item, pattern, depth + 1)


def secret_values(context: drupe.Context) -> list[Any]:
    """Every credential value, and runtime parameters under secret-looking keys."""
    found: list[Any] = []
    try:
        pattern = pattern_of(context.settings)
    except drupe.SettingsError:
        pattern = compiled(DEFAULT_SECRET_KEY_PATTERN)
    found.extend(secret_params(context.runtime_params, pattern))
    try:
        credentials = context.config_loader["credentials"]
    except Exception:  # unreadable credentials: the error that says so is reported elsewhere
        credentials = None
    found.extend(_leaves(credentials))
    return found
