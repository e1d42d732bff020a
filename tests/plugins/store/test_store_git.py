"""Git facts are read from the repository's files (git itself only for the dirty flag)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from store_testkit import history_at, plugins_for

import drupe
from drupe_store.gitinfo import RACY_MARGIN_S, git_info
from drupe_store.treestate import parse_index

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=GIT_ENV, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "code.py").write_text("x = 1\n")
    git(root, "add", "code.py")
    git(root, "commit", "-q", "-m", "first")
    return root


def test_the_commit_and_branch_of_a_run_are_recorded(repo: Path, backend: str) -> None:
    with drupe.Session.create(plugins=plugins_for(repo, backend), entry_points=False) as session:
        session.run()
    with history_at(repo, backend) as history:
        record = history.get_session(session.session_id)
    assert record["git"] == {
        "commit": git(repo, "rev-parse", "HEAD"),
        "branch": "main",
        "dirty": False,
    }
    # The history folder ignores itself: recording never makes the work tree dirty.
    assert git(repo, "status", "--porcelain") == ""


def test_uncommitted_changes_to_tracked_files_are_dirty(repo: Path) -> None:
    (repo / "untracked.txt").write_text("new\n")
    assert git_info(repo)["dirty"] is False  # untracked files do not count
    (repo / "code.py").write_text("x = 2\n")
    assert git_info(repo)["dirty"] is True


def test_packed_refs_detached_heads_and_subfolders(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert git_info(repo / "sub" / "folder") == {"commit": head, "branch": "main", "dirty": False}
    git(repo, "checkout", "-q", "--detach")
    assert git_info(repo) == {"commit": head, "branch": None, "dirty": False}


def test_a_linked_worktree_reads_its_own_head(repo: Path, tmp_path: Path) -> None:
    git(repo, "branch", "feature")
    (repo / "code.py").write_text("x = 3\n")
    git(repo, "commit", "-q", "-am", "second")
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(worktree), "feature")
    info = git_info(worktree)
    assert info is not None
    assert info["branch"] == "feature"
    assert info["commit"] == git(worktree, "rev-parse", "HEAD") != git(repo, "rev-parse", "HEAD")


def test_a_repository_without_commits_has_a_branch_and_no_commit(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "trunk")
    assert git_info(tmp_path) == {"commit": None, "branch": "trunk", "dirty": False}


def test_outside_a_repository_there_is_no_git_record(tmp_path: Path) -> None:
    assert git_info(tmp_path) is None


def test_the_dirty_flag_follows_tracked_files_between_sessions_of_one_process(
    repo: Path,
) -> None:
    backend = "sqlite"  # the flag is found before any backend sees it
    # Let the racy window pass, so the first answer is kept and reused by the process.
    time.sleep(RACY_MARGIN_S + 0.2)
    code = repo / "code.py"
    clean = code.stat()

    def session_git() -> tuple[Any, Any]:
        """(the git record written at create, the one written at close)."""
        seen: dict[str, Any] = {}

        def peek(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
            with history_at(repo, backend) as history:
                seen.update(history.get_session(run.session_id))
            return {}

        with drupe.Session.create(
            plugins=plugins_for(repo, backend, peek), entry_points=False
        ) as session:
            session.run()
        with history_at(repo, backend) as history:
            return seen["git"], history.get_session(session.session_id)["git"]

    head = git(repo, "rev-parse", "HEAD")
    first = session_git()
    assert first[1] == {"commit": head, "branch": "main", "dirty": False}
    # Nothing changed: the process knows the answer already when the session starts.
    assert session_git() == (first[1], first[1])

    # Same size, and the modification time put back: only the change time tells.
    code.write_text("x = 9\n")
    os.utime(code, ns=(clean.st_atime_ns, clean.st_mtime_ns))
    assert code.stat().st_size == clean.st_size
    at_create, at_close = session_git()
    assert at_close == {"commit": head, "branch": "main", "dirty": True}
    assert at_create["dirty"] in (None, True)  # unknown until git answered, never stale

    code.write_text("x = 1\n")
    assert session_git()[1]["dirty"] is False

    code.write_text("x = 2\n")
    git(repo, "commit", "-q", "-am", "second")
    assert session_git()[1] == {
        "commit": git(repo, "rev-parse", "HEAD"),
        "branch": "main",
        "dirty": False,
    }
    git(repo, "rm", "-q", "--cached", "code.py")  # staged deletion: the index differs from HEAD
    assert session_git()[1]["dirty"] is True


def test_the_index_of_every_format_lists_the_tracked_files(repo: Path) -> None:
    (repo / "a b").mkdir()
    for name in ("a b/one.txt", "a b/two.txt", "zeta.txt"):
        (repo / name).write_text(name)
    git(repo, "add", ".")
    (repo / "later.txt").write_text("intent to add")
    git(repo, "add", "-N", "later.txt")  # an extended-flags entry (index version 3)
    for version in ("2", "3", "4"):
        git(repo, "update-index", "--index-version", version)
        listed = git(repo, "ls-files", "-z").encode().split(b"\0")
        assert parse_index((repo / ".git" / "index").read_bytes()) == tuple(p for p in listed if p)
