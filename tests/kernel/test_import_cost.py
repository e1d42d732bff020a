"""``import drupe`` has no side effects and stays cheap (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, logging, sys
before = set(sys.modules)
handlers = list(logging.getLogger().handlers)
import drupe
new = sorted(set(sys.modules) - before)
print(json.dumps({"new": new, "handlers": len(logging.getLogger().handlers) - len(handlers)}))
"""


def test_import_drupe_imports_no_plugin_no_click_and_sets_up_no_logging() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    data = json.loads(done.stdout)
    new = data["new"]
    assert not [m for m in new if m.startswith("drupe_")], new
    for heavy in ("click", "yaml", "importlib_metadata", "sqlite3", "multiprocessing", "pytest"):
        assert heavy not in new, f"import drupe pulled in {heavy}"
    assert data["handlers"] == 0


HELP_PROBE = """
import contextlib, io, json, sys
from drupe.cli.main import cli
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        cli.main(["--help"], prog_name="drupe")
    except SystemExit:
        pass
print(json.dumps({"help": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def test_help_lists_plugin_commands_without_importing_their_modules(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", HELP_PROBE], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    data = json.loads(done.stdout)
    for command in ("new", "pipelines", "sessions", "serve", "migrate", "run", "info"):
        assert f"  {command} " in data["help"]
    loaded = set(data["modules"])
    for heavy in (
        "sqlite3",
        "multiprocessing",
        "starlette",
        "uvicorn",
        "drupe_store.cli",
        "drupe_pipeline.catalog",
        "drupe_pipeline.runners",
        "drupe_project.cli",
        "drupe_serve.cli",
        "drupe_migrate.cli",
        "drupe_migrate.kedro",
        "drupe.session",
        "IPython",
        "ipywidgets",
        "drupe_ipython.magics",
        "drupe.cli.summary",
        "drupe.cli.completion",
        "drupe_pipeline.completion",
        "drupe_config.completion",
    ):
        assert heavy not in loaded, f"drupe --help imported {heavy}"


RUN_PROBE = """
import atexit, json, sys
report = sys.argv[1]
atexit.register(lambda: open(report, "w").write(json.dumps(sorted(sys.modules))))
from drupe.console import main
main(["run"])
"""


def test_a_warm_run_imports_neither_attrs_nor_yaml_nor_the_entry_point_scanner(tmp_path) -> None:
    # Together they are about a fifth of a whole `drupe run`. A run whose
    # config files and entry points are cached (the second run here) needs none
    # of them: the value objects on its path are `drupe.frozen` classes.
    root = Path(__file__).resolve().parents[2]
    project = tmp_path / "hello"
    shutil.copytree(root / "examples" / "hello", project, ignore=shutil.ignore_patterns(".drupe"))
    env = {**os.environ, "DRUPE_CACHE_DIR": str(tmp_path / "cache")}
    report = tmp_path / "modules.json"
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", RUN_PROBE, str(report)],
            cwd=project,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    loaded = set(json.loads(report.read_text()))
    assert "drupe_pipeline.runners.sequential" in loaded  # the probe really ran the pipeline
    for heavy in ("attr", "attrs", "yaml", "importlib_metadata", "dataclasses"):
        assert heavy not in loaded, f"a warm drupe run imported {heavy}"
