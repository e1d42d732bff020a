"""The test suite leaves the user's home alone: caches and tool folders go to a temp folder."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

#: What would otherwise write under the home; tests/conftest.py points each at a temp folder.
HOME_WRITERS = (
    "DRUPE_CACHE_DIR",
    "IPYTHONDIR",
    "JUPYTER_CONFIG_DIR",
    "JUPYTER_DATA_DIR",
    "JUPYTER_RUNTIME_DIR",
    "MPLCONFIGDIR",
    "XDG_CACHE_HOME",
    "PIP_CACHE_DIR",
    "RUSTUP_HOME",
)


def test_every_tool_folder_points_into_the_temporary_folder() -> None:
    temporary = Path(tempfile.gettempdir()).resolve()
    for variable in HOME_WRITERS:
        folder = Path(os.environ[variable]).resolve()
        assert folder.is_relative_to(temporary), f"{variable} is not temporary: {folder}"


def test_drupe_writes_its_plugin_scan_cache_into_the_test_folder(tmp_path: Path) -> None:
    cache = Path(os.environ["DRUPE_CACHE_DIR"])
    env = {k: v for k, v in os.environ.items() if k != "DRUPE_NO_CACHE"}
    done = subprocess.run(
        [sys.executable, "-m", "drupe", "info", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert list(cache.glob("entry-points-*.json"))
