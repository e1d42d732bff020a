"""SQLite connections kept for the life of the process, one per thread and database file.

Opening a connection costs little, but closing the last one of a database
makes SQLite checkpoint the write-ahead log into the database file and
``fsync`` it: about a millisecond, more than a small session takes. Each
session opens and closes its store, so connections are not closed with the
store: `acquire` hands out a `Database` shared by every store of the process
on that file, and the connections stay open (SQLite's auto-checkpoint keeps
the log short) until the process exits, or until more than `MAX_IDLE`
databases sit unused.

* One connection per thread: threads of a service session read at the same
  time, and no thread waits behind another's query.
* One write lock per database: threads of this process take turns in Python
  instead of meeting in SQLite's busy handler, which sleeps and retries.
  Other processes are still kept out by SQLite's own locking.
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

#: Databases no store uses any more whose connections stay open for the next store.
MAX_IDLE = 4
#: Per-connection page cache (KiB): writes touch a few pages, and listing reads an index.
CACHE_KIB = 8000


class Database:
    """One SQLite file as this process uses it: a write lock and a connection per thread."""

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
        first = self.connection()
        try:
            prepare(first)
            self._identity = _identity(path)
        except BaseException:
            self.close()
            raise

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        ident = threading.get_ident()
        conn = self._connections.get(ident)
        if conn is not None:
            return conn
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
        with self._lock:
            self._prune()
            self._connections[ident] = conn
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
