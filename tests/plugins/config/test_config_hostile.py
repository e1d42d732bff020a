"""Hostile configuration: alias bombs, cycles, deep nesting, huge numbers, archive tricks.

Each case used to hang, eat memory or end as an "unexpected" exception naming
no file; each must now be one `drupe.ConfigError` naming the file.
"""

from __future__ import annotations

import tarfile
import threading
import zipfile
from pathlib import Path

import pytest
from config_testkit import ProjectAt, echo_params, loader, write_conf

import drupe
import drupe_config
from drupe_config import shape, sources


def _alias_bomb(levels: int = 9, fanout: int = 10, key: str = "_l") -> str:
    lines = [f'{key}0: &{key}0 ["boom"]']
    for level in range(1, levels):
        refs = ", ".join([f"*{key}{level - 1}"] * fanout)
        lines.append(f"{key}{level}: &{key}{level} [{refs}]")
    return "\n".join(lines) + "\n"


def _load_in_thread(conf: Path) -> BaseException | None:
    """Read parameters in a thread; fail the test (not hang it) if it takes over 20 s."""
    outcome: list[BaseException | None] = []

    def work() -> None:
        try:
            loader(conf)["parameters"]
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(20)
    assert outcome, "reading the configuration hung"
    return outcome[0]


@pytest.mark.parametrize("key", ["_l", "l"])
def test_alias_bomb_is_refused_naming_the_file(tmp_path: Path, key: str) -> None:
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": _alias_bomb(key=key)})
    error = _load_in_thread(conf)
    assert isinstance(error, drupe.ConfigError)
    assert "parameters.yml" in str(error) and "alias" in str(error)


def test_alias_bomb_through_a_session_is_a_config_error(tmp_path: Path) -> None:
    write_conf(tmp_path / "conf", {"base/parameters.yml": _alias_bomb()})
    plugins = [drupe_config.ConfigPlugin, ProjectAt(tmp_path), echo_params()]
    with drupe.Session.create(entry_points=False, plugins=plugins) as session:
        with pytest.raises(drupe.ConfigError, match=r"parameters\.yml: expands to more than"):
            assert session.load_context().params


def test_shared_aliases_below_the_cap_are_resolved_once(tmp_path: Path) -> None:
    # 10**5 leaves expanded, 50 distinct objects: fine, and quick since shared branches
    # without interpolation are looked at once.
    text = _alias_bomb(levels=5, fanout=10, key="l") + "ref: ${l0}\n"
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": text})
    params = loader(conf)["parameters"]
    assert params["ref"] == ["boom"]
    assert params["l4"][9][9][9][9] == ["boom"]


def test_expanded_size_cap_is_exact(tmp_path: Path) -> None:
    document = {"a": [1, 2, 3]}
    assert shape.check_shape(document, "f.yml") == 6  # the dict, its key, the list, three values
    with pytest.raises(drupe.ConfigError, match=r"f\.yml: expands to more than 5"):
        shape.check_shape(document, "f.yml", cap=5)


def test_cyclic_alias_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": "_a: &a [1, *a]\n"})
    with pytest.raises(drupe.ConfigError, match=r"parameters\.yml: .*cycle"):
        loader(conf)["parameters"]


def test_deep_nesting_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    text = "a: " + "[" * 500 + "]" * 500 + "\n"
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": text})
    with pytest.raises(drupe.ConfigError, match=r"parameters\.yml"):
        loader(conf)["parameters"]


@pytest.mark.parametrize("name", ["parameters.yml", "parameters.json"])
def test_number_too_long_for_python_is_a_config_error(tmp_path: Path, name: str) -> None:
    text = ("a: " if name.endswith("yml") else '{"a": ') + "1" * 5000
    text += "\n" if name.endswith("yml") else "}"
    conf = write_conf(tmp_path / "conf", {f"base/{name}": text})
    with pytest.raises(drupe.ConfigError, match=name.replace(".", r"\.")):
        loader(conf)["parameters"]


def _zip_with_corrupt_unmatched_member(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("base/parameters.yml", "a: 1\n")
        out.writestr("base/blob.bin", b"x" * 100_000)
    data = bytearray(path.read_bytes())
    start = data.index(b"base/blob.bin") + len("base/blob.bin")
    data[start + 10 : start + 60] = b"\xff" * 50  # break the deflate stream of blob.bin
    path.write_bytes(bytes(data))


def test_archive_members_no_pattern_matches_are_never_read(tmp_path: Path) -> None:
    archive = tmp_path / "conf.zip"
    _zip_with_corrupt_unmatched_member(archive)
    with zipfile.ZipFile(archive) as check, pytest.raises(Exception):  # noqa: B017
        check.read("base/blob.bin")  # the member really is unreadable
    assert loader(archive)["parameters"] == {"a": 1}


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_archive_member_over_the_size_cap_is_refused_when_matched(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "MAX_MEMBER_BYTES", 1000)
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/parameters.yml": "a: 1\n",
            "base/catalog.yml": "big: '" + "x" * 5000 + "'\n",
            "base/notes.txt": "y" * 5000,
        },
    )
    archive = tmp_path / f"conf.{kind}"
    files = sorted(p for p in conf.rglob("*") if p.is_file())
    if kind == "zip":
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
            for path in files:
                out.write(path, path.relative_to(conf).as_posix())
    else:
        with tarfile.open(archive, "w:gz") as out:
            for path in files:
                out.add(path, path.relative_to(conf).as_posix())
    config = loader(archive)
    assert config["parameters"] == {"a": 1}  # the big notes.txt matches nothing: no error
    with pytest.raises(drupe.ConfigError, match=r"catalog\.yml is 5,\d+ bytes, more than"):
        config["catalog"]


@pytest.mark.parametrize("link", ["sym", "hard"])
def test_tar_link_members_are_an_error_naming_them(tmp_path: Path, link: str) -> None:
    archive = tmp_path / "conf.tar"
    payload = tmp_path / "payload.yml"
    payload.write_text("a: 1\n")
    with tarfile.open(archive, "w") as out:
        out.add(payload, "base/parameters.yml")
        info = tarfile.TarInfo("base/catalog.yml")
        info.type = tarfile.SYMTYPE if link == "sym" else tarfile.LNKTYPE
        info.linkname = "/etc/passwd" if link == "sym" else "base/parameters.yml"
        out.addfile(info)
    with pytest.raises(drupe.ConfigError, match=r"member 'base/catalog\.yml' that is a link"):
        loader(archive)["parameters"]


def test_zip_symlink_member_is_an_error_naming_it(tmp_path: Path) -> None:
    archive = tmp_path / "conf.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("base/parameters.yml", "a: 1\n")
        info = zipfile.ZipInfo("base/catalog.yml")
        info.external_attr = (0o120777 << 16) | 0
        out.writestr(info, "/etc/passwd")
    with pytest.raises(drupe.ConfigError, match=r"'base/catalog\.yml' that is a symbolic link"):
        loader(archive)["parameters"]


@pytest.mark.parametrize("alias", [False, True], ids=["tree", "with-an-alias"])
def test_the_depth_limit_is_the_same_with_or_without_aliases(alias: bool) -> None:
    # A file without "*" is checked for depth alone, one with an alias in full:
    # both accept MAX_DEPTH levels and refuse one more.
    from drupe_config.reading import parse_document

    def nested(levels: int) -> bytes:
        extra = "shared: &s [1]\nagain: *s\n" if alias else ""
        return (extra + "a: " + "[" * (levels - 1) + "]" * (levels - 1) + "\n").encode()

    value, _ = parse_document(nested(shape.MAX_DEPTH), "f.yml")
    assert "a" in value
    with pytest.raises(drupe.ConfigError, match=r"f\.yml: nested deeper than 200 levels"):
        parse_document(nested(shape.MAX_DEPTH + 1), "f.yml")


def test_keys_written_differently_but_equal_are_duplicates(tmp_path: Path) -> None:
    # 17 and 0x11 are the same integer key: the second would silently replace the first.
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": "17: a\n0x11: b\n"})
    with pytest.raises(drupe.ConfigError, match=r"parameters\.yml:2:1.*duplicate key 17"):
        loader(conf)["parameters"]
