"""`SESSION_STORE_ARGS`: which backend keeps the history, where, and which keys are secret.

Read from the project's settings with attribute access (settings may be
``None``: no settings plugin, no project). Validated here so that a typo in
settings fails at create with a message naming the option, not later in a
backend.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import drupe

OPTION = "SESSION_STORE_ARGS"
BACKENDS = ("sqlite", "json")
DEFAULT_MASK_KEYS = (
    "password",
    "passwords",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "dsn",
    "auth",
    "authorization",
    "private",
    "cookie",
    "secret",
    "secrets",
    "token",
    "key",
    "credential",
    "credentials",
    "apikey",
)
STORE_DIR = ".drupe"
DEFAULT_FILES = {"sqlite": "sessions.db", "json": "sessions"}
KNOWN_KEYS = ("backend", "path", "mask_keys", "busy_timeout")
#: Seconds SQLite waits for another process's write lock before a write gives up.
DEFAULT_BUSY_TIMEOUT_S = 30.0

DECLARATION = {
    OPTION: {
        "type": dict,
        "default": {},
        "doc": (
            "Session history (drupe_store): {'backend': 'sqlite' or 'json', 'path': where "
            "(relative to the project root; default .drupe/sessions.db or .drupe/sessions/), "
            "'mask_keys': extra secret words; a key is masked when one of its words, split at "
            "_ - . spaces and camelCase, is one of them; 'busy_timeout': seconds a write waits for "
            "another process's lock (SQLite; default 30)}."
        ),
    }
}


class StoreOptions(NamedTuple):
    """The validated `SESSION_STORE_ARGS` of one project.

    ``path`` is ``None`` when it cannot be placed: no project root and no
    absolute ``path`` option. Nothing is persisted then.
    """

    backend: str = "sqlite"
    path: Path | None = None
    mask_keys: tuple[str, ...] = DEFAULT_MASK_KEYS
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT_S

    @classmethod
    def from_settings(cls, settings: Any, root: Path | None) -> StoreOptions:
        raw = getattr(settings, OPTION, None) if settings is not None else None
        return cls.from_mapping(raw or {}, root)

    @classmethod
    def from_mapping(cls, raw: Any, root: Path | None) -> StoreOptions:
        if not isinstance(raw, Mapping):
            raise drupe.SettingsError(
                f"{OPTION} must be a dict like {{'backend': 'sqlite'}}, not "
                f"{type(raw).__name__}: fix it in your project's settings.py"
            )
        unknown = sorted(set(raw) - set(KNOWN_KEYS))
        if unknown:
            raise drupe.SettingsError(
                f"{OPTION} has unknown key(s) {', '.join(map(repr, unknown))}: the known keys "
                f"are {', '.join(KNOWN_KEYS)}"
            )
        backend = raw.get("backend", "sqlite")
        if backend not in BACKENDS:
            raise drupe.SettingsError(
                f"{OPTION}['backend'] is {backend!r}: use one of {', '.join(BACKENDS)} (or "
                f"install a plugin that answers open_store)"
            )
        extra = raw.get("mask_keys", ())
        if isinstance(extra, str) or not all(isinstance(k, str) and k for k in extra):
            raise drupe.SettingsError(
                f"{OPTION}['mask_keys'] must be a list of non-empty strings, not {extra!r}"
            )
        mask_keys = tuple(dict.fromkeys([*DEFAULT_MASK_KEYS, *(k.lower() for k in extra)]))
        busy = raw.get("busy_timeout", DEFAULT_BUSY_TIMEOUT_S)
        if isinstance(busy, bool) or not isinstance(busy, (int, float)) or not 0 < busy <= 3600:
            raise drupe.SettingsError(
                f"{OPTION}['busy_timeout'] must be a number of seconds in (0, 3600], not {busy!r}"
            )
        return cls(
            backend=backend,
            path=_place(raw.get("path"), backend, root),
            mask_keys=mask_keys,
            busy_timeout=float(busy),
        )


def _place(value: Any, backend: str, root: Path | None) -> Path | None:
    if value is None:
        return None if root is None else root / STORE_DIR / DEFAULT_FILES[backend]
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise drupe.SettingsError(f"{OPTION}['path'] must be a path, not {value!r}")
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    return None if root is None else root / path
