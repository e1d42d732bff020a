"""Configuration a Kedro project brings along: merge keys, ``_`` keys, globals, YAML 1.1 scalars."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from config_testkit import loader, write_conf

import drupe


def test_merge_key_values_are_overridden_by_the_keys_written_next_to_them(tmp_path: Path):
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/parameters.yml": (
                "_defaults: &defaults\n  x: 1\n  y: 2\n"
                "child:\n  <<: *defaults\n  y: 3\n"
                "other: {<<: *defaults, x: 9}\n"
            )
        },
    )
    params = loader(conf)["parameters"]
    assert params["child"] == {"x": 1, "y": 3}
    assert params["other"] == {"x": 9, "y": 2}


def test_a_key_written_twice_next_to_a_merge_key_is_still_a_duplicate(tmp_path: Path):
    conf = write_conf(
        tmp_path / "conf",
        {"base/parameters.yml": "_d: &d {x: 1}\nchild:\n  <<: *d\n  y: 1\n  y: 2\n"},
    )
    with pytest.raises(drupe.ConfigError, match=r"parameters.yml:5:3: .*duplicate key 'y'"):
        loader(conf)["parameters"]


def test_underscore_keys_may_repeat_across_files_of_one_environment(tmp_path: Path):
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/catalog.yml": (
                "_csv: &csv {type: CSVDataset}\ncars:\n  <<: *csv\n  filepath: data/cars.csv\n"
            ),
            "base/catalog_more.yml": (
                "_csv: &csv {type: CSVDataset}\nboats:\n  <<: *csv\n  filepath: data/boats.csv\n"
            ),
        },
    )
    catalog = loader(conf)["catalog"]
    assert catalog["cars"] == {"type": "CSVDataset", "filepath": "data/cars.csv"}
    assert catalog["boats"] == {"type": "CSVDataset", "filepath": "data/boats.csv"}


def test_other_keys_repeated_across_files_still_fail_naming_both_files(tmp_path: Path):
    conf = write_conf(
        tmp_path / "conf",
        {"base/catalog.yml": "cars: {type: a}\n", "base/catalog_more.yml": "cars: {type: b}\n"},
    )
    with pytest.raises(drupe.ConfigError, match="duplicate catalog keys cars in"):
        loader(conf)["catalog"]


def test_only_globals_yml_feeds_globals(tmp_path: Path):
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/globals.yml": "bucket: s3://team\n",
            "base/globals_extra.yml": "bucket: s3://elsewhere\nregion: eu\n",
            "base/parameters.yml": "path: ${globals:bucket}/raw\nregion: ${globals:region, none}\n",
        },
    )
    config = loader(conf)
    assert config["globals"] == {"bucket": "s3://team"}
    assert config["parameters"] == {"path": "s3://team/raw", "region": "none"}


@pytest.mark.parametrize(
    ("line", "value", "advice"),
    [
        ("flag: yes", "yes", "write true for a boolean, or 'yes' (quoted)"),
        ("flag: No", "No", "write false for a boolean, or 'No' (quoted)"),
        ("flag: ON", "ON", "write true for a boolean"),
        ("flag: off", "off", "write false for a boolean"),
        ("flag: y", "y", "write true for a boolean"),
        ("flag: N", "N", "write false for a boolean"),
        ("mode: 017", 17, "write 17 to say so, or 0o17 for the octal number"),
        ("mode: 019", 19, "write 19 to say so, or '019' (quoted)"),
        ("rows: 1_000", "1_000", "write 1000 for a number, or '1_000' (quoted)"),
    ],
)
def test_yaml11_ambiguous_plain_scalars_warn_with_file_line_and_fix(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, line: str, value: object, advice: str
):
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": f"name: demo\n{line}\n"})
    with caplog.at_level(logging.WARNING, logger="drupe_config"):
        params = loader(conf)["parameters"]
    assert list(params.values())[1] == value  # YAML 1.2 meaning, documented
    (record,) = [r for r in caplog.records if "YAML 1.1" in r.getMessage()]
    message = record.getMessage()
    assert "parameters.yml" in message
    assert "line 2:" in message
    assert advice in message


@pytest.mark.parametrize(
    "text",
    ['flag: "yes"', "flag: 'no'", "flag: true", "flag: !!bool yes", "mode: 0o17", "n: 17"],
)
def test_written_the_unambiguous_way_nothing_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, text: str
):
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": text + "\n"})
    with caplog.at_level(logging.WARNING, logger="drupe_config"):
        loader(conf)["parameters"]
    assert not [r for r in caplog.records if "YAML 1.1" in r.getMessage()]


def test_ambiguous_scalars_warn_once_per_file_listing_every_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/parameters.yml": "a: yes\nb: off\nc: 017\n",
            "base/catalog.yml": "cars: {type: CSVDataset, filepath: x.csv, header: on}\n",
        },
    )
    with caplog.at_level(logging.WARNING, logger="drupe_config"):
        config = loader(conf)
        config["parameters"]
        config["catalog"]
        config["parameters"]
    messages = [r.getMessage() for r in caplog.records if "YAML 1.1" in r.getMessage()]
    assert len(messages) == 2
    (params_message,) = [m for m in messages if "parameters.yml" in m]
    assert all(f"line {n}:" in params_message for n in (1, 2, 3))
    (catalog_message,) = [m for m in messages if "catalog.yml" in m]
    assert "line 1: on is read as the string 'on'" in catalog_message


def test_keys_named_like_yaml11_booleans_warn_except_single_letters(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": "n: 3\ny: 4\nopts:\n  on: 1\n"})
    with caplog.at_level(logging.WARNING, logger="drupe_config"):
        assert loader(conf)["parameters"] == {"n": 3, "y": 4, "opts": {"on": 1}}
    (message,) = [r.getMessage() for r in caplog.records if "YAML 1.1" in r.getMessage()]
    assert "line 4: on is read as the string 'on'" in message
    assert "line 1" not in message and "line 2" not in message
