"""What ``drupe run`` tells the user: logs, the summary, --json, failures, the history."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from drupe_process import drupe

from drupe.testing import write_project

REGISTRY = """
import logging

from drupe_pipeline import Pipeline, node

log = logging.getLogger(__name__)


def fit(rows):
    log.info("model has R2 %.2f", 0.93)
    log.debug("fitting details")
    return {"coef": [1.5] * 40, "rows": rows}


def score(model):
    return {"r2": 0.93, "coef_count": len(model["coef"])}


def explode(model):
    raise ValueError("no convergence")


def register_pipelines():
    good = Pipeline(
        [
            node(fit, "params:rows", "model", name="fit"),
            node(score, "model", "metrics", name="score"),
        ]
    )
    bad = Pipeline([node(fit, "params:rows", "model", name="fit"), node(explode, "model", "x")])
    return {"__default__": good, "bad": bad}
"""

CATALOG = """
model:
  type: JSONDataset
  filepath: data/model.json
  versioned: true
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(
        tmp_path / "fitter",
        "fitter",
        files={
            "src/fitter/pipeline_registry.py": REGISTRY,
            "src/fitter/settings.py": "",
            "conf/base/parameters.yml": "rows: 3\n",
            "conf/base/catalog.yml": CATALOG,
        },
    )


def test_the_summary_says_what_was_saved_where_the_values_and_the_recorded_duration(
    project: Path,
) -> None:
    done = drupe(project, "run")
    assert done.returncode == 0, done.stderr
    err = done.stderr
    assert "INFO fitter.pipeline_registry: model has R2 0.93" in err  # project INFO by default
    assert "fitting details" not in err
    assert "\x1b[" not in err  # piped: plain text

    # `drupe sessions show` without an id is the latest session; `last` is an alias.
    record = json.loads(drupe(project, "sessions", "show", "--json").stdout)
    assert json.loads(drupe(project, "sessions", "show", "last", "--json").stdout) == record
    (run,) = record["runs"]
    version = run["run_id"]
    assert f"saved  model -> data/model.json (version {version})" in err
    assert (project / "data" / "model.json" / version / "model.json").is_file()
    assert "output metrics = {'coef_count': 40, 'r2': 0.93}" in err  # reprlib sorts keys
    took = re.search(r"drupe: run succeeded in ([0-9.]+) s", err)
    assert took is not None
    assert took.group(1) == f"{run['duration_s']:.2f}"  # measured once, by the store
    assert record["run_time_s"] == run["duration_s"]
    assert f"drupe sessions show {record['session_id']}" in err

    table = drupe(project, "sessions", "list").stdout.splitlines()
    assert f"{run['duration_s']:.2f}s" in table[1].split()


def test_json_prints_one_document_for_scripts(project: Path) -> None:
    done = drupe(project, "-q", "run", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # the whole stdout is one JSON document
    assert document["status"] == "succeeded"
    assert document["outputs"] == {
        "metrics": {"type": "dict", "value": {"r2": 0.93, "coef_count": 40}}
    }
    (saved,) = document["saved"]
    assert saved["name"] == "model" and saved["version"] == document["run_id"]
    assert saved["path"] == "data/model.json"
    assert saved["file"] == f"data/model.json/{document['run_id']}/model.json"
    assert document["error"] is None
    assert document["history_command"] == f"drupe sessions show {document['session_id']}"
    assert "INFO" not in done.stderr  # -q: warnings and errors only


def test_json_still_prints_one_document_when_nothing_could_run(project: Path) -> None:
    done = drupe(project, "run", "--json", "--env", "nope")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["status"] == "failed" and document["run_id"] is None
    assert "configuration environment 'nope' not found" in document["error"]["message"]
    assert document["history_command"] == f"drupe sessions show {document['session_id']}"
    assert done.stderr.count("Error:") == 1


def test_verbose_adds_debug_logs(project: Path) -> None:
    done = drupe(project, "-v", "run")
    assert done.returncode == 0, done.stderr
    assert "DEBUG fitter.pipeline_registry: fitting details" in done.stderr


def test_a_failing_node_names_the_node_the_line_and_the_history_command(project: Path) -> None:
    done = drupe(project, "run", "--pipelines", "bad")
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1
    (line,) = lines
    assert "ValueError: no convergence" in line
    assert "node 'explode" in line
    source = (project / "src" / "fitter" / "pipeline_registry.py").read_text().splitlines()
    number = next(i for i, text in enumerate(source, 1) if "no convergence" in text)
    assert f"raised at src/fitter/pipeline_registry.py:{number} in explode" in line
    command = re.search(r"traceback: (drupe sessions show \S+)", line)
    assert command is not None
    shown = drupe(project, *command.group(1).split()[1:])
    assert shown.returncode == 0
    assert "Traceback (most recent call last)" in shown.stdout
    assert "no convergence" in shown.stdout

    as_json = drupe(project, "run", "--pipelines", "bad", "--json")
    assert as_json.returncode == 1
    document = json.loads(as_json.stdout)
    assert document["status"] == "failed"
    assert document["error"]["location"]["line"] == number


LOGGING_YML = """
version: 1
formatters:
  plain:
    format: "%(levelname)s|%(name)s|%(message)s"
handlers:
  file:
    class: logging.FileHandler
    filename: {path}
    formatter: plain
root:
  level: INFO
  handlers: [file]
"""


def test_conf_logging_yml_and_drupe_logging_config_configure_logging(
    project: Path, tmp_path: Path
) -> None:
    project_log = tmp_path / "project.log"
    (project / "conf" / "logging.yml").write_text(
        LOGGING_YML.format(path=json.dumps(str(project_log))), encoding="utf-8"
    )
    done = drupe(project, "run")
    assert done.returncode == 0, done.stderr
    assert "INFO|fitter.pipeline_registry|model has R2 0.93" in project_log.read_text()
    assert "model has R2" not in done.stderr  # the file's handlers replaced the default

    other_log = tmp_path / "other.log"
    named = tmp_path / "named.yml"
    named.write_text(LOGGING_YML.format(path=json.dumps(str(other_log))), encoding="utf-8")
    done = drupe(project, "run", env={"DRUPE_LOGGING_CONFIG": str(named)})
    assert done.returncode == 0, done.stderr
    assert "model has R2" in other_log.read_text()

    (project / "conf" / "logging.yml").write_text("version: 1\nroot: [oops]\n", encoding="utf-8")
    broken = drupe(project, "run")
    assert broken.returncode == 1
    assert "logging.yml is not a valid logging configuration" in broken.stderr
    assert "Traceback" not in broken.stderr
    missing = drupe(project, "run", env={"DRUPE_LOGGING_CONFIG": str(tmp_path / "nope.yml")})
    assert missing.returncode == 1
    assert "DRUPE_LOGGING_CONFIG=" in missing.stderr and "names no file" in missing.stderr


def test_free_output_values_are_shown_short_and_on_one_line() -> None:
    from drupe.cli.summary import REPR_LIMIT, short_repr

    shown = short_repr({"rows": list(range(10_000)), "text": "x\n" * 500})
    assert len(shown) <= REPR_LIMIT and "\n" not in shown
    assert shown.startswith("{'rows': [0, 1, 2, 3, 4, 5, ...]")

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert short_repr(Broken()).startswith("<Broken")  # a broken repr never fails the summary
