"""Reading configuration: sources, environments, patterns, formats, keys."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml
from config_testkit import ProjectAt, echo_params, loader, write_conf

import drupe
import drupe_config
from drupe_config.reading import Yaml12Loader

TREE = {
    "base/parameters.yml": "lr: 0.1\nmodel:\n  depth: 3\n",
    "base/catalog.yml": "cars:\n  type: csv\n  path: data/cars.csv\n",
    "base/parameters/extra.yaml": "extra: {a: 1}\n",
    "base/nested/dir/parameters_deep.json": '{"deep": [1, 2]}',
    "base/.hidden/parameters.yml": "hidden_dir: true\n",
    "base/.parameters_secret.yml": "hidden_file: true\n",
    "base/parameters_notes.md": "not: config\n",
    "local/parameters.yml": "lr: 0.5\n",
    "prod/parameters.yml": "lr: 0.9\n",
}


def test_project_conf_folder_is_read_through_a_session(tmp_path: Path) -> None:
    write_conf(tmp_path / "conf", TREE)
    with drupe.Session.create(
        entry_points=False, plugins=[drupe_config.ConfigPlugin, ProjectAt(tmp_path), echo_params()]
    ) as session:
        context = session.load_context()
        assert context.params == {
            "lr": 0.5,  # local overrides base
            "extra": {"a": 1},
            "deep": [1, 2],
            "model": {"depth": 3},
        }
        assert context.config_loader["catalog"] == {
            "cars": {"type": "csv", "path": "data/cars.csv"}
        }


def test_conf_source_setting_is_relative_to_the_project(tmp_path: Path) -> None:
    write_conf(tmp_path / "settings_conf", {"base/parameters.yml": "x: 1\n"})
    plugins = [
        drupe_config.ConfigPlugin,
        ProjectAt(tmp_path, CONF_SOURCE="settings_conf"),
        echo_params(),
    ]
    with drupe.Session.create(entry_points=False, plugins=plugins) as session:
        assert session.load_context().params == {"x": 1}


def test_project_without_conf_folder_has_empty_keys(tmp_path: Path) -> None:
    plugins = [drupe_config.ConfigPlugin, ProjectAt(tmp_path), echo_params()]
    with drupe.Session.create(entry_points=False, plugins=plugins, runtime_params={"a": 1}) as s:
        assert s.load_context().params == {"a": 1}
        assert s.load_context().config_loader["catalog"] == {}


def test_env_argument_environment_variable_and_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = write_conf(tmp_path / "conf", TREE)
    monkeypatch.delenv("DRUPE_ENV", raising=False)
    assert loader(conf)["parameters"]["lr"] == 0.5
    assert loader(conf).env == "local"
    assert loader(conf, env="prod")["parameters"]["lr"] == 0.9
    assert loader(conf, env="base")["parameters"]["lr"] == 0.1
    monkeypatch.setenv("DRUPE_ENV", "prod")
    assert loader(conf)["parameters"]["lr"] == 0.9
    assert loader(conf, env="local")["parameters"]["lr"] == 0.5


def test_missing_env_fails_listing_existing_ones_but_missing_local_is_fine(
    tmp_path: Path,
) -> None:
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": "a: 1\n", "prod/x.yml": ""})
    assert loader(conf)["parameters"] == {"a": 1}
    with pytest.raises(drupe.ConfigError, match=r"'staging' not found .*base, prod"):
        loader(conf, env="staging")


def test_base_and_default_envs_are_configurable(tmp_path: Path) -> None:
    conf = write_conf(
        tmp_path / "conf",
        {"common/parameters.yml": "a: 1\nb: 1\n", "dev/parameters.yml": "b: 2\n"},
    )
    config = loader(conf, base_env="common", default_run_env="dev")
    assert config["parameters"] == {"a": 1, "b": 2}
    assert config.env == "dev"
    assert config.base_env == "common"


def test_unknown_key_fails_listing_known_ones_and_is_a_key_error(tmp_path: Path) -> None:
    config = loader(write_conf(tmp_path / "conf", TREE))
    with pytest.raises(drupe.ConfigError, match=r"unknown configuration key 'spark'.*catalog"):
        config["spark"]
    assert config.get("spark", "default") == "default"
    assert "spark" not in config
    assert set(config) == {"parameters", "catalog", "credentials", "logging", "globals"}


def test_config_patterns_add_keys_and_replace_patterns(tmp_path: Path) -> None:
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/spark.yml": "spark.executor.memory: 2g\n",
            "base/params.yml": "a: 1\n",
            "base/parameters.yml": "ignored: true\n",
        },
    )
    config = loader(conf, config_patterns={"spark": ["spark*"], "parameters": ["params*"]})
    assert config["spark"] == {"spark.executor.memory": "2g"}
    assert config["parameters"] == {"a": 1}


def test_bad_loader_args_fail_naming_the_option(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "conf", TREE)
    with pytest.raises(drupe.ConfigError, match=r"unknown option 'merge_strategies'.*mean"):
        loader(conf, merge_strategies={})
    with pytest.raises(drupe.ConfigError, match=r"merge_strategy\['catalog'\] is 'deep'"):
        loader(conf, merge_strategy={"catalog": "deep"})


def test_yaml_12_scalars(tmp_path: Path) -> None:
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/parameters.yml": """\
                small: 1e-3
                big: 6.02E23
                plain: 1.5
                word: yes
                octal_looking: 010
                octal: 0o17
                nothing: ~
                quoted: "1e-3"
            """
        },
    )
    assert loader(conf)["parameters"] == {
        "small": 0.001,
        "big": 6.02e23,
        "plain": 1.5,
        "word": "yes",
        "octal_looking": 10,
        "octal": 15,
        "nothing": None,
        "quoted": "1e-3",
    }


def test_yaml_is_read_with_a_safe_libyaml_loader(tmp_path: Path) -> None:
    expected = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert issubclass(Yaml12Loader, expected)
    unsafe = {"base/parameters.yml": "x: !!python/object:os.system {}\n"}
    conf = write_conf(tmp_path / "conf", unsafe)
    with pytest.raises(drupe.ConfigError, match=r"parameters\.yml"):
        loader(conf)["parameters"]


def _archive_tree(tmp_path: Path) -> Path:
    return write_conf(
        tmp_path / "conf",
        {
            "base/parameters.yml": "a: 1\nb: 1\n",
            "local/parameters.yml": "b: 2\n",
            "base/catalog.yml": "ds: {type: csv}\n",
        },
    )


@pytest.mark.parametrize("kind", ["zip", "tar", "tar.gz"])
@pytest.mark.parametrize("top_folder", [False, True])
def test_archives_are_read_in_place(tmp_path: Path, kind: str, top_folder: bool) -> None:
    conf = _archive_tree(tmp_path)
    archive = tmp_path / f"conf.{kind}"
    files = sorted(p for p in conf.rglob("*") if p.is_file())
    prefix = "conf/" if top_folder else ""
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as out:
            for path in files:
                out.write(path, prefix + path.relative_to(conf).as_posix())
    else:
        with tarfile.open(archive, "w:gz" if kind == "tar.gz" else "w") as out:
            for path in files:
                out.add(path, prefix + path.relative_to(conf).as_posix())
    extracted_before = set(tmp_path.iterdir())
    config = loader(archive)
    assert config["parameters"] == {"a": 1, "b": 2}
    assert config["catalog"] == {"ds": {"type": "csv"}}
    assert set(tmp_path.iterdir()) == extracted_before  # nothing was extracted


@pytest.mark.parametrize("member", ["/etc/base/parameters.yml", "base/../../evil.yml"])
@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_archive_members_escaping_the_archive_are_rejected(
    tmp_path: Path, member: str, kind: str
) -> None:
    archive = tmp_path / f"bad.{kind}"
    source = tmp_path / "payload.yml"
    source.write_text("a: 1\n")
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as out:
            out.writestr("base/parameters.yml", "a: 1\n")
            info = zipfile.ZipInfo(member)
            out.writestr(info, "a: 2\n")
    else:
        with tarfile.open(archive, "w") as out:
            out.add(source, "base/parameters.yml")
            info = tarfile.TarInfo(member)  # addfile keeps the name as given (add strips "/")
            info.size = source.stat().st_size
            with source.open("rb") as handle:
                out.addfile(info, handle)
    with pytest.raises(drupe.ConfigError, match=r"member .* (absolute path|contains '\.\.')"):
        loader(archive)["parameters"]


def test_conf_source_that_is_missing_or_not_an_archive_fails(tmp_path: Path) -> None:
    with pytest.raises(drupe.ConfigError, match="does not exist"):
        loader(tmp_path / "nowhere")
    text = tmp_path / "conf.txt"
    text.write_text("x")
    with pytest.raises(drupe.ConfigError, match="not an archive"):
        loader(text)


def test_conf_source_argument_of_a_session(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "elsewhere", {"base/parameters.yml": "where: elsewhere\n"})
    write_conf(tmp_path / "conf", {"base/parameters.yml": "where: project\n"})
    plugins = [drupe_config.ConfigPlugin, ProjectAt(tmp_path), echo_params()]
    with drupe.Session.create(entry_points=False, plugins=plugins, conf_source=conf) as session:
        assert session.load_context().params == {"where": "elsewhere"}


def test_declares_its_settings() -> None:
    declared = drupe_config.ConfigPlugin().declare_settings()
    assert declared["CONF_SOURCE"]["default"] == "conf"
    assert declared["CONFIG_LOADER_ARGS"]["type"] is dict


def test_files_are_parsed_once_per_loader_and_reload_rereads(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "conf", {"base/parameters.yml": "a: 1\n"})
    config = loader(conf)
    assert config["parameters"] == {"a": 1}
    (conf / "base/parameters.yml").write_text("a: 2\n")
    sibling = config.with_runtime_params({"b": 1})
    assert sibling["parameters"] == {"a": 1, "b": 1}  # shares what the first read parsed
    assert config.reload() is config
    assert config["parameters"] == {"a": 2}
    assert config.with_runtime_params({"b": 1})["parameters"] == {"a": 2, "b": 1}
    assert sibling["parameters"] == {"a": 1, "b": 1}  # a run in flight keeps its values
