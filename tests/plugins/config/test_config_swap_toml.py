"""A third-party distribution replaces the YAML loader (examples/plugins/drupe-toml-config)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import drupe_process
import pytest

import drupe.testing

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "plugins" / "drupe-toml-config"

SCRIPT = textwrap.dedent(
    """
    import sys
    import drupe

    with drupe.Session.create(
        conf_source=sys.argv[1],
        save_on_close=False,
        disable_plugins=["project", "settings", "pipeline", "store", "serve"],
    ) as session:
        loader = session.load_context().config_loader
        print(type(loader).__module__, session.load_context().params)
    """
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target"]
    command += [str(target), str(EXAMPLE)]
    if importlib.util.find_spec("hatchling") is not None:
        command.insert(4, "--no-build-isolation")
    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    return target


def _run(site: Path, conf: Path, **env: str) -> str:
    environment = {**os.environ, "PYTHONPATH": str(site), **env}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(conf)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _conf(tmp_path: Path) -> Path:
    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    (conf / "local").mkdir()
    (conf / "base" / "parameters.toml").write_text('lr = 0.1\n[model]\nname = "toml"\n')
    (conf / "local" / "parameters.toml").write_text("lr = 0.5\n")
    (conf / "base" / "parameters.yml").write_text("lr: 99\n")
    return conf


def test_installed_toml_plugin_outranks_the_yaml_loader(site: Path, tmp_path: Path) -> None:
    output = _run(site, _conf(tmp_path))
    assert output == "drupe_toml_config {'lr': 0.5, 'model': {'name': 'toml'}}"


def test_installed_toml_plugin_answers_with_the_yaml_loader_disabled(
    site: Path, tmp_path: Path
) -> None:
    output = _run(site, _conf(tmp_path), DRUPE_DISABLE_PLUGINS="config")
    assert output == "drupe_toml_config {'lr': 0.5, 'model': {'name': 'toml'}}"


def test_yaml_project_still_gets_the_yaml_loader(site: Path, tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    (conf / "base" / "parameters.yml").write_text("lr: 1e-3\n")
    assert _run(site, conf) == "drupe_config.loader {'lr': 0.001}"


def test_the_examples_executor_adds_its_own_drupe_run_flag(site: Path, tmp_path: Path) -> None:
    root = drupe.testing.write_project(tmp_path / "proj", "toml_report")
    _conf(tmp_path / "proj")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return drupe_process.drupe(root, *args, env={"PYTHONPATH": str(site)})

    helped = cli("run", "--help")
    assert "--show-params" in helped.stdout and "--tags" in helped.stdout
    shown = cli("run", "--show-params", "--params", "lr=0.9")
    assert shown.returncode == 0, shown.stderr
    assert "output parameters = {" in shown.stderr and "'lr': 0.9" in shown.stderr
    mixed = cli("run", "--show-params", "--tags", "x")
    assert mixed.returncode == 2 and "'tags' means nothing" in mixed.stderr
    assert "--show-params" not in cli("-p", "no:params_report", "run", "--help").stdout
