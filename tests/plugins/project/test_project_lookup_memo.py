"""A project found once is reused by later sessions, and never once the files say it changed."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import drupe_project
from drupe.testing import write_project
from drupe_project import memo


@pytest.fixture(autouse=True)
def fresh_memo() -> Iterator[None]:
    memo.forget()
    yield
    memo.forget()


def age(*paths: Path) -> None:
    """Make files look written long ago, so the memo trusts their timestamps."""
    past = time.time() - 60
    for path in paths:
        os.utime(path, (past, past))


def settled_project(tmp_path: Path, package: str = "memo_pkg") -> Path:
    root = write_project(tmp_path / "proj", package)
    age(root / "pyproject.toml")
    return root


def rewrite(pyproject: Path, old: str, new: str) -> None:
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_a_settled_project_is_found_once_and_reused(tmp_path: Path) -> None:
    root = settled_project(tmp_path)
    first = drupe_project.find_project(root)
    again = drupe_project.find_project(root)
    assert first is not None and again is first


def test_an_edited_pyproject_is_read_again(tmp_path: Path) -> None:
    root = settled_project(tmp_path)
    assert drupe_project.find_project(root).project_name == "memo_pkg"  # type: ignore[union-attr]
    pyproject = root / "pyproject.toml"
    rewrite(pyproject, "[tool.drupe]", '[tool.drupe]\nproject_name = "Renamed"')
    assert drupe_project.find_project(root).project_name == "Renamed"  # type: ignore[union-attr]


def test_an_edit_of_the_same_size_in_the_same_timestamp_tick_is_seen(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", "fresh_pkg", tool={"project_name": "AAAA"})
    pyproject = root / "pyproject.toml"
    tick = time.time()
    os.utime(pyproject, (tick, tick))
    assert drupe_project.find_project(root).project_name == "AAAA"  # type: ignore[union-attr]
    rewrite(pyproject, '"AAAA"', '"BBBB"')
    os.utime(pyproject, (tick, tick))  # a coarse clock gives both writes one time
    assert drupe_project.find_project(root).project_name == "BBBB"  # type: ignore[union-attr]


def test_a_nearer_project_created_later_wins(tmp_path: Path) -> None:
    outer = settled_project(tmp_path, "outer_pkg")
    inner = outer / "packages" / "inner"
    inner.mkdir(parents=True)
    assert drupe_project.find_project(inner).package_name == "outer_pkg"  # type: ignore[union-attr]
    write_project(inner, "inner_pkg")
    assert drupe_project.find_project(inner).package_name == "inner_pkg"  # type: ignore[union-attr]


def test_a_removed_project_is_not_found(tmp_path: Path) -> None:
    root = settled_project(tmp_path)
    assert drupe_project.find_project(root) is not None
    (root / "pyproject.toml").unlink()
    assert drupe_project.find_project(root) is None


def test_a_moved_start_symlink_gives_the_other_project(tmp_path: Path) -> None:
    blue = settled_project(tmp_path / "blue", "blue_pkg")
    green = settled_project(tmp_path / "green", "green_pkg")
    current = tmp_path / "current"
    current.symlink_to(blue)
    assert drupe_project.find_project(current).package_name == "blue_pkg"  # type: ignore[union-attr]
    current.unlink()
    current.symlink_to(green)
    assert drupe_project.find_project(current).package_name == "green_pkg"  # type: ignore[union-attr]


def test_a_moved_source_folder_symlink_gives_the_new_folder(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write_project(root, "linked_pkg", tool={"source_dir": "code"})
    one, two = root / "code-1", root / "code-2"
    (root / "src").rename(one)
    two.mkdir()
    (two / "linked_pkg").mkdir()
    (root / "code").symlink_to(one)
    age(root / "pyproject.toml")
    assert drupe_project.find_project(root).source_dir == one.resolve()  # type: ignore[union-attr]
    (root / "code").unlink()
    (root / "code").symlink_to(two)
    assert drupe_project.find_project(root).source_dir == two.resolve()  # type: ignore[union-attr]


def test_the_memo_keeps_a_bounded_number_of_folders(tmp_path: Path) -> None:
    root = settled_project(tmp_path)
    for index in range(memo.KEPT + 5):
        start = root / f"notebooks-{index}"
        start.mkdir()
        assert drupe_project.find_project(start) is not None
    assert len(memo._answers) == memo.KEPT
