"""Parsed files are reused by content: never stale, never shared mutably, bounded on disk."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from drupe import parse_cache
from drupe.parse_cache import cached_parse


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DRUPE_NO_CACHE", raising=False)
    parse_cache.clear_memory()


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, data: bytes) -> Any:
        self.calls += 1
        return {"text": data.decode(), "items": [1, 2.5, None, True]}


def cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("parsed-*/*.bin"))


def test_same_bytes_are_parsed_once_and_each_caller_gets_its_own_copy() -> None:
    parse = Counting()
    first = cached_parse(b"a: 1", "test:1", parse)
    first["items"].append("mutated")
    second = cached_parse(b"a: 1", "test:1", parse)
    assert parse.calls == 1
    assert second == {"text": "a: 1", "items": [1, 2.5, None, True]}
    assert second["items"][3] is True  # types survive: a bool stays a bool


def test_other_bytes_or_another_parser_version_parse_again() -> None:
    parse = Counting()
    cached_parse(b"a: 1", "test:1", parse)
    assert cached_parse(b"a: 2", "test:1", parse)["text"] == "a: 2"
    cached_parse(b"a: 1", "test:2", parse)
    assert parse.calls == 3


def test_a_new_process_reads_the_disk_copy(tmp_path: Path) -> None:
    cached_parse(b"a: 1", "test:1", Counting())
    assert len(cache_files(tmp_path)) == 1
    probe = (
        "from drupe.parse_cache import cached_parse\n"
        "def fail(data): raise SystemExit('parsed again')\n"
        "print(cached_parse(b'a: 1', 'test:1', fail))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=os.environ.copy()
    )
    assert done.returncode == 0, done.stderr
    assert "'text': 'a: 1'" in done.stdout


def test_a_disk_entry_for_other_bytes_under_the_same_name_is_not_served(tmp_path: Path) -> None:
    """The file name is a checksum; a collision (or a tampered file) must not serve its value."""
    cached_parse(b"a: 1", "test:1", Counting())
    (path,) = cache_files(tmp_path)
    path.write_bytes(marshal.dumps(("test:1", b"a: 9", marshal.dumps({"text": "forged"}))))
    parse_cache.clear_memory()
    parse = Counting()
    assert cached_parse(b"a: 1", "test:1", parse)["text"] == "a: 1"
    assert parse.calls == 1


def test_a_corrupt_disk_entry_is_parsed_again(tmp_path: Path) -> None:
    cached_parse(b"a: 1", "test:1", Counting())
    (path,) = cache_files(tmp_path)
    path.write_bytes(b"\x00garbage")
    parse_cache.clear_memory()
    parse = Counting()
    assert cached_parse(b"a: 1", "test:1", parse)["text"] == "a: 1"
    assert parse.calls == 1


def test_errors_are_never_cached() -> None:
    calls = []

    def broken(data: bytes) -> Any:
        calls.append(data)
        raise ValueError("bad file")

    for _ in range(2):
        with pytest.raises(ValueError, match="bad file"):
            cached_parse(b"x", "test:1", broken)
    assert len(calls) == 2


def test_a_result_marshal_cannot_hold_is_returned_but_not_cached(tmp_path: Path) -> None:
    import datetime

    calls = []

    def dated(data: bytes) -> Any:
        calls.append(data)
        return {"when": datetime.date(2026, 12, 1)}

    for _ in range(2):
        assert cached_parse(b"when: 2026-12-01", "test:1", dated) == {
            "when": datetime.date(2026, 12, 1)
        }
    assert len(calls) == 2 and cache_files(tmp_path) == []


def test_no_cache_switch_keeps_the_disk_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUPE_NO_CACHE", "1")
    cached_parse(b"a: 1", "test:1", Counting())
    assert not (tmp_path / "cache").exists()


def test_the_disk_cache_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_cache, "DISK_MAX_FILES", 3)
    for i in range(6):
        cached_parse(f"a: {i}".encode(), "test:1", Counting())
    assert len(cache_files(tmp_path)) == 3


def test_memory_is_bounded_by_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_cache, "MEMORY_MAX_BYTES", 400)
    for i in range(20):
        cached_parse(f"a: {i}".encode() * 10, "test:1", Counting())
    assert 0 < len(parse_cache._memory) < 20
    assert parse_cache._memory_bytes <= 400
