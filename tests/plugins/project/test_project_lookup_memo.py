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


@pytest.fixture
def trusting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust files written before a lookup began (by default, only 2 s before it)."""
    monkeypatch.setattr(memo, "SETTLED_NS", 0)


def settled_project(tmp_path: Path, package: str = "memo_pkg") -> Path:
    return write_project(tmp_path / "proj", package)


def rewrite(pyproject: Path, old: str, new: str) -> None:
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_a_settled_project_is_found_once_and_reused(tmp_path: Path, trusting: None) -> None:
    root = settled_project(tmp_path)
    first = drupe_project.find_project(root)
    again = drupe_project.find_project(root)
    assert first is not None and again is first


def test_an_edited_pyproject_is_read_again(tmp_path: Path, trusting: None) -> None:
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


def test_a_nearer_project_created_later_wins(tmp_path: Path, trusting: None) -> None:
    outer = settled_project(tmp_path, "outer_pkg")
    inner = outer / "packages" / "inner"
    inner.mkdir(parents=True)
    assert drupe_project.find_project(inner).package_name == "outer_pkg"  # type: ignore[union-attr]
    write_project(inner, "inner_pkg")
    assert drupe_project.find_project(inner).package_name == "inner_pkg"  # type: ignore[union-attr]


def test_a_removed_project_is_not_found(tmp_path: Path, trusting: None) -> None:
    root = settled_project(tmp_path)
    assert drupe_project.find_project(root) is not None
    (root / "pyproject.toml").unlink()
    assert drupe_project.find_project(root) is None


def test_a_moved_start_symlink_gives_the_other_project(tmp_path: Path, trusting: None) -> None:
    blue = settled_project(tmp_path / "blue", "blue_pkg")
    green = settled_project(tmp_path / "green", "green_pkg")
    current = tmp_path / "current"
    current.symlink_to(blue)
    assert drupe_project.find_project(current).package_name == "blue_pkg"  # type: ignore[union-attr]
    current.unlink()
    current.symlink_to(green)
    assert drupe_project.find_project(current).package_name == "green_pkg"  # type: ignore[union-attr]


def test_a_moved_source_folder_symlink_gives_the_new_folder(tmp_path: Path, trusting: None) -> None:
    root = tmp_path / "proj"
    write_project(root, "linked_pkg", tool={"source_dir": "code"})
    one, two = root / "code-1", root / "code-2"
    (root / "src").rename(one)
    two.mkdir()
    (two / "linked_pkg").mkdir()
    (root / "code").symlink_to(one)
    assert drupe_project.find_project(root).source_dir == one.resolve()  # type: ignore[union-attr]
    (root / "code").unlink()
    (root / "code").symlink_to(two)
    assert drupe_project.find_project(root).source_dir == two.resolve()  # type: ignore[union-attr]


def test_the_memo_keeps_a_bounded_number_of_folders(tmp_path: Path, trusting: None) -> None:
    root = settled_project(tmp_path)
    for index in range(memo.KEPT + 5):
        start = root / f"notebooks-{index}"
        start.mkdir()
        assert drupe_project.find_project(start) is not None
    assert len(memo._answers) == memo.KEPT


def test_a_rewrite_that_puts_the_old_mtime_back_is_seen(tmp_path: Path, trusting: None) -> None:
    root = write_project(tmp_path / "proj", "pkg_one")
    pyproject = root / "pyproject.toml"
    stamp = os.stat(pyproject)
    assert drupe_project.find_project(root).package_name == "pkg_one"  # type: ignore[union-attr]
    time.sleep(0.05)  # the rewrite's change time lands in a later tick
    rewrite(pyproject, "pkg_one", "pkg_two")  # same size, in place
    os.utime(pyproject, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # as cp -p or rsync -t do
    (root / "src" / "pkg_two").mkdir()
    assert drupe_project.find_project(root).package_name == "pkg_two"  # type: ignore[union-attr]


def test_dot_dot_after_a_symlink_goes_up_from_the_links_target(tmp_path: Path) -> None:
    real = write_project(tmp_path / "real" / "proj", "real_pkg")
    (real / "deep").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "link").symlink_to(real / "deep")
    found = drupe_project.find_project(tmp_path / "other" / "link" / "..")
    assert found is not None and found.root == real.resolve()


def test_an_absolute_start_works_after_the_working_folder_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_project(tmp_path / "proj", "abs_pkg")
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # a long-lived service whose folder was removed under it
    found = drupe_project.find_project(root)
    assert found is not None and found.package_name == "abs_pkg"
