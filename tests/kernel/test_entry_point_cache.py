"""The entry-point scan is cached on disk and never serves a stale plugin list."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from drupe.testing import write_distribution

PROBE = """
import json, sys
from drupe.plugin_manager import entry_point_plugins
names = [p.name for p in entry_point_plugins()]
print(json.dumps({"names": names, "scanned": "importlib_metadata" in sys.modules}))
"""


def probe(site: Path, cache: Path) -> dict[str, object]:
    env = {
        **os.environ,
        "DRUPE_CACHE_DIR": str(cache),
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("DRUPE_NO_CACHE", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_second_process_reads_the_cache_and_a_new_distribution_invalidates_it(
    tmp_path: Path,
) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    write_distribution(
        site, "drupe-test-one", plugins={"one": "drupe_test_one"}, modules={"drupe_test_one.py": ""}
    )
    first = probe(site, cache)
    assert first["scanned"] is True and "one" in first["names"]
    second = probe(site, cache)
    assert second == {"names": first["names"], "scanned": False}
    write_distribution(
        site, "drupe-test-two", plugins={"two": "drupe_test_two"}, modules={"drupe_test_two.py": ""}
    )
    third = probe(site, cache)
    assert third["scanned"] is True and {"one", "two"} <= set(third["names"])


def test_a_corrupt_cache_file_is_ignored(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    write_distribution(
        site, "drupe-test-one", plugins={"one": "drupe_test_one"}, modules={"drupe_test_one.py": ""}
    )
    probe(site, cache)
    for file in cache.iterdir():
        file.write_text("{not json", encoding="utf-8")
    again = probe(site, cache)
    assert again["scanned"] is True and "one" in again["names"]
    assert json.loads(next(cache.iterdir()).read_text())["plugins"]


def test_the_disk_cache_is_bounded(tmp_path: Path) -> None:
    from drupe.plugin_manager import CACHE_MAX_FILES

    site, cache = tmp_path / "site", tmp_path / "cache"
    cache.mkdir()
    for number in range(CACHE_MAX_FILES + 5):  # scans of other interpreters / sys.paths
        stale = cache / f"entry-points-{number:08x}.json"
        stale.write_text("{}", encoding="utf-8")
        os.utime(stale, ns=(number * 10**9, number * 10**9))
    write_distribution(
        site, "drupe-test-one", plugins={"one": "drupe_test_one"}, modules={"drupe_test_one.py": ""}
    )
    assert probe(site, cache)["scanned"] is True
    left = sorted(cache.glob("entry-points-*.json"))
    assert len(left) == CACHE_MAX_FILES
    assert not (cache / "entry-points-00000000.json").exists()  # the oldest went first
    assert probe(site, cache)["scanned"] is False  # this process's own scan was kept
