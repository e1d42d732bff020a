"""Project mode (bootstrap_project), packaged mode (configure_project), "Package name not found"."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import drupe
import drupe_project
from drupe.testing import write_project

OTHERS = ("config", "pipeline", "store", "serve", "dask")


def test_bootstrap_makes_the_code_importable_for_this_and_child_processes(make_project) -> None:
    root = make_project("boot_demo", files={"src/boot_demo/nodes.py": "def f():\n    return 7\n"})
    source = str((root / "src").resolve())

    project = drupe_project.bootstrap_project(root)

    assert project.package_name == "boot_demo"
    assert sys.path[0] == source
    assert os.environ["PYTHONPATH"].split(os.pathsep)[0] == source
    from boot_demo.nodes import f

    assert f() == 7
    child = subprocess.run(
        [sys.executable, "-c", "import boot_demo.nodes as n; print(n.f())"],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=60,
    )
    assert child.stdout.strip() == "7", child.stderr


def test_bootstrap_is_idempotent(make_project) -> None:
    root = make_project("idem_demo")

    first = drupe_project.bootstrap_project(root)
    path_after_first = list(sys.path)
    pythonpath_after_first = os.environ["PYTHONPATH"]
    second = drupe_project.bootstrap_project(root)

    assert first == second
    assert sys.path == path_after_first
    assert os.environ["PYTHONPATH"] == pythonpath_after_first
    assert sys.path.count(str((root / "src").resolve())) == 1


def test_bootstrap_needs_the_project_root(make_project) -> None:
    root = make_project("root_only")

    with pytest.raises(drupe.ProjectError, match="is not a drupe project root"):
        drupe_project.bootstrap_project(root / "src")


def test_bootstrap_fails_when_the_package_folder_is_missing(tmp_path: Path) -> None:
    write_project(tmp_path / "p", "present_pkg")
    (tmp_path / "p" / "pyproject.toml").write_text(
        '[tool.drupe]\npackage_name = "absent_pkg"\n', encoding="utf-8"
    )

    with pytest.raises(drupe.ProjectError, match="has no package at"):
        drupe_project.bootstrap_project(tmp_path / "p")


def test_two_projects_with_one_package_name_each_import_their_own_code(make_project) -> None:
    one = make_project("twin", name="one", files={"src/twin/which.py": "NAME = 'one'\n"})
    two = make_project("twin", name="two", files={"src/twin/which.py": "NAME = 'two'\n"})
    import importlib

    drupe_project.bootstrap_project(one)
    assert importlib.import_module("twin.which").NAME == "one"
    drupe_project.bootstrap_project(two)
    assert importlib.import_module("twin.which").NAME == "two"
    drupe_project.bootstrap_project(one)
    assert importlib.import_module("twin.which").NAME == "one"


def test_configure_project_records_an_installed_package(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "packaged_demo").mkdir(parents=True)
    (site / "packaged_demo" / "__init__.py").write_text("", encoding="utf-8")
    sys.path.insert(0, str(site))  # stands for site-packages; the fixture restores sys.path

    project = drupe_project.configure_project("packaged_demo")

    assert project.package_name == "packaged_demo"
    assert project.root is None
    assert drupe_project.configured_project() == project
    assert drupe_project.require_project(None) == project


def test_configure_project_after_bootstrap_keeps_the_root(make_project) -> None:
    root = make_project("keep_root")
    booted = drupe_project.bootstrap_project(root)

    assert drupe_project.configure_project("keep_root") is booted


def test_configure_project_refuses_a_package_that_cannot_be_imported() -> None:
    with pytest.raises(drupe.ProjectError, match="cannot be imported"):
        drupe_project.configure_project("no_such_package_anywhere_xyz")
    with pytest.raises(drupe.ProjectError, match="contains '-'"):
        drupe_project.configure_project("bad-name")


def test_a_session_outside_any_project_uses_the_configured_one(
    tmp_path: Path, session_factory
) -> None:
    site = tmp_path / "site"
    package = site / "packaged_session"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "settings.py").write_text("HOOKS = ()\n", encoding="utf-8")
    sys.path.insert(0, str(site))
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    drupe_project.configure_project("packaged_session")

    session = session_factory.session(nowhere, save_on_close=False, disable_plugins=OTHERS)

    assert session.project is not None
    assert session.project.package_name == "packaged_session"
    assert session.settings.source == str(package / "settings.py")


def test_require_project_says_package_name_not_found_and_where_it_looked(
    tmp_path: Path,
) -> None:
    with pytest.raises(drupe.ProjectError) as caught:
        drupe_project.require_project(None, start=tmp_path)

    message = str(caught.value)
    assert message.startswith(
        "Package name not found. Make sure you have configured the project using bootstrap_project."
    )
    assert str(tmp_path) in message
    assert "--project" in message


def test_drupe_run_outside_any_project_says_package_name_not_found(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "drupe", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert "Package name not found. Make sure you have configured the project" in done.stderr
    assert f"found in {tmp_path.resolve()} or any folder above it" in done.stderr
    assert "Traceback" not in done.stderr


def test_require_project_returns_the_project_it_is_given(make_project) -> None:
    project = drupe_project.find_project(make_project("given"))

    assert drupe_project.require_project(project) is project


def test_a_fresh_process_outside_a_project_has_no_project(tmp_path: Path) -> None:
    """A session without a project works (embedding), and require_project explains why not."""
    script = textwrap.dedent(
        """
        import drupe, drupe_project
        with drupe.Session.create(save_on_close=False,
                                  disable_plugins=["config", "pipeline", "store", "serve"]) as s:
            assert s.project is None, s.project
            try:
                drupe_project.require_project(s.project, start=s.project_path)
            except drupe.ProjectError as exc:
                print(exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Package name not found.")
    assert str(tmp_path) in done.stdout
