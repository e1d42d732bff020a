"""A Kedro project is recognised, and the error says in one line how to migrate it."""

from __future__ import annotations

from pathlib import Path

import pytest

import drupe
from drupe_project import bootstrap_project, require_project


@pytest.fixture
def kedro_root(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.kedro]\npackage_name = "kp"\n')
    (tmp_path / "src" / "kp").mkdir(parents=True)
    return tmp_path


def test_bootstrapping_a_kedro_project_says_how_to_migrate(kedro_root: Path):
    with pytest.raises(drupe.ProjectError) as info:
        bootstrap_project(kedro_root)
    message = str(info.value)
    assert "\n" not in message
    assert f"{kedro_root} is a Kedro project ([tool.kedro] in pyproject.toml)" in message
    assert f"drupe migrate kedro {kedro_root}" in message


def test_no_project_found_inside_a_kedro_project_says_how_to_migrate(kedro_root: Path):
    with pytest.raises(drupe.ProjectError, match="drupe migrate kedro") as info:
        require_project(None, start=kedro_root / "src" / "kp")
    assert "Package name not found" not in str(info.value)


def test_a_folder_mentioning_kedro_only_in_a_comment_is_not_a_kedro_project(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("# moved off [tool.kedro] long ago\n[project]\n")
    with pytest.raises(drupe.ProjectError) as info:
        require_project(None, start=tmp_path)
    assert "Package name not found" in str(info.value)
