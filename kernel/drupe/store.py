"""The persistence contract: what a session store offers.

Records are plain JSON-friendly dicts, so any backend (SQLite, files, a
server) can keep them. The plugin answering ``open_store`` returns an object
with these methods; the plugin that records (the bundled ``store`` plugin,
through the lifecycle hooks) writes with `save_session` and `save_run`, and
users query with `get_session` and `list_sessions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class SessionStore(Protocol):
    """A place that keeps session and run records."""

    def save_session(self, record: Mapping[str, Any]) -> None:
        """Insert or replace the record of one session (keyed by ``record["session_id"]``)."""

    def save_run(self, record: Mapping[str, Any]) -> None:
        """Insert or replace the record of one run (keyed by ``record["run_id"]``)."""

    def get_session(self, session_id: str) -> Mapping[str, Any] | None:
        """The session's record with its runs under ``"runs"``, or ``None``."""

    def list_sessions(
        self, *, limit: int | None = 20, status: str | None = None
    ) -> list[Mapping[str, Any]]:
        """Session records, newest first."""

    def close(self) -> None:
        """Release connections and files; the store is not used afterwards."""
