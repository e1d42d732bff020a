"""``drupe run`` then ``drupe sessions list|show|rerun``, end to end, on real projects."""

from __future__ import annotations

import contextlib
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
from click.testing import CliRunner

from drupe.cli.main import cli
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
    """The records ``drupe sessions ARGS --json`` prints, from the real command run in this process.

    Click's runner, not a subprocess: these calls read what earlier commands
    recorded, and a fresh interpreter would cost more than the command does.
    The commands' text output, errors and exit codes are checked in real
    processes (`drupe`). The project's modules are forgotten after each call,
    as a new process would not have them.
    """
    try:
        with contextlib.chdir(cwd):
            result = CliRunner().invoke(cli, ["sessions", *args, "--json"], prog_name="drupe")
    finally:
        for name, module in list(sys.modules.items()):
            if (getattr(module, "__file__", None) or "").startswith(str(cwd)):
                del sys.modules[name]
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


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
        "RUN",
        "TIME",
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
    assert f"drupe: rerunning session {original['session_id']}" in same.stderr
    assert "drupe: run succeeded in" in same.stderr  # the same summary as drupe run
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
    (path,) = (hello / ".drupe" / "sessions").glob("*.jsonl")
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


def test_list_skips_an_unreadable_row_with_a_warning_naming_it(hello: Path) -> None:
    import sqlite3

    for _ in range(4):
        drupe(hello, "run")
    listed = sessions(hello, "list")
    db = sqlite3.connect(hello / ".drupe" / "sessions.db")
    broken = [r["session_id"] for r in listed[:3]]
    for session_id, text in zip(broken, ["{bad", "{}", "[1,2]"], strict=True):
        db.execute("UPDATE sessions SET record = ? WHERE session_id = ?", (text, session_id))
    db.commit()
    db.close()
    done = drupe(hello, "sessions", "list")
    assert listed[3]["session_id"] in done.stdout
    for session_id in broken:
        assert session_id not in done.stdout
        assert f"skipping session {session_id}" in done.stderr
    assert [r["session_id"] for r in sessions(hello, "list")] == [listed[3]["session_id"]]
    shown = drupe(hello, "sessions", "show", broken[0], ok=False)
    assert shown.returncode == 1 and "is unreadable" in shown.stderr


def test_list_streams_every_session_as_valid_json(hello: Path) -> None:
    for _ in range(3):
        drupe(hello, "run")
    every = sessions(hello, "list", "-n", "0")
    assert len(every) == 3 and len({r["session_id"] for r in every}) == 3
    assert sessions(hello, "list", "--status", "interrupted") == []
    assert [r["status"] for r in sessions(hello, "list", "--status", "closed", "-n", "2")] == [
        "closed",
        "closed",
    ]


@pytest.mark.parametrize(
    ("module", "broken"),
    [("settings.py", "X = (\n"), ("pipeline_registry.py", "def register_pipelines(:\n")],
)
def test_history_stays_readable_when_the_project_is_broken(
    hello: Path, module: str, broken: str
) -> None:
    drupe(hello, "run")
    (hello / "src" / "hello" / module).write_text(broken)
    listed = sessions(hello, "list")
    assert len(listed) == 1 and listed[0]["status"] == "closed"
    assert sessions(hello, "show", "latest")["session_id"] == listed[0]["session_id"]
    info = drupe(hello, "info")
    assert "store" in info.stdout
    if module == "settings.py":
        assert "settings: NOT LOADED" in info.stdout and "SyntaxError" in info.stdout


def test_rerun_resolves_a_relative_conf_source_where_it_was_recorded(
    hello: Path, tmp_path: Path
) -> None:
    alt = hello / "alt"
    shutil.copytree(hello / "conf", alt)
    (alt / "base" / "parameters.yml").write_text("greeting: Hi\nname: alt\ntimes: 1\n")
    drupe(hello, "run", "--conf-source", "alt")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "alt" / "base").mkdir(parents=True)  # a decoy with the same relative name
    (elsewhere / "alt" / "base" / "parameters.yml").write_text("greeting: WRONG\n")
    original = sessions(hello, "show", "latest")
    assert original["cwd"] == str(hello)
    drupe(elsewhere, "--project", str(hello), "sessions", "rerun", original["session_id"])
    rerun = sessions(hello, "show", "latest")
    assert rerun["rerun_of"] == original["session_id"]
    assert rerun["conf_source"] == str(alt)
    assert rerun["status"] == "closed"


def test_rerun_refuses_masked_values_inside_lists(hello: Path) -> None:
    import drupe as kernel

    with kernel.ServiceSession.create(project_path=hello) as service:
        service.run(runtime_params={"dbs": [{"password": "x"}], "name": "n"})
    record = sessions(hello, "show", "latest")
    assert record["runs"][0]["runtime_params"]["dbs"] == [{"password": "***"}]
    refused = drupe(hello, "sessions", "rerun", record["session_id"], ok=False)
    assert refused.returncode == 2
    assert "masked runtime params (dbs.0.password)" in refused.stderr
    assert "inside a list (dbs)" in refused.stderr


LEAKY_DATASET = '''
from drupe_pipeline.datasets import AbstractDataset


class LeakyDataset(AbstractDataset):
    """Says its password when asked whether it exists (as database drivers do)."""

    def __init__(self, credentials=None):
        self._password = credentials["password"]

    def _load(self):
        return None

    def _save(self, data):
        pass

    def _exists(self):
        raise ConnectionError("cannot connect to postgres://app:" + self._password + "@db/x")

    def _describe(self):
        return {}
'''


def _stored_text(project: Path) -> str:
    return "".join(
        p.read_bytes().decode("latin-1") for p in (project / ".drupe").rglob("*") if p.is_file()
    )


def test_a_credential_in_a_dataset_error_is_scrubbed_everywhere(hello: Path) -> None:
    secret = "s3cr3t-pa55"
    (hello / "src" / "hello" / "leaky.py").write_text(LEAKY_DATASET)
    with (hello / "conf" / "base" / "catalog.yml").open("a") as catalog:
        catalog.write("stats:\n  type: hello.leaky.LeakyDataset\n  credentials: db\n")
    (hello / "conf" / "base" / "credentials.yml").write_text(f"db:\n  password: {secret}\n")
    for verbose in ((), ("--verbose",)):
        done = drupe(hello, *verbose, "run", "--only-missing-outputs", ok=False)
        assert done.returncode == 1
        assert "postgres://app:***@db/x" in done.stderr
        assert secret not in done.stdout + done.stderr
    record = sessions(hello, "show", "latest")
    assert record["status"] == "failed"
    assert "postgres://app:***@db/x" in record["runs"][0]["error"]["message"]
    assert secret not in _stored_text(hello)


def test_params_are_parsed_before_masking_and_secret_keys_follow_the_pattern(
    hello: Path,
) -> None:
    drupe(
        hello,
        "run",
        "--params",
        'api_token="abc,def=ghi,jkl",db_pass=pw-1234,dsn=postgres://u:pw-5678@h/db,'
        "auth=bearer-9999,private_key=pk-0000,name=visible",
    )
    record = sessions(hello, "show", "latest")
    params = record["runtime_params"]
    assert params["name"] == "visible"
    for key in ("api_token", "db_pass", "dsn", "auth", "private_key"):
        assert params[key] == "***", key
    (args,) = [a for a in record["cli"]["args"] if "api_token" in a]
    assert args.startswith('api_token="***",db_pass=***,dsn=***')
    stored = _stored_text(hello)
    for leaked in ("def=ghi", "jkl", "pw-1234", "pw-5678", "bearer-9999", "pk-0000"):
        assert leaked not in stored, leaked


def test_secret_key_pattern_setting_makes_more_keys_secret(hello: Path) -> None:
    settings = hello / "src" / "hello" / "settings.py"
    settings.write_text(settings.read_text() + '\nSECRET_KEY_PATTERN = r"(^|_)(name|token)(_|$)"\n')
    drupe(hello, "run", "--params", "name=Zanzibar-42")
    record = sessions(hello, "show", "latest")
    assert record["runs"][0]["runtime_params"]["name"] == "***"
    assert "Zanzibar-42" not in json.dumps(record["runs"])
    bad = hello / "src" / "hello" / "settings.py"
    bad.write_text(settings.read_text().replace(r'r"(^|_)(name|token)(_|$)"', '"("'))
    done = drupe(hello, "run", ok=False)
    assert done.returncode != 0 and "SECRET_KEY_PATTERN" in done.stderr


def test_drupe_run_with_a_used_run_id_is_refused_and_keeps_the_first_record(hello: Path) -> None:
    drupe(hello, "run", "--run-id", "nightly")
    (first,) = sessions(hello, "list")
    again = drupe(hello, "run", "--run-id", "nightly", ok=False)
    assert again.returncode != 0
    assert "run id 'nightly' is already recorded" in again.stderr
    assert "Traceback" not in again.stderr
    kept = sessions(hello, "show", first["session_id"])
    assert [(r["run_id"], r["status"]) for r in kept["runs"]] == [("nightly", "succeeded")]
    assert sessions(hello, "show", "nightly")["session_id"] == first["session_id"]
