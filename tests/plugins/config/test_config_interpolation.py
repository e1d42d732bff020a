"""``${...}`` interpolation, resolvers contributed by plugins, and error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from config_testkit import ProjectAt, echo_params, loader, write_conf

import drupe
import drupe_config


def test_references_globals_and_runtime_params_with_defaults(tmp_path: Path) -> None:
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/globals.yml": "bucket: s3://data\nfolders: {raw: raw}\n",
            "base/parameters.yml": """\
                model: {lr: 0.1, sizes: [16, 32]}
                same: ${model}
                first_size: ${model.sizes.0}
                rate: ${model.lr}
                text: "rate ${model.lr} in ${globals:bucket}"
                missing_global: ${globals:nope, fallback}
                typed_default: ${globals:nope, 12}
                run: ${runtime_params:run_name, nightly}
                escaped: \\${not.interpolated}
            """,
            "base/catalog.yml": "raw: {path: '${globals:bucket}/${globals:folders.raw}/a.csv'}\n",
        },
    )
    params = loader(conf)["parameters"]
    assert params == {
        "model": {"lr": 0.1, "sizes": [16, 32]},
        "same": {"lr": 0.1, "sizes": [16, 32]},
        "first_size": 16,
        "rate": 0.1,
        "text": "rate 0.1 in s3://data",
        "missing_global": "fallback",
        "typed_default": 12,
        "run": "nightly",
        "escaped": "${not.interpolated}",
    }
    assert loader(conf)["catalog"] == {"raw": {"path": "s3://data/raw/a.csv"}}
    assert loader(conf, params={"run_name": "adhoc"})["parameters"]["run"] == "adhoc"


def test_env_resolver_works_in_credentials_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUPE_TEST_PASSWORD", "s3cret")
    monkeypatch.delenv("DRUPE_TEST_UNSET", raising=False)
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/credentials.yml": """\
                db:
                  password: ${env:DRUPE_TEST_PASSWORD}
                  user: ${env:DRUPE_TEST_UNSET, admin}
            """,
            "base/parameters.yml": "leak: ${env:DRUPE_TEST_PASSWORD}\n",
        },
    )
    assert loader(conf)["credentials"] == {"db": {"password": "s3cret", "user": "admin"}}
    with pytest.raises(drupe.ConfigError, match="env resolver is only allowed in credentials"):
        loader(conf)["parameters"]
    (conf / "base/credentials.yml").write_text("db: {password: '${env:DRUPE_TEST_UNSET}'}\n")
    with pytest.raises(drupe.ConfigError, match="'DRUPE_TEST_UNSET' is not set"):
        loader(conf)["credentials"]


def test_missing_reference_names_the_key_and_the_file(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": "a: 1\nb: ${model.size}\n"})
    with pytest.raises(drupe.ConfigError) as error:
        loader(conf)["parameters"]
    message = str(error.value)
    assert "'model.size'" in message
    assert "base/parameters.yml" in message


def test_cycle_names_the_chain(tmp_path: Path) -> None:
    conf = write_conf(
        tmp_path / "conf", {"base/parameters.yml": "a: ${b}\nb: ${c.d}\nc: {d: '${a}'}\n"}
    )
    with pytest.raises(
        drupe.ConfigError,
        match=r"cycle parameters:a -> parameters:b -> "
        r"parameters:c\.d -> parameters:a",
    ):
        loader(conf)["parameters"]


def test_container_inside_a_longer_string_fails(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": "m: {a: 1}\ns: 'x ${m}'\n"})
    with pytest.raises(drupe.ConfigError, match="cannot be part of a longer string"):
        loader(conf)["parameters"]


def test_malformed_interpolation_fails_naming_the_key(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": "s: '${a.b'\n"})
    with pytest.raises(drupe.ConfigError, match=r"parameters key 's'.*not closed"):
        loader(conf)["parameters"]


def test_yaml_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": "a: 1\nb: [1, 2\nc: 3\n"})
    with pytest.raises(drupe.ConfigError, match=r"base/parameters\.yml:3:2: invalid YAML"):
        loader(conf)["parameters"]


def test_json_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "conf", {"base/parameters.json": '{\n  "a": 1,\n}\n'})
    with pytest.raises(drupe.ConfigError, match=r"base/parameters\.json:3:1: invalid JSON"):
        loader(conf)["parameters"]


def test_top_level_that_is_not_a_mapping_names_the_file(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "conf", {"base/catalog.yml": "- a\n- b\n"})
    with pytest.raises(drupe.ConfigError, match=r"base/catalog\.yml: the top level is a list"):
        loader(conf)["catalog"]


def test_duplicate_key_in_one_file_fails(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": "a: 1\nb: 2\na: 3\n"})
    with pytest.raises(drupe.ConfigError, match=r"parameters\.yml:3:1.*duplicate key 'a'"):
        loader(conf)["parameters"]


class Resolvers:
    """A plugin contributing resolvers, as a third-party plugin would."""

    def __init__(self, **resolvers: Any) -> None:
        self.resolvers = resolvers

    @drupe.hookimpl(optionalhook=True)
    def config_resolvers(self) -> dict[str, Any]:
        return self.resolvers


PARAMS = {"base/parameters.yml": "total: ${add:2, 3}\nname: ${upper:'a, b'}\n"}


def _session_params(tmp_path: Path, *plugins: Any) -> Any:
    all_plugins = [drupe_config.ConfigPlugin, ProjectAt(tmp_path), echo_params(), *plugins]
    with drupe.Session.create(entry_points=False, plugins=all_plugins) as session:
        return session.load_context().params


def test_plugins_add_resolvers_through_the_hook(tmp_path: Path) -> None:
    write_conf(tmp_path / "conf", PARAMS)
    plugin = Resolvers(add=lambda a, b: a + b, upper=str.upper)
    assert _session_params(tmp_path, plugin) == {"total": 5, "name": "A, B"}


def test_resolvers_belong_to_their_loader_not_the_process(tmp_path: Path) -> None:
    write_conf(tmp_path / "conf", PARAMS)
    one = _session_params(tmp_path, Resolvers(add=lambda a, b: a + b, upper=str.upper))
    two = _session_params(tmp_path, Resolvers(add=lambda a, b: a * b, upper=str.lower))
    assert one == {"total": 5, "name": "A, B"}
    assert two == {"total": 6, "name": "a, b"}
    with pytest.raises(drupe.ConfigError, match="unknown resolver 'add'; known resolvers: env"):
        _session_params(tmp_path)


def test_resolver_name_clashes_and_failures_are_reported(tmp_path: Path) -> None:
    write_conf(tmp_path / "conf", PARAMS)
    with pytest.raises(drupe.PluginError, match="both define the config resolver 'add'"):
        _session_params(tmp_path, Resolvers(add=max), Resolvers(add=min))
    with pytest.raises(drupe.ConfigError, match="'globals' is built in"):
        _session_params(tmp_path, Resolvers(globals=max))
    with pytest.raises(drupe.ConfigError, match="resolver 'add' failed: ZeroDivisionError"):
        _session_params(tmp_path, Resolvers(add=lambda a, b: 1 / 0, upper=str.upper))


def test_custom_resolvers_from_loader_args(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": "n: ${twice:21}\n"})
    assert loader(conf, custom_resolvers={"twice": lambda x: 2 * x})["parameters"] == {"n": 42}
