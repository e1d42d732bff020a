"""drupe's bundled ``store`` plugin: a persistent, queryable history of sessions and runs.

Its entry point names `StorePlugin` (one instance per session, holding the
session's recorder). It answers ``open_store`` (SQLite under ``<project>/.drupe/`` by default, or
one JSON file per session), records each session at create, around each run
and at close, and adds ``drupe sessions list|show|rerun``. From Python::

    from drupe_store import open_history

    with open_history("path/to/project") as history:
        for record in history.list_sessions(limit=5):
            print(record["session_id"], record["status"])

The heavy parts (sqlite3, the backends, the CLI) are imported on first use,
so ``drupe --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import drupe
from drupe_store.hooks import StorePlugin
from drupe_store.masking import MASK, SecretMask
from drupe_store.options import StoreOptions

if TYPE_CHECKING:
    from drupe_store.history import History, open_history
    from drupe_store.json_store import JsonStore
    from drupe_store.sqlite_store import SqliteStore

_LAZY = {
    "History": "drupe_store.history",
    "open_history": "drupe_store.history",
    "JsonStore": "drupe_store.json_store",
    "SqliteStore": "drupe_store.sqlite_store",
}

__all__ = [
    "MASK",
    "History",
    "JsonStore",
    "SecretMask",
    "SqliteStore",
    "StoreOptions",
    "StorePlugin",
    "open_history",
]


__getattr__, __dir__ = drupe.lazy_exports(__name__, _LAZY)
