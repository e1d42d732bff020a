"""drupe.testing: the plain helpers work without pytest, and each says what its arguments are."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import drupe.testing as testing

PLAIN_HELPERS = [
    testing.write_project,
    testing.write_distribution,
    testing.StaticConfig,
    testing.StaticConfigLoader,
    testing.FunctionExecutor,
    testing.HookRecorder,
    testing.SessionFactory,
]

WITHOUT_PYTEST = """
import sys
sys.modules["pytest"] = None  # as if pytest were not installed: importing it fails
import drupe
from drupe.testing import FunctionExecutor, HookRecorder, StaticConfig, write_distribution
from drupe.testing import write_project
import drupe.testing
assert not hasattr(drupe.testing, "make_project")  # the fixtures need pytest
with drupe.Session.create(
    plugins=[StaticConfig({"parameters": {"x": 2}}), FunctionExecutor(
        lambda context, run: {"double": context.params["x"] * 2})],
    entry_points=False,
) as session:
    assert session.run() == {"double": 4}
write_distribution(__import__("pathlib").Path(sys.argv[1]), "d", plugins={"p": "m"})
print("ok")
"""


def test_plain_helpers_import_and_work_without_pytest(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PYTEST, str(tmp_path / "site")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert (tmp_path / "site" / "d-1.0.dist-info" / "entry_points.txt").is_file()


def test_every_public_helper_documents_each_of_its_arguments() -> None:
    for helper in PLAIN_HELPERS:
        doc = inspect.getdoc(helper) or ""
        target = helper.__init__ if inspect.isclass(helper) else helper
        parameters = [
            name
            for name in inspect.signature(target).parameters
            if name not in {"self", "args", "kwargs"}
        ]
        for name in parameters:
            assert name in doc, f"{helper.__name__}'s docstring does not explain {name!r}"
    for fixture in ("make_project", "hook_recorder", "session_factory"):
        assert getattr(testing, fixture).__doc__
