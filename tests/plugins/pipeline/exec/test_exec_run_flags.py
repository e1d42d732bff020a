"""Kedro-habit ``drupe run`` flags (``drupe_pipeline.run_flags``), parsed by click for real.

The command here is ``drupe run``'s shape: the pipeline plugin's run options
(`drupe_pipeline.selection.run_options`, which include `kedro_run_options`)
plus the kernel's ``--env`` and ``--params``; it echoes what it got.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from drupe.cli import params_callback
from drupe_pipeline.selection import run_options


@click.command("run")
@click.option("-e", "--env", default=None)
@click.option("--params", multiple=True, callback=params_callback)
def run(**given):
    click.echo(json.dumps(given, sort_keys=True, default=list))


run.params.extend(run_options())


def invoke(*args: str, cwd: Path):
    result = CliRunner().invoke(run, list(args), catch_exceptions=False)
    return result


def test_config_file_gives_the_options_and_command_line_flags_win(tmp_path: Path):
    config = tmp_path / "run.yml"
    config.write_text(
        "run:\n"
        "  pipeline: data_science\n"  # Kedro's name for --pipelines
        "  tags: [training, scoring]\n"
        "  node_names: train,evaluate\n"
        "  runner: ParallelRunner\n"
        "  env: staging\n"
        "  async: true\n"
        "  params:\n    model:\n      lr: 0.1\n"
    )
    result = invoke("--config", str(config), "--tags", "only_this", "-e", "prod", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert got["pipeline_names"] == ["data_science"]
    assert got["tags"] == ["only_this"]  # the command line wins
    assert got["node_names"] == ["train", "evaluate"]
    assert got["runner"] == "ParallelRunner"
    assert got["env"] == "prod"
    assert got["async_io"] is True
    assert got["params"] == {"model": {"lr": 0.1}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("run:\n  pipelnie: x\n", "run.pipelnie is not a drupe run option; the options are:"),
        ("pipeline: x\n", "must hold a mapping under a top-level 'run' key"),
        ("run: [\n", "is not a YAML file"),
        ("run:\n  async: maybe\n", "run.async must be true or false"),
    ],
)
def test_a_bad_config_file_is_a_usage_error_naming_the_problem(tmp_path, text, message):
    config = tmp_path / "run.yml"
    config.write_text(text)
    result = invoke("--config", str(config), cwd=tmp_path)
    assert result.exit_code == 2
    assert message in result.output


def test_a_missing_config_file_is_a_usage_error(tmp_path):
    result = invoke("--config", str(tmp_path / "nope.yml"), cwd=tmp_path)
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_async_flag_and_default(tmp_path):
    assert json.loads(invoke("--async", cwd=tmp_path).output)["async_io"] is True
    assert json.loads(invoke(cwd=tmp_path).output)["async_io"] is False


def test_short_p_names_the_long_flag_to_use(tmp_path):
    result = invoke("-p", "data_science", cwd=tmp_path)
    assert result.exit_code == 2
    assert "-p is drupe's plugin switch" in result.output
    assert "write --pipeline data_science" in result.output
