"""Config files are parsed by content once: an edit is read at once, warnings still show."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from drupe import parse_cache
from drupe_config.files import parse


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DRUPE_NO_CACHE", raising=False)
    parse_cache.clear_memory()


def test_yaml_11_warnings_are_logged_on_every_read(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="drupe_config")
    for _ in range(2):
        caplog.clear()
        assert parse(b"flag: yes\n", "conf/base/parameters.yml") == {"flag": "yes"}
        assert "conf/base/parameters.yml" in caplog.text and "line 1: yes" in caplog.text


def test_a_syntax_error_is_reported_every_time() -> None:
    import drupe

    for _ in range(2):
        with pytest.raises(drupe.ConfigError, match=r"bad.yml:2:1: invalid YAML"):
            parse(b"a: [1,\n", "bad.yml")


def test_an_edited_file_is_read_as_edited() -> None:
    assert parse(b"a: 1\n", "p.yml") == {"a": 1}
    assert parse(b"a: 2\n", "p.yml") == {"a": 2}
    assert parse(b'{"a": 3}', "p.json") == {"a": 3}


PROBE = """
import json, sys
import drupe
with drupe.Session.create(save_on_close=False) as session:
    params = dict(session.load_context().params)
print(json.dumps({"params": params, "yaml_imported": "yaml" in sys.modules}))
"""


def load_params_in_new_process(root: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=root,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_later_process_reads_config_without_importing_yaml(make_project: Any) -> None:
    root = make_project(files={"conf/base/parameters.yml": "rate: 0.5\nname: hello\n"})
    first = load_params_in_new_process(root)
    assert first == {"params": {"rate": 0.5, "name": "hello"}, "yaml_imported": True}
    second = load_params_in_new_process(root)
    assert second == {"params": {"rate": 0.5, "name": "hello"}, "yaml_imported": False}
    (root / "conf/base/parameters.yml").write_text("rate: 0.7\nname: hello\n")
    third = load_params_in_new_process(root)
    assert third["params"] == {"rate": 0.7, "name": "hello"}


def _age(folder: Path, seconds: int = 60) -> None:
    """Make every folder under ``folder`` look last changed ``seconds`` ago (settled)."""
    past = time.time() - seconds
    for sub in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
        os.utime(sub, (past, past))


def test_a_settled_listing_is_reused_and_an_added_or_removed_file_is_seen(tmp_path: Path) -> None:
    from drupe_config import sources

    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    (conf / "base" / "parameters.yml").write_text("a: 1\n")
    _age(conf)
    assert sources.FolderSource(conf).envs() == {"base": ["parameters.yml"]}
    assert str(conf) in sources._listings  # settled folders: the listing is kept
    assert sources.FolderSource(conf).envs() == {"base": ["parameters.yml"]}
    (conf / "base" / "catalog.yml").write_text("{}\n")
    assert sources.FolderSource(conf).envs() == {"base": ["catalog.yml", "parameters.yml"]}
    _age(conf)
    sources.FolderSource(conf).envs()
    (conf / "base" / "parameters.yml").unlink()
    (conf / "local").mkdir()
    (conf / "local" / "parameters.yml").write_text("a: 2\n")
    assert sources.FolderSource(conf).envs() == {
        "base": ["catalog.yml"],
        "local": ["parameters.yml"],
    }


def test_a_fresh_folder_is_listed_every_time(tmp_path: Path) -> None:
    """Folders changed in the last seconds are not trusted (coarse filesystem clocks)."""
    from drupe_config import sources

    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    sources.FolderSource(conf).envs()
    assert str(conf) not in sources._listings
