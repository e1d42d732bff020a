"""Merging files within an environment and across environments."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_testkit import loader, write_conf

import drupe


def test_same_top_level_key_in_two_files_of_one_env_fails_naming_both(tmp_path: Path) -> None:
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/catalog.yml": "cars: {type: csv}\nboats: {type: csv}\n",
            "base/catalog_more.yml": "cars: {type: parquet}\n",
        },
    )
    with pytest.raises(drupe.ConfigError) as error:
        loader(conf)["catalog"]
    message = str(error.value)
    assert "duplicate catalog keys cars" in message
    assert "base/catalog.yml" in message and "base/catalog_more.yml" in message


def test_parameters_may_share_a_top_level_key_but_not_a_nested_path(tmp_path: Path) -> None:
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/parameters.yml": "model: {lr: 0.1, opt: {name: sgd}}\n",
            "base/parameters_model.yml": "model: {layers: 3, opt: {momentum: 0.9}}\n",
        },
    )
    assert loader(conf)["parameters"] == {
        "model": {"lr": 0.1, "layers": 3, "opt": {"name": "sgd", "momentum": 0.9}}
    }
    (conf / "base/parameters_more.yml").write_text("model: {opt: {name: adam}}\n")
    with pytest.raises(drupe.ConfigError, match=r"duplicate parameters keys model\.opt\.name"):
        loader(conf)["parameters"]


def test_same_key_in_base_and_env_is_no_duplicate(tmp_path: Path) -> None:
    conf = write_conf(
        tmp_path / "conf",
        {"base/catalog.yml": "cars: {type: csv}\n", "local/catalog.yml": "cars: {type: sql}\n"},
    )
    assert loader(conf)["catalog"] == {"cars": {"type": "sql"}}


def _layered(tmp_path: Path) -> Path:
    return write_conf(
        tmp_path / "conf",
        {
            "base/parameters.yml": "model: {lr: 0.1, depth: 3}\nkeep: 1\n",
            "local/parameters.yml": "model: {lr: 0.5}\n",
        },
    )


def test_destructive_merge_replaces_top_level_keys_by_default(tmp_path: Path) -> None:
    assert loader(_layered(tmp_path))["parameters"] == {"model": {"lr": 0.5}, "keep": 1}


def test_soft_merge_deep_merges_env_over_base(tmp_path: Path) -> None:
    config = loader(_layered(tmp_path), merge_strategy={"parameters": "soft"})
    assert config["parameters"] == {"model": {"lr": 0.5, "depth": 3}, "keep": 1}


def test_private_top_level_keys_feed_anchors_and_interpolation_only(tmp_path: Path) -> None:
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/catalog.yml": """\
                _csv: &csv
                  type: csv
                  sep: ","
                _root: data
                cars:
                  <<: *csv
                  path: ${_root}/cars.csv
            """
        },
    )
    assert loader(conf)["catalog"] == {"cars": {"type": "csv", "sep": ",", "path": "data/cars.csv"}}
