"""The notebook extension in a real IPython shell, on a copy of examples/hello."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

import drupe

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def hello(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "hello"
    shutil.copytree(ROOT / "examples" / "hello", project, ignore=shutil.ignore_patterns(".drupe"))
    monkeypatch.chdir(project)
    return project


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    config = Config()
    config.HistoryManager.enabled = False  # no history database left open at exit
    shell = InteractiveShell.instance(config=config)
    yield shell
    if "drupe_ipython" in shell.extension_manager.loaded:
        shell.run_line_magic("unload_ext", "drupe_ipython")
    InteractiveShell.clear_instance()


def magics(shell: InteractiveShell) -> Any:
    return shell.magics_manager.registry["DrupeMagics"]


def test_load_ext_defines_the_session_and_its_views(
    hello: Path, shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_line_magic("load_ext", "drupe_ipython")
    ns = shell.user_ns
    assert isinstance(ns["session"], drupe.Session)
    assert ns["session"].project.root == hello.resolve()
    expected = {"greeting": "Hello", "name": "drupe", "times": 3}
    assert ns["context"].params == ns["params"] == expected
    assert sorted(ns["pipelines"]) == ["__default__", "greet"]
    assert ns["catalog"].load("params:name") == "drupe"
    assert "drupe: loaded project" in capsys.readouterr().out


def test_reload_takes_env_params_and_edited_node_code(
    hello: Path, shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_line_magic("load_ext", "drupe_ipython")
    first = shell.user_ns["session"]
    nodes = hello / "src" / "hello" / "nodes.py"
    nodes.write_text(nodes.read_text().replace('"!" * times', '"?" * times'), encoding="utf-8")

    shell.run_line_magic("reload_drupe", "--params times=2,name=notebook")

    assert first.closed  # the old session was closed (and recorded)
    assert shell.user_ns["session"] is not first
    assert shell.user_ns["params"]["times"] == 2
    outputs = shell.run_line_magic("run_drupe", "--to-outputs loud_greeting")
    assert outputs == {}  # loud_greeting is a catalog entry, not a free output
    stats = shell.run_line_magic("run_drupe", "")
    # name=notebook from the reload: "HELLO, NOTEBOOK??" -> 17 characters, the edited code
    assert stats == {"stats": {"characters": 17, "words": 2}}


def test_run_drupe_reports_progress_as_text_without_widgets(
    hello: Path, shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    from drupe_ipython.progress import ProgressView

    shell.run_line_magic("load_ext", "drupe_ipython")
    magics(shell).view_factory = ProgressView
    capsys.readouterr()

    outputs = shell.run_line_magic("run_drupe", "--params name=world")

    out = capsys.readouterr().out
    assert outputs == {"stats": {"characters": 15, "words": 2}}
    assert "drupe: running 3 nodes" in out
    assert "[1/3] greet" in out and "[3/3] measure" in out
    assert "drupe: run succeeded in" in out
    assert "output stats = {'characters': 15, 'words': 2}" in out
    session_id = magics(shell).last_report.session_id
    assert f"drupe sessions show {session_id}" in out


def test_run_drupe_draws_a_widget_when_ipywidgets_is_there(
    hello: Path, shell: InteractiveShell
) -> None:
    from drupe_ipython.progress import WidgetView

    shell.run_line_magic("load_ext", "drupe_ipython")
    shell.run_line_magic("run_drupe", "--from-nodes greet")
    view = magics(shell).last_progress.view
    assert isinstance(view, WidgetView)
    assert view.bar.value == 3
    assert view.bar.bar_style == "success"


def test_run_drupe_json_returns_the_run_document(hello: Path, shell: InteractiveShell) -> None:
    shell.run_line_magic("load_ext", "drupe_ipython")
    document = shell.run_line_magic("run_drupe", "--json")
    assert document["status"] == "succeeded"
    assert document["outputs"]["stats"]["value"] == {"characters": 15, "words": 2}
    assert document["duration_s"] >= 0


def test_load_node_writes_inputs_function_and_call_into_the_next_cell(
    hello: Path, shell: InteractiveShell
) -> None:
    shell.run_line_magic("load_ext", "drupe_ipython")
    shell.run_line_magic("run_drupe", "--to-nodes greet")  # nothing persisted: load params only
    shell.run_line_magic("load_node", "shout")
    cell = shell.rl_next_input
    assert "greeting = catalog.load('greeting')" in cell
    assert "params_times = catalog.load('params:times')" in cell
    assert "def shout(message: str, times: int) -> str:" in cell
    assert cell.rstrip().endswith("shout(greeting, params_times)")

    shell.run_line_magic("load_node", "measure")
    measure_cell = shell.rl_next_input
    # The cell runs as written once its inputs exist in the catalog.
    shell.user_ns["catalog"].save("loud_greeting", "HI THERE")
    result = shell.run_cell(measure_cell)
    assert result.success
    assert result.result == {"characters": 8, "words": 2}


@pytest.mark.parametrize(
    ("magic", "line", "expected"),
    [
        ("load_node", "shoot", "no node named 'shoot'"),
        ("load_node", "", "needs a node name"),
        ("run_drupe", "--nodes nope", "no node named 'nope'"),
        ("run_drupe", "--params 'a=1,,b'", "empty item"),
        ("run_drupe", "--bogus", "No such option '--bogus'"),
        ("reload_drupe", "--env", "requires an argument"),
    ],
)
def test_mistakes_are_one_line_in_the_cell(
    hello: Path,
    shell: InteractiveShell,
    capsys: pytest.CaptureFixture[str],
    magic: str,
    line: str,
    expected: str,
) -> None:
    shell.run_line_magic("load_ext", "drupe_ipython")
    capsys.readouterr()
    assert shell.run_line_magic(magic, line) is None
    err = capsys.readouterr().err
    assert expected in err
    assert err.startswith("drupe: error: ")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_a_failing_node_names_the_line_of_the_users_code(
    hello: Path, shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    nodes = hello / "src" / "hello" / "nodes.py"
    text = nodes.read_text(encoding="utf-8")
    nodes.write_text(
        text.replace('return message.upper() + "!" * times', 'raise ValueError("too quiet")'),
        encoding="utf-8",
    )
    line = next(
        number
        for number, content in enumerate(nodes.read_text().splitlines(), 1)
        if "too quiet" in content
    )
    shell.run_line_magic("load_ext", "drupe_ipython")
    capsys.readouterr()
    assert shell.run_line_magic("run_drupe", "") is None
    err = capsys.readouterr().err.strip()
    assert "node 'shout'" in err and "ValueError: too quiet" in err
    assert f"raised at src/hello/nodes.py:{line} in shout" in err
    assert "drupe sessions show " in err
    assert len(err.splitlines()) == 1
    # The history keeps the node's own error, not the one-line summary of it.
    failed = magics(shell).last_report
    from drupe_store import open_history

    with open_history(hello) as history:
        record = history.get_session(failed.session_id)
    assert record["status"] == "failed"
    assert "ValueError: too quiet" in json.dumps(record["error"])
    assert "raised at" not in json.dumps(record["error"])


def test_no_project_and_a_broken_settings_are_one_line(
    tmp_path: Path,
    hello: Path,
    shell: InteractiveShell,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    shell.run_line_magic("load_ext", "drupe_ipython")
    err = capsys.readouterr().err
    assert err.startswith("drupe: no drupe project found from ") and "%reload_drupe PATH" in err
    assert len(err.strip().splitlines()) == 1
    assert "session" not in shell.user_ns

    (hello / "src" / "hello" / "settings.py").write_text("HOOKS = (oops,\n", encoding="utf-8")
    shell.run_line_magic("reload_drupe", str(hello))
    err = capsys.readouterr().err
    assert err.startswith("drupe: error: ") and "hello.settings" in err and "SyntaxError" in err
    assert len(err.strip().splitlines()) == 1
    assert "session" not in shell.user_ns


def test_without_the_pipeline_plugin_the_notebook_says_why_catalog_and_pipelines_are_missing(
    hello: Path,
    shell: InteractiveShell,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DRUPE_DISABLE_PLUGINS", "pipeline")
    shell.run_line_magic("load_ext", "drupe_ipython")
    ns = shell.user_ns
    assert ns["params"]["name"] == "drupe"
    assert ns["catalog"] is None and ns["pipelines"] is None
    err = capsys.readouterr().err
    for label, hook in (("catalog", "get_catalog"), ("pipelines", "get_pipelines")):
        assert (
            f"drupe: {label} unavailable: no plugin answers {hook} "
            f"(is the bundled 'pipeline' plugin disabled?)"
        ) in err
    shell.run_line_magic("load_node", "shout")
    assert "%load_node needs the catalog, which is unavailable" in capsys.readouterr().err


def test_unload_closes_the_session_and_records_it(hello: Path, shell: InteractiveShell) -> None:
    shell.run_line_magic("load_ext", "drupe_ipython")
    session = shell.user_ns["session"]
    session_id = session.session_id
    shell.run_line_magic("unload_ext", "drupe_ipython")
    assert session.closed
    shown = subprocess.run(
        [sys.executable, "-m", "drupe", "sessions", "show", session_id, "--json"],
        cwd=hello,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["status"] == "closed"


def test_the_projects_logging_file_configures_the_notebooks_logging(
    hello: Path, shell: InteractiveShell, tmp_path: Path
) -> None:
    import logging

    log_file = tmp_path / "notebook.log"
    (hello / "conf" / "logging.yml").write_text(
        "version: 1\n"
        "handlers:\n"
        f"  file: {{class: logging.FileHandler, filename: {json.dumps(str(log_file))}}}\n"
        "root: {level: INFO, handlers: [file]}\n",
        encoding="utf-8",
    )
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    try:
        shell.run_line_magic("load_ext", "drupe_ipython")
        shell.run_line_magic("run_drupe", "")
        for handler in root.handlers:
            handler.flush()
        assert "running node greet" in log_file.read_text(encoding="utf-8")
    finally:
        for handler in root.handlers:
            if handler not in saved[1]:
                handler.close()
        root.handlers[:] = saved[1]
        root.setLevel(saved[0])
