"""``import drupe`` has no side effects and stays cheap (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

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
