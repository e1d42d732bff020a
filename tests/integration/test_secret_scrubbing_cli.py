"""Secrets stay out of ``drupe run``'s terminal, its log lines and the raw store, by value.

A real project, a real ``drupe run`` subprocess, real SQLite and JSON-lines
files read as bytes: a credential and a secret-looking ``--params`` value,
logged by a node and by a hook, or quoted by an error raised outside the
run (``after_context_created``), never show in clear.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from drupe_process import drupe

from drupe.testing import write_project

# Distinctive values: they cannot occur by chance in a timestamp, an id or a path.
TOKEN = "tok-Qv7Zp2Lx9"
PASSWORD = "cred-Hw4Nn8Rk"
PIN = "pin-Jd5Ts3Vb"  # secret only through the project's SECRET_KEY_PATTERN

REGISTRY = """
import logging
import os
import signal

from drupe_pipeline import Pipeline, node

log = logging.getLogger(__name__)


def use(api_token, card_pin, die):
    log.warning("calling the API with %s (pin %s)", api_token, card_pin)
    if die:
        os.kill(os.getpid(), signal.SIGKILL)  # only what was written before this stays
    return 1


def register_pipelines():
    return {
        "__default__": Pipeline(
            [node(use, ["params:api_token", "params:card_pin", "params:die"], "out")]
        )
    }
"""

SETTINGS = """
import logging

from drupe import hookimpl
from drupe_config.secrets import DEFAULT_SECRET_KEY_PATTERN as default_pattern

log = logging.getLogger("demo.hooks")

SECRET_KEY_PATTERN = default_pattern + r"|(?:^|_)pin(?:_|$)"
SESSION_STORE_ARGS = {"backend": "BACKEND"}


class Hooks:
    @hookimpl
    def after_context_created(self, context):
        password = context.config_loader["credentials"]["db"]["password"]
        token = context.runtime_params.get("api_token")
        log.warning("connecting with %s and %s", password, token)
        if context.runtime_params.get("fail_hook"):
            raise ConnectionError(f"db refused password {password} (token {token})")


HOOKS = (Hooks(),)
"""


def make_project(root: Path, backend: str) -> Path:
    return write_project(
        root,
        "vault",
        files={
            "src/vault/pipeline_registry.py": REGISTRY,
            "src/vault/settings.py": SETTINGS.replace("BACKEND", backend),
            "conf/base/parameters.yml": "api_token: none\ncard_pin: none\ndie: false\n",
            "conf/local/credentials.yml": f"db:\n  password: {PASSWORD}\n",
        },
    )


def stored_bytes(project: Path) -> str:
    """Every file of the store, raw (SQLite pages and log, JSON lines), as text."""
    files = [p for p in (project / ".drupe").rglob("*") if p.is_file()]
    assert files, "the run left no store behind"
    return "".join(p.read_bytes().decode("latin-1") for p in files)


def assert_hidden(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text


@pytest.mark.parametrize("backend", ["sqlite", "json"])
def test_logged_secrets_are_masked_in_the_terminal_and_the_store(
    tmp_path: Path, backend: str
) -> None:
    project = make_project(tmp_path / "vault", backend)
    done = drupe(project, "run", "--params", f"api_token={TOKEN},card_pin={PIN}")
    assert done.returncode == 0, done.stderr
    # The node's and the hook's lines are there, their secrets are not.
    assert "calling the API with *** (pin ***)" in done.stderr
    assert "connecting with *** and ***" in done.stderr
    assert_hidden(done.stderr + done.stdout, TOKEN, PASSWORD, PIN)
    assert_hidden(stored_bytes(project), TOKEN, PASSWORD, PIN)


@pytest.mark.parametrize("start_method", ["spawn", "fork"])
def test_a_worker_process_scrubs_its_log_lines_too(tmp_path: Path, start_method: str) -> None:
    project = make_project(tmp_path / "vault", "sqlite")
    done = drupe(
        project,
        "run",
        "--runner",
        "parallel",
        "--params",
        f"api_token={TOKEN},card_pin={PIN}",
        env={"DRUPE_MP_CONTEXT": start_method},
    )
    assert done.returncode == 0, done.stderr
    assert "calling the API with *** (pin ***)" in done.stderr
    assert_hidden(done.stderr + done.stdout, TOKEN, PASSWORD, PIN)


@pytest.mark.slow(seconds=3)
def test_a_dask_worker_scrubs_its_log_lines_too(tmp_path: Path) -> None:
    project = make_project(tmp_path / "vault", "sqlite")
    done = drupe(
        project,
        "run",
        "--runner",
        "dask",
        "--runner-option",
        "workers=1",
        "--params",
        f"api_token={TOKEN},card_pin={PIN}",
    )
    assert done.returncode == 0, done.stderr
    assert "calling the API with *** (pin ***)" in done.stderr
    assert_hidden(done.stderr + done.stdout, TOKEN, PASSWORD, PIN)


@pytest.mark.parametrize("backend", ["sqlite", "json"])
def test_an_error_raised_outside_the_run_is_scrubbed_on_the_cli_line_and_in_the_record(
    tmp_path: Path, backend: str
) -> None:
    project = make_project(tmp_path / "vault", backend)
    failed = drupe(project, "run", "--params", f"api_token={TOKEN},fail_hook=true")
    assert failed.returncode == 1
    assert "unexpected ConnectionError: db refused password *** (token ***)" in failed.stderr
    assert_hidden(failed.stderr + failed.stdout, TOKEN, PASSWORD)
    assert_hidden(stored_bytes(project), TOKEN, PASSWORD)

    shown = drupe(project, "sessions", "show", "--json", _only_session(project))
    assert shown.returncode == 0, shown.stderr
    assert "db refused password *** (token ***)" in shown.stdout
    assert '"status": "failed"' in shown.stdout


@pytest.mark.parametrize("backend", ["sqlite", "json"])
def test_the_record_written_at_create_is_scrubbed_by_value(tmp_path: Path, backend: str) -> None:
    # card_pin is secret only by the project's SECRET_KEY_PATTERN (the store's own key
    # words do not know "pin"), and the token is repeated under a harmless key: masking
    # by key alone left both in the record written at create. The node kills the
    # process, so the records written at create and at the run's start are all there is.
    project = make_project(tmp_path / "vault", backend)
    killed = drupe(
        project, "run", "--params", f"api_token={TOKEN},note={TOKEN},card_pin={PIN},die=true"
    )
    assert killed.returncode == -9, killed.stderr
    raw = stored_bytes(project)
    assert '"status": "open"' in raw or '"status":"open"' in raw  # the create record is there
    assert_hidden(raw, TOKEN, PIN, PASSWORD)
    assert_hidden(killed.stderr, TOKEN, PIN, PASSWORD)


def _only_session(project: Path) -> str:
    listed = drupe(project, "sessions", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    import json

    (record,) = json.loads(listed.stdout)
    return str(record["session_id"])
