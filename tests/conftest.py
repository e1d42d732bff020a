"""Shared by every test of drupe.

drupe's own tests use the same opt-in pytest plugin that plugin authors use,
and every test starts with no configured project and leaves the process as
it found it: the configured project (the one piece of process state the
design allows), ``sys.path``, ``PYTHONPATH`` and modules imported from the
test's temporary folder.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import drupe_project

pytest_plugins = ["drupe.testing"]


@pytest.fixture(autouse=True)
def isolated_process_state(tmp_path: Path) -> Iterator[None]:
    saved_path = list(sys.path)
    saved_pythonpath = os.environ.get("PYTHONPATH")
    drupe_project.clear_configured_project()
    yield
    drupe_project.clear_configured_project()
    sys.path[:] = saved_path
    if saved_pythonpath is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved_pythonpath
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None) or ""
        if location.startswith(str(tmp_path)):
            del sys.modules[name]
