"""Finding a project: from its root, from deep inside it, and refusing broken metadata."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import drupe
import drupe_project
from drupe.testing import write_project

#: The other bundled plugins are not under test here; sessions load only ours.
OTHERS = ("config", "pipeline", "store", "serve", "dask")


def test_found_from_a_nested_folder_with_its_metadata(make_project) -> None:
    root = make_project("nested_demo", tool={"project_name": "Nested Demo"})
    deep = root / "src" / "nested_demo" / "a" / "b"
    deep.mkdir(parents=True)

    project = drupe_project.find_project(deep)

    assert project is not None
    assert project.root == root.resolve()
    assert project.package_name == "nested_demo"
    assert project.project_name == "Nested Demo"
    assert project.source_dir == (root / "src").resolve()
    assert project.metadata["project_name"] == "Nested Demo"


def test_a_file_inside_the_project_is_a_valid_start(make_project) -> None:
    root = make_project("file_start")
    notebook = root / "notebooks" / "explore.py"
    notebook.parent.mkdir()
    notebook.write_text("", encoding="utf-8")

    project = drupe_project.find_project(notebook)

    assert project is not None and project.root == root.resolve()


def test_the_innermost_project_wins(make_project) -> None:
    outer = make_project("outer_pkg", name="outer")
    inner = write_project(outer / "packages" / "inner", "inner_pkg")

    found = drupe_project.find_project(inner / "src")

    assert found is not None and found.package_name == "inner_pkg"


def test_mentions_of_tool_drupe_in_comments_or_strings_do_not_make_a_project(
    tmp_path: Path,
) -> None:
    root = tmp_path / "lookalike"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '# [tool.drupe] is not used here\n[project]\nname = "x"\n'
        'description = "not a [tool.drupe] project"\n',
        encoding="utf-8",
    )

    assert drupe_project.find_project(root) is None


def test_no_project_anywhere_gives_none(tmp_path: Path) -> None:
    assert drupe_project.find_project(tmp_path) is None


def test_source_dir_is_configurable(tmp_path: Path) -> None:
    root = tmp_path / "flat"
    write_project(root, "flat_pkg", tool={"source_dir": "code"})
    (root / "code" / "flat_pkg").mkdir(parents=True)

    project = drupe_project.find_project(root)

    assert project is not None and project.source_dir == (root / "code").resolve()


def test_disable_plugins_is_a_known_key(make_project) -> None:
    root = make_project("with_disabled", tool={"disable_plugins": ["serve"]})

    project = drupe_project.find_project(root)

    assert project is not None
    assert list(project.metadata["disable_plugins"]) == ["serve"]


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('project_name = "x"\n', "has no package_name"),
        ('package_name = "my-pkg"\n', "contains '-'"),
        ('package_name = "1pkg"\n', "starts with a digit"),
        ('package_name = "json"\n', "standard-library module"),
        ('package_name = "ok"\npakage_name = "typo"\n', "did you mean 'package_name'?"),
        ('package_name = "ok"\ncolour = "blue"\n', "known keys: package_name"),
        ('package_name = "ok"\nsource_dir = "../elsewhere"\n', "outside the project root"),
        ('package_name = "ok"\nsource_dir = "missing"\n', "does not exist"),
        ('package_name = "ok"\ndisable_plugins = "serve"\n', "must be a list of plugin names"),
        ('package_name = "ok"\nproject_name = 3\n', "project_name must be a non-empty string"),
    ],
)
def test_bad_metadata_fails_naming_the_file_and_the_problem(
    tmp_path: Path, table: str, expected: str
) -> None:
    root = tmp_path / "bad"
    (root / "src").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (root / "pyproject.toml").write_text("[tool.drupe]\n" + table, encoding="utf-8")

    with pytest.raises(drupe.ProjectError) as caught:
        drupe_project.find_project(root / "src")

    message = str(caught.value)
    assert expected in message
    assert str(root / "pyproject.toml") in message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.drupe]\npackage_name = "x\n', "utf-8")

    with pytest.raises(drupe.ProjectError, match="is not valid TOML"):
        drupe_project.find_project(tmp_path)


def test_a_broken_inner_project_is_not_skipped_for_an_outer_one(make_project) -> None:
    outer = make_project("outer_ok", name="outer")
    inner = outer / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[tool.drupe]\nproject_name = "x"\n', "utf-8")

    with pytest.raises(drupe.ProjectError, match="has no package_name"):
        drupe_project.find_project(inner)


def test_a_session_started_in_a_subfolder_finds_and_bootstraps_the_project(
    make_project, session_factory
) -> None:
    root = make_project("sub_start", files={"src/sub_start/code.py": "VALUE = 42\n"})
    sub = root / "notebooks"
    sub.mkdir()

    session = session_factory.session(sub, save_on_close=False, disable_plugins=OTHERS)

    assert session.project is not None
    assert session.project.package_name == "sub_start"
    assert session.project_path == root.resolve()
    import sub_start.code  # the project's code imports once its session exists

    assert sub_start.code.VALUE == 42
    assert drupe_project.configured_project() == session.project


def test_drupe_info_finds_the_project_from_a_subfolder_and_with_project(
    make_project, tmp_path: Path
) -> None:
    root = make_project("info_demo")
    (root / "conf").mkdir()

    from_inside = _drupe(["info", "--json"], cwd=root / "conf")
    from_outside = _drupe(["--project", str(root), "info", "--json"], cwd=tmp_path)

    for output in (from_inside, from_outside):
        project = json.loads(output)["project"]
        assert project["package_name"] == "info_demo"
        assert project["root"] == str(root.resolve())


def test_drupe_info_reports_broken_metadata_as_one_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.drupe]\npackage_nam = "x"\n', "utf-8")

    done = subprocess.run(
        [sys.executable, "-m", "drupe", "info"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert "did you mean 'package_name'?" in done.stderr
    assert "Traceback" not in done.stderr


def _drupe(args: list[str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "drupe", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
