"""A file dataset's save survives a power loss: data fsynced before the rename, folder after.

A power cut cannot be staged in a test; what the kernel is asked to do can be
observed: the order of fsync calls against the rename, on real files.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from drupe_pipeline.datasets.files import JSONDataset, PickleDataset


@pytest.mark.parametrize("kind", [JSONDataset, PickleDataset])
def test_save_fsyncs_the_file_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: type
) -> None:
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        what = "folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        events.append(("fsync", what))
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        events.append(("replace", Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    target = tmp_path / "out" / "data.bin"
    dataset = kind(filepath=target, **({"allow_load": True} if kind is PickleDataset else {}))
    dataset.save({"a": 1})
    assert events == [("fsync", "file"), ("replace", "data.bin"), ("fsync", "folder")]
    assert dataset.load() == {"a": 1}
    assert [p.name for p in target.parent.iterdir()] == ["data.bin"]  # no temporary left
