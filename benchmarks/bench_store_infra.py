"""Does the store's hand-written infrastructure earn its place? Figures against the stdlib way.

Run by hand: ``python benchmarks/bench_store_infra.py [--sessions 200] [--files 300]``.

Prints, each against the plain alternative named in issue 14:

1. git facts of a session in a repository of ``--files`` tracked files:
   ``gitinfo`` (commit and branch read from ``.git`` files, the dirty flag
   cached under ``treestate``'s fingerprint of the tracked files) against
   asking ``git`` itself each session (``rev-parse``, ``symbolic-ref`` and
   ``status`` subprocesses, in a background thread as `GitProbe` does),
   measured as whole recorded session lifecycles per second;
2. SQLite writes of one session (create, run start, run end, close):
   ``sqlite_connections`` (connections kept per process, one writer behind
   a lock) against one connection opened and closed per session (the WAL
   checkpoint that the last close runs included), in sessions per second.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench_store import ProjectAt  # the same stand-in project and settings

import drupe
import drupe_store
from drupe.testing import FunctionExecutor, StaticConfig
from drupe_store import gitinfo
from drupe_store.sqlite_store import SqliteStore

GIT_ENV = {
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@example.com",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@example.com",
}


def make_repo(root: Path, files: int) -> None:
    root.mkdir(parents=True)
    for index in range(files):
        folder = root / "src" / f"pkg{index % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"module{index}.py").write_text(f"VALUE = {index}\n")
    env = {**os.environ, **GIT_ENV}
    for argv in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", "-C", str(root), *argv], check=True, env=env)


def lifecycles_per_second(root: Path, count: int) -> float:
    plugins = [
        drupe_store.StorePlugin,
        ProjectAt(root),
        StaticConfig({"parameters": {"alpha": 1}}),
        FunctionExecutor(lambda context, run: {"out": 1}),
    ]
    started = time.perf_counter()
    for _ in range(count):
        with drupe.Session.create(plugins=plugins, entry_points=False) as session:
            session.run()
    return count / (time.perf_counter() - started)


class SubprocessProbe:
    """The plain way: ask git for everything, each session, in a background thread."""

    def __init__(self, start: Path) -> None:
        self.info: dict[str, Any] | None = None
        self.thread = threading.Thread(target=self._ask, args=(start,), daemon=True)
        self.thread.start()

    def _ask(self, start: Path) -> None:
        def git(*argv: str) -> str | None:
            done = subprocess.run(
                ["git", "-C", str(start), *argv], capture_output=True, text=True, check=False
            )
            return done.stdout.strip() if done.returncode == 0 else None

        commit = git("rev-parse", "HEAD")
        if commit is None:
            return
        status = git("status", "--porcelain", "--untracked-files=no")
        self.info = {
            "commit": commit,
            "branch": git("symbolic-ref", "--short", "-q", "HEAD"),
            "dirty": None if status is None else bool(status),
        }

    @classmethod
    def started(cls, start: Path) -> SubprocessProbe:
        return cls(start)

    def current(self) -> dict[str, Any] | None:
        return None if self.info is None else dict(self.info)

    def final(self, timeout: float) -> dict[str, Any] | None:
        self.thread.join(timeout)
        return self.current()


def sqlite_sessions_per_second(folder: Path, count: int, pooled: bool) -> float:
    path = folder / ("pooled.db" if pooled else "plain.db")
    SqliteStore(path).close()  # schema in place for both
    record = {"status": "open", "created_at": "2026-01-01T00:00:00+00:00", "kind": "session"}
    started = time.perf_counter()
    for index in range(count):
        sid, rid = f"s{index}", f"r{index}"
        if pooled:
            store = SqliteStore(path)
            store.save_session({**record, "session_id": sid})
            store.add_run({"run_id": rid, "session_id": sid, "status": "running"})
            store.save_run({"run_id": rid, "session_id": sid, "status": "succeeded"})
            store.save_session({**record, "session_id": sid, "status": "closed"})
            store.close()
        else:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("SELECT max(version) FROM schema_version").fetchone()
            for sql, values in (
                (
                    "INSERT INTO sessions (session_id, created_at, status, record) "
                    "VALUES (?, ?, 'open', '{}')",
                    (sid, "x"),
                ),
                ("INSERT INTO runs (run_id, session_id, record) VALUES (?, ?, '{}')", (rid, sid)),
                ("UPDATE runs SET record = '{}', status = 'succeeded' WHERE run_id = ?", (rid,)),
                ("UPDATE sessions SET status = 'closed' WHERE session_id = ?", (sid,)),
            ):
                conn.execute(sql, values)
            conn.close()
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--files", type=int, default=300)
    args = parser.parse_args()
    if shutil.which("git") is None:
        sys.exit("git is not installed")
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "repo"
        make_repo(repo, args.files)
        time.sleep(gitinfo.RACY_MARGIN_S + 0.5)  # files this recent are never cached: wait
        lifecycles_per_second(repo, 5)  # warm up, fill the dirty-flag cache
        hand = lifecycles_per_second(repo, args.sessions)
        original = gitinfo.GitProbe
        from drupe_store import recorder

        recorder.GitProbe = SubprocessProbe  # type: ignore[assignment,misc]
        try:
            plain = lifecycles_per_second(repo, args.sessions)
        finally:
            recorder.GitProbe = original  # type: ignore[misc]
        print(f"1. recorded sessions in a git repository of {args.files} tracked files")
        print(f"   gitinfo + treestate (files, cached dirty flag) {hand:8.0f} sessions/s")
        print(f"   git subprocesses in a background thread        {plain:8.0f} sessions/s")
        print(f"   hand-written is {hand / plain:.1f}x faster")

        pooled = sqlite_sessions_per_second(Path(folder), args.sessions * 5, pooled=True)
        plain_db = sqlite_sessions_per_second(Path(folder), args.sessions * 5, pooled=False)
        print(f"2. SQLite writes of {args.sessions * 5} sessions (4 writes each)")
        print(f"   sqlite_connections (kept per process)          {pooled:8.0f} sessions/s")
        print(f"   one connection opened and closed per session   {plain_db:8.0f} sessions/s")
        print(f"   hand-written is {pooled / plain_db:.1f}x faster")


if __name__ == "__main__":
    main()
