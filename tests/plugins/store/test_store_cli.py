"""``drupe run`` then ``drupe sessions list|show|rerun``, end to end, on real projects."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from drupe.testing import write_project
from drupe_store import open_history

ROOT = Path(__file__).resolve().parents[3]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def drupe(cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "drupe", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def sessions(cwd: Path, *args: str) -> Any:
    return json.loads(drupe(cwd, "sessions", *args, "--json").stdout)


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    project = tmp_path / "hello"
    shutil.copytree(ROOT / "examples" / "hello", project, ignore=shutil.ignore_patterns(".drupe"))
    return project


def test_drupe_run_in_a_git_repository_records_commit_params_and_command(hello: Path) -> None:
    git(hello, "init", "-q", "-b", "main")
    git(hello, "add", ".")
    git(hello, "commit", "-q", "-m", "hello")
    commit = git(hello, "rev-parse", "HEAD")

    drupe(hello, "run", "--env", "local", "--params", "name=you,api_token=t0ps3cret")

    (listed,) = sessions(hello, "list")
    record = sessions(hello, "show", listed["short_id"][:6])
    assert record["status"] == "closed"
    assert record["git"] == {"commit": commit, "branch": "main", "dirty": False}
    assert record["env"] == "local"
    assert record["package_name"] == "hello"
    assert record["project_path"] == str(hello)
    assert record["runtime_params"] == {"name": "you", "api_token": "***"}
    assert record["cli"]["command"] == "drupe run"
    assert record["cli"]["args"] == ["run", "--env", "local", "--params", "name=you,api_token=***"]
    assert {p["name"] for p in record["plugins"]} >= {"project", "settings", "config", "pipeline"}
    assert all(p["version"] for p in record["plugins"] if p["source"] == "entry point")
    (run,) = record["runs"]
    assert run["status"] == "succeeded"
    assert run["outputs"] == ["stats"]
    assert "pipeline_names" not in run["request"]["selection"]  # only what was given
    assert "t0ps3cret" not in json.dumps(record)
    assert git(hello, "status", "--porcelain") == ""  # history never dirties the repository


def test_drupe_run_outside_a_repository_records_no_git(hello: Path) -> None:
    drupe(hello, "run")
    (listed,) = sessions(hello, "list")
    assert listed["git"] is None
    assert listed["status"] == "closed"


def test_list_table_show_text_and_clear_errors(hello: Path) -> None:
    drupe(hello, "run", "--to-nodes", "shout")
    failed = drupe(hello, "run", "--nodes", "no_such_node", ok=False)
    assert failed.returncode != 0

    table = drupe(hello, "sessions", "list").stdout.splitlines()
    assert table[0].split() == [
        "ID",
        "STATUS",
        "KIND",
        "CREATED",
        "DURATION",
        "RUNS",
        "ENV",
        "COMMIT",
    ]
    assert [line.split()[1] for line in table[1:]] == ["failed", "closed"]
    (failed_record,) = sessions(hello, "list", "--status", "failed")
    text = drupe(hello, "sessions", "show", failed_record["session_id"]).stdout
    assert "status       failed" in text
    assert "no_such_node" in text  # the error message is shown
    assert "Traceback (most recent call last)" in text

    unknown = drupe(hello, "sessions", "show", "zzzz", ok=False)
    assert unknown.returncode == 1
    assert "no session 'zzzz'" in unknown.stderr
    ambiguous = drupe(hello, "sessions", "show", "20", ok=False)
    assert "ambiguous" in ambiguous.stderr
    bad_status = drupe(hello, "sessions", "list", "--status", "done", ok=False)
    assert bad_status.returncode == 2
    assert sessions(hello, "list", "--limit", "1")[0]["session_id"] == failed_record["session_id"]


def test_rerun_reproduces_env_params_and_selection_and_warns_on_new_commits(hello: Path) -> None:
    git(hello, "init", "-q", "-b", "main")
    git(hello, "add", ".")
    git(hello, "commit", "-q", "-m", "hello")
    drupe(hello, "run", "--env", "local", "--to-nodes", "shout", "--params", "name=x,times=2")
    (original,) = sessions(hello, "list")
    original_record = sessions(hello, "show", original["session_id"])

    same = drupe(hello, "sessions", "rerun", original["short_id"])
    assert "completed node shout (2/2)" in same.stderr  # the same selection: 2 of 3 nodes
    assert "warning" not in same.stderr

    (hello / "README.md").write_text("changed\n")
    git(hello, "commit", "-q", "-am", "change")
    changed = drupe(hello, "sessions", "rerun", original["session_id"])
    assert f"ran at git commit {original['git']['commit'][:12]}" in changed.stderr

    newest, middle, first = sessions(hello, "list")
    assert first["session_id"] == original["session_id"]
    for rerun in (newest, middle):
        record = sessions(hello, "show", rerun["session_id"])
        assert record["rerun_of"] == original["session_id"]
        assert record["env"] == "local"
        assert record["runtime_params"] == {"name": "x", "times": 2}
        assert record["runs"][0]["request"]["selection"]["to_nodes"] == ["shout"]
        assert record["runs"][0]["outputs"] == original_record["runs"][0]["outputs"]
        assert record["cli"]["command"] == "drupe sessions rerun"


def test_rerun_asks_again_for_masked_params(hello: Path) -> None:
    drupe(hello, "run", "--params", "name=x,db_password=hunter2")
    (original,) = sessions(hello, "list")
    refused = drupe(hello, "sessions", "rerun", original["session_id"], ok=False)
    assert refused.returncode == 2
    assert "masked runtime params (db_password)" in refused.stderr
    drupe(hello, "sessions", "rerun", original["session_id"], "--params", "db_password=hunter2")
    newest = sessions(hello, "list")[0]
    assert newest["rerun_of"] == original["session_id"]
    assert newest["runtime_params"] == {"name": "x", "db_password": "***"}


NAP_REGISTRY = """
import time

from drupe_pipeline import Pipeline, node


def nap(seconds):
    time.sleep(seconds)
    return seconds


def register_pipelines():
    return {"__default__": Pipeline([node(nap, "params:seconds", "slept", name="nap")])}
"""


def test_kill_9_during_drupe_run_is_listed_as_interrupted(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "napper",
        "napper",
        files={
            "src/napper/pipeline_registry.py": NAP_REGISTRY,
            "src/napper/settings.py": "",
            "conf/base/parameters.yml": "seconds: 600\n",
        },
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "drupe", "run"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        for line in process.stderr:  # wait until the node sleeps
            if "running node nap" in line or time.monotonic() > deadline:
                break
        with open_history(project) as history:
            (live,) = history.list_sessions()
            assert live["status"] == "open"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
        process.wait()

    (listed,) = sessions(project, "list", "--status", "interrupted")
    assert listed["session_id"] == live["session_id"]
    table = drupe(project, "sessions", "list").stdout
    assert "interrupted" in table
    record = sessions(project, "show", live["session_id"])
    assert [r["status"] for r in record["runs"]] == ["interrupted"]


def test_settings_choose_the_json_backend(hello: Path) -> None:
    settings = hello / "src" / "hello" / "settings.py"
    settings.write_text('SESSION_STORE_ARGS = {"backend": "json", "mask_keys": ["name"]}\n')
    drupe(hello, "run", "--params", "name=secret-name")
    (path,) = (hello / ".drupe" / "sessions").glob("*.json")
    assert "secret-name" not in path.read_text()
    assert not (hello / ".drupe" / "sessions.db").exists()
    record = sessions(hello, "show", "latest")
    assert path.stem == record["session_id"]
    assert record["runtime_params"] == {"name": "***"}


def test_sessions_outside_any_project_says_where_it_looked(tmp_path: Path) -> None:
    done = drupe(tmp_path, "sessions", "list", ok=False)
    assert done.returncode == 1
    assert f"no session history found from {tmp_path}" in done.stderr
    assert "Traceback" not in done.stderr
