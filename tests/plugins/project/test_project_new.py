"""``drupe new``: a project drupe finds and runs at once; the names and places it refuses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from drupe_process import drupe as drupe_cli

import drupe
from drupe_project.scaffold import create_project


def test_new_project_is_found_by_drupe_info(tmp_path: Path) -> None:
    created = drupe_cli(tmp_path, "new", "fresh_demo")
    assert created.returncode == 0, created.stderr
    root = tmp_path / "fresh_demo"

    info = drupe_cli(root / "src" / "fresh_demo", "info", "--json")

    assert info.returncode == 0, info.stderr
    project = json.loads(info.stdout)["project"]
    assert project == {
        "package_name": "fresh_demo",
        "project_name": "fresh_demo",
        "root": str(root.resolve()),
    }
    for relative in (
        "pyproject.toml",
        "README.md",
        "src/fresh_demo/settings.py",
        "src/fresh_demo/pipeline_registry.py",
        "conf/base/parameters.yml",
        "conf/base/catalog.yml",
        "conf/local/credentials.yml",
    ):
        assert (root / relative).is_file(), relative


def test_new_project_runs_with_drupe_run(tmp_path: Path) -> None:
    root = tmp_path / "somewhere" / "runnable"
    created = drupe_cli(tmp_path, "new", "runnable_demo", "--directory", str(root))
    assert created.returncode == 0, created.stderr

    ran = drupe_cli(root, "run", "--params", "name=team")

    assert ran.returncode == 0, ran.stderr
    assert "output word_count = 2" in ran.stderr
    assert "saved  message -> data/message.json" in ran.stderr
    saved = json.loads((root / "data" / "message.json").read_text(encoding="utf-8"))
    assert saved == {"text": "Hello, team!"}


def test_local_configuration_is_ignored_by_git(tmp_path: Path) -> None:
    root = create_project("gitignored_demo", tmp_path / "g")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, timeout=60)

    ignored = subprocess.run(
        ["git", "check-ignore", "conf/local/credentials.yml", "conf/base/catalog.yml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert ignored.stdout.split() == ["conf/local/credentials.yml"]


def test_new_refuses_a_non_empty_folder_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")

    done = drupe_cli(tmp_path, "new", "busy_demo", "--directory", str(target))

    assert done.returncode == 2
    assert "is not empty" in done.stderr
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]


def test_new_accepts_an_existing_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()

    root = create_project("empty_ok", target)

    assert (root / "src" / "empty_ok" / "__init__.py").is_file()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("my-project", "contains '-'"),
        ("2fast", "starts with a digit"),
        ("class", "Python keyword"),
        ("json", "standard-library module"),
        ("a.b", "contains '.'"),
        ("drupe", "already the name of an importable module"),
        ("has space", "characters Python cannot import"),
    ],
)
def test_new_rejects_names_that_are_not_package_names(
    tmp_path: Path, name: str, reason: str
) -> None:
    with pytest.raises(drupe.UsageError) as caught:
        create_project(name, tmp_path / "x")

    assert reason in str(caught.value)
    assert not (tmp_path / "x").exists()


def test_new_reports_a_bad_name_on_the_command_line(tmp_path: Path) -> None:
    done = drupe_cli(tmp_path, "new", "my-project")

    assert done.returncode == 2
    assert "'my-project' is not a valid project package name" in done.stderr
    assert "use '_' instead" in done.stderr
    assert list(tmp_path.iterdir()) == []
