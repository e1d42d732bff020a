"""SQLite connections kept for the life of the process, one per thread and database file.

Opening a connection costs little, but closing the last one of a database
makes SQLite checkpoint the write-ahead log into the database file and
``fsync`` it: about a millisecond, more than a small session takes. Each
session opens and closes its store, so connections are not closed with the
store: `acquire` hands out a `Database` shared by every store of the process
on that file, and the connections stay open (SQLite's auto-checkpoint keeps
the log short) until the process exits, or until more than `MAX_IDLE`
databases sit unused.

* One writer connection, behind a write lock: threads of this process take
  turns in Python instead of meeting in SQLite's busy handler (which sleeps
  and retries), and the writer's page cache stays valid from one write to
  the next (a connection that sees another one's commit must drop its cache).
  Other processes are still kept out by SQLite's own locking.
* Group commit: a thread that gets the write lock writes the statements of
  every thread queued behind it in one transaction, so eight threads of a
  service pay for one commit instead of eight (one thread alone pays a
  single-statement transaction, as before).
* One reader connection per thread: threads of a service session read at the
  same time, and no read waits behind a write.
* Forks: a database belongs to the process that opened it (the cache is
  keyed by pid). A forked child opens its own, and never closes (nor even
  frees) its parent's connections, which would checkpoint and remove the
  log under the parent's feet.
* The file under a cached connection may be deleted or replaced (a user
  removing ``.drupe/``); `acquire` compares the file's identity and opens a
  new connection when it changed, so history never goes to a deleted file.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import drupe

T = TypeVar("T")
Retry = Callable[[Callable[[], Any]], Any]

#: Databases no store uses any more whose connections stay open for the next store.
MAX_IDLE = 4
#: Per-connection page cache (KiB): writes touch a few pages, and listing reads an index.
CACHE_KIB = 512


class _Write:
    """One statement waiting for its turn (``done`` once written or failed)."""

    __slots__ = ("done", "error", "sql", "values")

    def __init__(self, sql: str, values: tuple[Any, ...]) -> None:
        self.sql = sql
        self.values = values
        self.done = False
        self.error: BaseException | None = None


class Database:
    """One SQLite file as this process uses it: a locked writer, a reader per thread."""

    def __init__(
        self, path: Path, busy_timeout: float, prepare: Callable[[sqlite3.Connection], None]
    ) -> None:
        self.path = path
        self.pid = os.getpid()
        self.busy_timeout = busy_timeout
        self.write_lock = threading.Lock()
        self.users = 0
        self._connections: dict[int, sqlite3.Connection] = {}
        self._lock = threading.Lock()
        self._identity: tuple[int, int] | None = None
        self._queue: list[_Write] = []
        self._queue_lock = threading.Lock()

        #: Use only while holding `write_lock`.
        self.writer = self._connect()
        try:
            prepare(self.writer)
            self._identity = _identity(path)
        except BaseException:
            self.writer.close()
            raise

    def write(self, sql: str, values: tuple[Any, ...], retry: Retry) -> None:
        """Run one write statement; it commits before this returns (maybe with others').

        ``retry`` runs its argument again while SQLite reports the database
        busy (another process writing) and turns SQLite errors into
        `drupe.StoreError`.
        """
        pending = _Write(sql, values)
        with self._queue_lock:
            self._queue.append(pending)
        with self.write_lock:
            if not pending.done:  # else a thread ahead of us wrote it
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch, retry)
        if pending.error is not None:
            raise pending.error

    def _commit(self, batch: list[_Write], retry: Retry) -> None:
        conn = self.writer
        try:
            if len(batch) > 1:

                def together() -> None:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        for item in batch:
                            conn.execute(item.sql, item.values)
                    except BaseException:
                        if conn.in_transaction:
                            conn.execute("ROLLBACK")
                        raise
                    conn.execute("COMMIT")

                try:
                    retry(together)
                    for item in batch:
                        item.done = True
                    return
                except Exception:
                    pass  # one bad statement: write each alone, so the others land
            for item in batch:
                sql, values = item.sql, item.values
                try:
                    retry(lambda: conn.execute(sql, values))  # noqa: B023 - called at once
                except Exception as exc:
                    item.error = exc
                item.done = True
        finally:
            for item in batch:  # interrupted (KeyboardInterrupt): never leave a writer waiting
                if not item.done:
                    item.error = drupe.StoreError("the write was interrupted before it committed")
                    item.done = True

    def reader(self) -> sqlite3.Connection:
        """This thread's connection for reading, opened on first use."""
        ident = threading.get_ident()
        conn = self._connections.get(ident)
        if conn is not None:
            return conn
        conn = self._connect()
        with self._lock:
            self._prune()
            self._connections[ident] = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout,
            isolation_level=None,  # autocommit; multi-statement writes say BEGIN IMMEDIATE
            check_same_thread=False,  # closed at exit from another thread
            cached_statements=32,
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable across app crashes
        except BaseException:
            conn.close()
            raise
        return conn

    def _prune(self) -> None:
        """Close the connections of threads that ended (a thread per request must not leak)."""
        alive = {thread.ident for thread in threading.enumerate()}
        for ident in [i for i in self._connections if i not in alive]:
            self._connections.pop(ident).close()

    def same_file(self) -> bool:
        """Whether the path still names the file the connections have open."""
        return self._identity is not None and _identity(self.path) == self._identity

    def close(self) -> None:
        """Close every connection (in the process that opened them only)."""
        if os.getpid() != self.pid:
            return
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
        for conn in connections:
            conn.close()
        with self.write_lock:
            self.writer.close()  # last: it checkpoints the log when no one else has it open


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


_databases: dict[tuple[int, str], Database] = {}
_idle: OrderedDict[tuple[int, str], Database] = OrderedDict()
_lock = threading.Lock()


def acquire(
    path: Path, busy_timeout: float, prepare: Callable[[sqlite3.Connection], None]
) -> Database:
    """The process's `Database` for ``path``, opened (and ``prepare``\\ d) if needed."""
    key = (os.getpid(), os.path.abspath(path))
    with _lock:
        database = _databases.get(key)
        if database is not None and not database.same_file():
            del _databases[key]
            if _idle.pop(key, None) is not None:
                database.close()
            database = None
        if database is None:
            database = Database(path, busy_timeout, prepare)
            _databases[key] = database
        _idle.pop(key, None)
        database.users += 1
        return database


def release(database: Database) -> None:
    """A store is done with ``database``: keep it open for the next, up to `MAX_IDLE` idle."""
    key = (database.pid, os.path.abspath(database.path))
    with _lock:
        database.users -= 1
        if database.users > 0:
            return
        if _databases.get(key) is not database:  # replaced when its file changed
            database.close()
            return
        _idle[key] = database
        while len(_idle) > MAX_IDLE:
            old_key, old = _idle.popitem(last=False)
            del _databases[old_key]
            old.close()


def close_all() -> None:
    """Close this process's connections (at exit: the last close checkpoints the log)."""
    with _lock:
        mine = [d for k, d in _databases.items() if k[0] == os.getpid()]
        for key in [k for k in _databases if k[0] == os.getpid()]:
            del _databases[key]
            _idle.pop(key, None)
    for database in mine:
        database.close()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # another thread may have held it at the fork


atexit.register(close_all)
os.register_at_fork(after_in_child=_after_fork_in_child)
