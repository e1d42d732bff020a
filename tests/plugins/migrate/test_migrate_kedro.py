"""``drupe migrate kedro`` on a Kedro-starter-shaped project, then ``drupe run`` on the result.

Everything runs as a user would: the ``drupe`` command in subprocesses, on a
real git work tree, with Kedro not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from drupe_process import drupe as run_drupe
from kedro_fixture import write_kedro_project

GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]


def drupe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The shared helper, with a migration's longer time limit."""
    return run_drupe(cwd, *args, timeout=240)


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


@pytest.fixture
def kedro_project(tmp_path: Path) -> Path:
    root = write_kedro_project(tmp_path / "kproj")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*GIT, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(root), "commit", "-qm", "kedro project"], check=True)
    return root


def test_drupe_recognises_a_kedro_project_and_says_how_to_migrate(kedro_project: Path):
    done = drupe("run", cwd=kedro_project)
    assert done.returncode != 0
    assert "is a Kedro project ([tool.kedro] in pyproject.toml)" in done.stderr
    assert f"drupe migrate kedro {kedro_project}" in done.stderr
    assert "Package name not found" not in done.stderr
    assert "Traceback" not in done.stderr


def test_dry_run_shows_a_diff_and_writes_nothing(kedro_project: Path):
    before = snapshot(kedro_project)
    done = drupe("migrate", "kedro", str(kedro_project), "--dry-run", cwd=kedro_project.parent)
    assert done.returncode == 0, done.stderr
    assert "--- a/pyproject.toml" in done.stdout
    assert "-[tool.kedro]" in done.stdout and "+[tool.drupe]" in done.stdout
    assert "+from drupe_pipeline import Node, Pipeline, pipeline" in done.stdout
    assert "dry run: nothing was written" in done.stdout
    assert snapshot(kedro_project) == before


def test_a_dirty_git_tree_is_refused_unless_forced(kedro_project: Path):
    settings = kedro_project / "src/kproj/settings.py"
    settings.write_text(settings.read_text() + "# local edit\n")
    before = snapshot(kedro_project)
    refused = drupe("migrate", "kedro", cwd=kedro_project)
    assert refused.returncode == 1
    assert "has uncommitted changes (src/kproj/settings.py)" in refused.stderr
    assert "or pass --force" in refused.stderr
    assert snapshot(kedro_project) == before
    forced = drupe("migrate", "kedro", "--force", cwd=kedro_project)
    assert forced.returncode == 0, forced.stderr
    assert "[tool.drupe]" in (kedro_project / "pyproject.toml").read_text()


def test_a_folder_that_is_not_a_kedro_project_is_a_usage_error(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    done = drupe("migrate", "kedro", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert "has no [tool.kedro] table: not a Kedro project" in done.stderr


@pytest.mark.slow(seconds=2)
def test_migrated_project_runs_on_drupe_with_kedros_results(kedro_project: Path, tmp_path: Path):
    # Files outside the project, even ones it links to, are never touched.
    outside = tmp_path / "outside.py"
    outside.write_text("from kedro.pipeline import node\n")
    (kedro_project / "src/kproj/linked.py").symlink_to(outside)
    sibling = tmp_path / "sibling" / "pyproject.toml"
    sibling.parent.mkdir()
    sibling.write_text("[tool.kedro]\npackage_name = 'other'\n")
    subprocess.run([*GIT, "-C", str(kedro_project), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(kedro_project), "commit", "-qm", "link"], check=True)

    done = drupe("migrate", "kedro", str(kedro_project), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # What it could not convert is listed, with file and line.
    assert "could not convert" in out
    assert (
        "conf/base/catalog.yml:14: type kedro_datasets.pandas.CSVDataset is kedro-datasets' "
        "own class" in out
    )
    assert "kedro-viz removed" in out
    assert "allow_load: true added" in out
    assert "[tool.kedro] kedro_init_version removed" in out
    assert outside.read_text() == "from kedro.pipeline import node\n"
    assert sibling.read_text() == "[tool.kedro]\npackage_name = 'other'\n"

    pyproject = (kedro_project / "pyproject.toml").read_text()
    assert "[tool.drupe]" in pyproject and "[tool.kedro" not in pyproject
    assert '"drupe[pandas]",' in pyproject and "kedro-datasets" not in pyproject
    for path in (kedro_project / "src").rglob("*.py"):
        if path.is_symlink():
            continue
        code = [line for line in path.read_text().splitlines() if not line.startswith("#")]
        assert not any("import" in line and "kedro" in line for line in code), path
    settings = (kedro_project / "src/kproj/settings.py").read_text()
    assert "CONFIG_LOADER_CLASS =" not in settings and "CONFIG_LOADER_ARGS = {" in settings
    assert "Session.create(" in (kedro_project / "tests/test_run.py").read_text()
    catalog = (kedro_project / "conf/base/catalog.yml").read_text()
    assert "type: json.JSONDataset" in catalog  # drupe reads Kedro's type names
    assert "type: pickle.PickleDataset\n  allow_load: true\n" in catalog

    run = drupe("run", cwd=kedro_project)
    assert run.returncode == 0, run.stderr
    reporting = kedro_project / "data" / "08_reporting"
    # sizes of companies rated >= data_processing.min_rating (3): 10 + 30 = 40;
    # each namespace reads its own model_options: weight 2 and 5, offset 1.
    assert json.loads((reporting / "active_metrics.json").read_text()) == {"score": 81}
    assert json.loads((reporting / "candidate_metrics.json").read_text()) == {"score": 201}
    assert (kedro_project / "data" / "hook_ran.txt").read_text() == "yes"

    selected = drupe("run", "--pipelines", "data_science", "--tags", "active", cwd=kedro_project)
    assert selected.returncode != 0  # model_input is a memory dataset: not there alone
    assert "model_input" in selected.stderr

    # The project's own tests, KedroSession ones included, pass on drupe.
    env = {**os.environ, "PYTHONPATH": str(kedro_project / "src")}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=kedro_project,
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout

    # The packaged entry point runs `drupe run` with its arguments.
    (reporting / "active_metrics.json").unlink()
    packaged = subprocess.run(
        [sys.executable, "-m", "kproj", "--pipelines", "__default__"],
        cwd=kedro_project,
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert packaged.returncode == 0, packaged.stderr
    assert json.loads((reporting / "active_metrics.json").read_text()) == {"score": 81}
