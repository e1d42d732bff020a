"""Querying the history from Python: notebooks, services, scripts.

`open_history` finds a project's store the way a session would (the plugins'
``find_project``, ``load_settings`` and ``open_store`` hooks, so a store
plugin of yours is used too), and `History` adds what users ask of it on top
of any `drupe.SessionStore`: short id prefixes, clear errors.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import drupe
from drupe_store.options import DEFAULT_FILES, STORE_DIR, StoreOptions

_log = logging.getLogger("drupe_store")

#: The session id that names the newest session.
LATEST = "latest"

#: Names accepted for the newest session: ``latest`` and its short form ``last``.
LATEST_NAMES = frozenset({LATEST, "last"})


def open_backend(options: StoreOptions) -> drupe.SessionStore | None:
    """The bundled backend ``options`` ask for, or ``None`` when it has no place.

    Opening creates nothing: the store's file or folder appears at its first
    write (a session's first record), so reading the history of a project
    that never ran (`drupe info`, ``drupe sessions list``, shell completion)
    leaves no ``.drupe/`` behind.
    """
    if options.path is None:
        return None
    if options.backend == "json":
        from drupe_store.json_store import JsonStore

        return JsonStore(options.path, lazy=True)
    from drupe_store.sqlite_store import SqliteStore

    return SqliteStore(options.path, busy_timeout=options.busy_timeout, lazy=True)


class History:
    """Read access to a session store: ``list_sessions``, ``get_session``, ``get_run``, ``find``.

    Use it as a context manager (or call ``close()``) to release the store.
    """

    def __init__(self, store: drupe.SessionStore) -> None:
        self.store = store

    def list_sessions(
        self, *, limit: int | None = 20, status: str | None = None
    ) -> list[Mapping[str, Any]]:
        """Session records, newest first (``limit=None``: all of them)."""
        if limit is not None and limit < 0:
            raise drupe.UsageError(f"limit must be 0 or more, not {limit}")
        return list(self.store.list_sessions(limit=limit or None, status=status))

    def iter_sessions(
        self, *, limit: int | None = 20, status: str | None = None
    ) -> Iterator[Mapping[str, Any]]:
        """`list_sessions` one record at a time (streamed by stores that can: SQLite)."""
        if limit is not None and limit < 0:
            raise drupe.UsageError(f"limit must be 0 or more, not {limit}")
        streaming = getattr(self.store, "iter_sessions", None)
        if callable(streaming):
            yield from streaming(limit=limit or None, status=status)
        else:
            yield from self.store.list_sessions(limit=limit or None, status=status)

    def iter_session_texts(
        self, *, limit: int | None = 20, status: str | None = None
    ) -> Iterator[str]:
        """`iter_sessions` as JSON texts (passed through from stores that keep JSON: SQLite)."""
        texts = getattr(self.store, "iter_session_texts", None)
        if callable(texts):
            if limit is not None and limit < 0:
                raise drupe.UsageError(f"limit must be 0 or more, not {limit}")
            yield from texts(limit=limit or None, status=status)
            return
        for record in self.iter_sessions(limit=limit, status=status):
            yield json.dumps(record, default=str)

    def iter_session_rows(
        self, *, limit: int | None = 20, status: str | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """The columns ``drupe sessions list`` shows, one tuple per session (see `summary_row`).

        Read from the store's columns when it has them (SQLite: no record is
        decoded), else made from each record.
        """
        if limit is not None and limit < 0:
            raise drupe.UsageError(f"limit must be 0 or more, not {limit}")
        rows = getattr(self.store, "iter_session_rows", None)
        if callable(rows):
            yield from rows(limit=limit or None, status=status)
            return
        for record in self.iter_sessions(limit=limit, status=status):
            yield summary_row(record)

    def find(self, prefix: str, limit: int = 2) -> list[str]:
        """Session ids starting with ``prefix`` (or whose random tail starts with it)."""
        finder = getattr(self.store, "find_session_ids", None)
        if finder is not None:
            return list(finder(prefix, limit))
        ids = [str(r["session_id"]) for r in self.store.list_sessions(limit=None)]
        tails = [i.rpartition("Z-")[2] for i in ids]
        return sorted(
            i
            for i, t in zip(ids, tails, strict=True)
            if i.startswith(prefix) or t.startswith(prefix)
        )[:limit]

    def get_session(self, session_id: str) -> Mapping[str, Any]:
        """The session (runs included) whose id is, or uniquely starts with, ``session_id``.

        ``"latest"`` (or ``"last"``) names the newest session. The random tail of an id
        (``3fa9c01b7e`` in ``2026-...Z-3fa9c01b7e``) or its start works too.
        """
        prefix = session_id.strip()
        record = self.store.get_session(prefix) if prefix else None
        if record is not None:
            return record
        if prefix in LATEST_NAMES:
            newest = self.store.list_sessions(limit=1)
            if not newest:
                raise drupe.StoreError(f"no session recorded yet in {self.describe()}")
            prefix = str(newest[0]["session_id"])
            record = self.store.get_session(prefix)
            if record is not None:
                return record
        matches = self.find(prefix, limit=6) if prefix else []
        if not matches:
            raise drupe.StoreError(
                f"no session {session_id!r} in {self.describe()}: see `drupe sessions list`"
            )
        if len(matches) > 1:
            shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
            raise drupe.StoreError(
                f"session id prefix {session_id!r} is ambiguous ({shown}): give more characters"
            )
        found = self.store.get_session(matches[0])
        if found is None:  # deleted in between
            raise drupe.StoreError(f"session {matches[0]} vanished from {self.describe()}")
        return found

    def get_run(self, run_id: str) -> Mapping[str, Any]:
        """The record of one run, by its exact id; `drupe.StoreError` when there is none.

        Asks the store's ``get_run`` (an index lookup in SQLite); a store
        without one is searched session by session.
        """
        record = self.find_run(run_id)
        if record is None:
            raise drupe.StoreError(
                f"no run {run_id!r} in {self.describe()}: run ids are listed by "
                f"`drupe sessions show SESSION_ID`"
            )
        return record

    def find_run(self, run_id: str) -> Mapping[str, Any] | None:
        """`get_run`, or ``None`` when no run has that id."""
        run_id = run_id.strip()
        if not run_id:
            return None
        get_run = getattr(self.store, "get_run", None)
        if callable(get_run):
            found: Mapping[str, Any] | None = get_run(run_id)
            return found
        for listed in self.store.list_sessions(limit=None):
            session = self.store.get_session(str(listed["session_id"])) or {}
            for run in session.get("runs") or ():
                if run.get("run_id") == run_id:
                    return dict(run)
        return None

    def describe(self) -> str:
        path = getattr(self.store, "path", None)
        return f"the session store {path}" if path is not None else repr(self.store)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> History:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def local_time(value: str | None) -> str | None:
    """An ISO timestamp as ``YYYY-MM-DD HH:MM:SS`` in local time (``None`` when missing)."""
    if not value:
        return None
    from datetime import datetime

    try:
        return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return None


def summary_row(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """``(session_id, status, kind, created, duration_s, run_count, run_time_s, env,
    git_commit, git_dirty)`` of a session record: one line of ``drupe sessions list``."""
    from drupe_store.records import number_or_none

    git = record.get("git")
    git = git if isinstance(git, Mapping) else {}
    return (
        record["session_id"],
        record.get("status"),
        record.get("kind"),
        local_time(record.get("created_at")),
        number_or_none(record.get("duration_s")),
        record.get("run_count", len(record.get("runs") or ())),
        number_or_none(record.get("run_time_s")),
        record.get("env"),
        git.get("commit"),
        git.get("dirty"),
    )


def open_history(
    project_path: str | os.PathLike[str] | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    backend: str | None = None,
    disable_plugins: tuple[str, ...] = (),
) -> History:
    """Open the session history of the project containing ``project_path`` (default: cwd).

    ``path`` (with ``backend``, "sqlite" or "json", guessed from the path
    when omitted) opens a store file or folder directly, without plugins.
    """
    if path is not None:
        target = Path(path).expanduser().resolve()
        chosen = backend or ("json" if target.is_dir() or not target.suffix else "sqlite")
        options = StoreOptions.from_mapping({"backend": chosen, "path": str(target)}, None)
        store = open_backend(options)
        assert store is not None
        return History(store)
    start = Path(project_path or Path.cwd()).expanduser().resolve()
    manager = drupe.build_plugin_manager(start=start, disable_plugins=disable_plugins)
    return history_for(manager, start)


def history_for(manager: drupe.PluginManager, start: Path) -> History:
    """The history the plugins of ``manager`` would write to for a session started at ``start``."""
    project = manager.hook.find_project(start=start)
    settings = _settings_or_none(manager, project)
    store = manager.hook.open_store(project=project, settings=settings)
    if store is None and project is None:
        store = _store_above(start)
    if store is None:
        raise drupe.StoreError(
            f"no session history found from {start}: sessions are kept under "
            f"<project>/{STORE_DIR}/ once a session ran there; run inside a project or pass "
            f"--project (or set SESSION_STORE_ARGS['path'])"
        )
    return History(store)


def _settings_or_none(manager: drupe.PluginManager, project: drupe.Project | None) -> Any:
    """The project's settings; ``None`` (with a warning) when they cannot be loaded.

    History must stay readable when the project is broken (a syntax error in
    ``settings.py`` is exactly when one looks at past runs): without
    settings, the store is looked for where ``SESSION_STORE_ARGS`` puts it
    by default.
    """
    try:
        return manager.hook.load_settings(project=project, plugin_manager=manager)
    except drupe.DrupeError as exc:
        _log.warning(
            "drupe_store: the project's settings could not be loaded (%s); reading the history "
            "from its default place (a SESSION_STORE_ARGS in settings.py is not applied)",
            exc,
        )
        return None


def _store_above(start: Path) -> drupe.SessionStore | None:
    """No project plugin answered: use the nearest default store above ``start``."""
    for folder in (start, *start.parents):
        for backend, name in DEFAULT_FILES.items():
            candidate = folder / STORE_DIR / name
            if candidate.exists():
                return open_backend(StoreOptions(backend=backend, path=candidate))
    return None
