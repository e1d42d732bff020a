"""Runtime parameters: deep-merged, dotted keys nest, undeclared ones logged or refused."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from config_testkit import ProjectAt, echo_params, loader, write_conf

import drupe
import drupe_config

PARAMS = {
    "base/parameters.yml": """\
        model:
          lr: 0.1
          depth: 3
          layers: [8, 8]
        scale: ${model.lr}
        label: "lr=${model.lr}"
        seed: 1
    """
}


def test_runtime_params_are_deep_merged_and_dotted_keys_nest(tmp_path: Path) -> None:
    config = loader(write_conf(tmp_path / "conf", PARAMS), params={"model.lr": 0.5, "seed": 7})
    assert config["parameters"] == {
        "model": {"lr": 0.5, "depth": 3, "layers": [8, 8]},
        "scale": 0.5,  # interpolations see the runtime value
        "label": "lr=0.5",
        "seed": 7,
    }
    nested = loader(tmp_path / "conf", params={"model": {"depth": 4}})
    assert nested["parameters"]["model"] == {"lr": 0.1, "depth": 4, "layers": [8, 8]}


def test_runtime_values_stay_typed_and_are_not_interpolated(tmp_path: Path) -> None:
    config = loader(
        write_conf(tmp_path / "conf", PARAMS),
        params={"seed": "7", "model.layers": [1, 2, 3], "model.lr": "${oops}"},
    )
    params = config["parameters"]
    assert params["seed"] == "7"
    assert params["model"]["layers"] == [1, 2, 3]
    assert params["model"]["lr"] == "${oops}"
    assert params["scale"] == "${oops}"


def test_undeclared_runtime_params_are_accepted_and_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = loader(write_conf(tmp_path / "conf", PARAMS), params={"modle.lr": 1, "extra": 2})
    with caplog.at_level(logging.WARNING, logger="drupe_config"):
        assert config["parameters"]["extra"] == 2
        assert config["parameters"]["modle"] == {"lr": 1}
        config["catalog"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "drupe_config"]
    assert warnings == [
        "runtime parameters not declared in parameters (used anyway): modle.lr, extra"
    ]


def test_strict_runtime_params_fail_with_close_matches(tmp_path: Path) -> None:
    config = loader(
        write_conf(tmp_path / "conf", PARAMS),
        params={"modle.lr": 1, "seed": 2},
        strict_runtime_params=True,
    )
    with pytest.raises(drupe.ConfigError, match=r"modle\.lr \(did you mean model\.lr"):
        config["parameters"]
    ok = config.with_runtime_params({"model.lr": 1})
    assert ok["parameters"]["model"]["lr"] == 1


def test_runtime_params_resolver_counts_as_a_declaration(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    conf = write_conf(
        tmp_path / "conf",
        {"base/catalog.yml": "ds: {path: '${runtime_params:folder, data}/x.csv'}\n"},
    )
    config = loader(conf, params={"folder": "/mnt"}, strict_runtime_params=True)
    assert config["catalog"] == {"ds": {"path": "/mnt/x.csv"}}
    assert config["parameters"] == {"folder": "/mnt"}
    assert loader(conf)["catalog"] == {"ds": {"path": "data/x.csv"}}


def test_bad_runtime_param_names_fail(tmp_path: Path) -> None:
    with pytest.raises(drupe.ConfigError, match="not a dotted name"):
        loader(write_conf(tmp_path / "conf", PARAMS), params={"a..b": 1})


def test_service_session_runs_each_get_their_own_params(tmp_path: Path) -> None:
    write_conf(tmp_path / "conf", PARAMS)
    plugins = [drupe_config.ConfigPlugin, ProjectAt(tmp_path), echo_params()]
    with drupe.ServiceSession.create(entry_points=False, plugins=plugins) as service:
        first = service.run(runtime_params={"model.lr": 0.3})["params"]
        second = service.run(runtime_params={"model": {"depth": 9}})["params"]
        plain = service.run()["params"]
    assert (first["model"]["lr"], first["model"]["depth"], first["scale"]) == (0.3, 3, 0.3)
    assert (second["model"]["lr"], second["model"]["depth"], second["scale"]) == (0.1, 9, 0.1)
    assert plain["model"] == {"lr": 0.1, "depth": 3, "layers": [8, 8]}


def test_session_context_params_have_runtime_params_applied(tmp_path: Path) -> None:
    write_conf(tmp_path / "conf", PARAMS)
    plugins = [drupe_config.ConfigPlugin, ProjectAt(tmp_path), echo_params()]
    with drupe.Session.create(
        entry_points=False, plugins=plugins, runtime_params={"seed": 5}
    ) as session:
        assert session.run()["params"]["seed"] == 5
