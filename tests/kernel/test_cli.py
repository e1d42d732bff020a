"""The drupe command as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import drupe_process
import pytest

from drupe.testing import write_distribution, write_project


def drupe(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return drupe_process.drupe(cwd, *args, env=env, unset=["DRUPE_DISABLE_PLUGINS"])


def with_site(site: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def test_version_and_help(tmp_path: Path) -> None:
    import drupe as kernel

    assert drupe("--version", cwd=tmp_path).stdout.strip() == f"drupe, version {kernel.__version__}"
    helped = drupe("--help", cwd=tmp_path)
    assert helped.returncode == 0
    for word in ("info", "run", "-p no:NAME", "--verbose", "--project"):
        assert word in helped.stdout


def test_info_lists_every_plugin_with_distribution_and_hooks(tmp_path: Path) -> None:
    site = write_distribution(
        tmp_path / "site",
        "drupe-test-extra",
        version="4.5",
        plugins={"extra": "drupe_test_extra"},
        modules={
            "drupe_test_extra.py": (
                "import drupe\n@drupe.hookimpl\ndef after_close(session):\n    pass\n"
            )
        },
    )
    done = drupe("-p", "no:store", "info", "--json", cwd=tmp_path, env=with_site(site))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    plugins = {p["name"]: p for p in data["plugins"]}
    assert plugins["extra"]["distribution"] == "drupe-test-extra"
    assert plugins["extra"]["version"] == "4.5"
    assert plugins["extra"]["hooks"] == ["after_close"]
    assert plugins["store"]["enabled"] is False
    assert {"project", "settings", "config", "pipeline", "store"} <= set(plugins)


def test_info_says_who_answers_each_provider_hook_and_where_the_store_is(
    tmp_path: Path,
) -> None:
    import drupe as kernel

    site = write_distribution(
        tmp_path / "site",
        "drupe-own-config",
        plugins={"ownconfig": "drupe_own_config"},
        modules={
            "drupe_own_config.py": (
                "import drupe\n"
                "@drupe.hookimpl(tryfirst=True)\n"
                "def create_config_loader(project):\n"
                "    return None\n"
            )
        },
    )
    project = write_project(tmp_path / "proj", "proj_pkg")
    done = drupe("info", "--json", cwd=project, env=with_site(site))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["providers"]["create_config_loader"] == ["ownconfig", "config"]
    assert data["providers"]["execute_run"] == ["pipeline"]
    assert data["providers"]["get_pipelines"] == ["pipeline"]
    expected = project / ".drupe" / "sessions.db"
    assert data["store"] == {
        "location": str(expected),
        "type": "SqliteStore",
        "has_sessions": False,
    }

    text = drupe("info", cwd=project, env=with_site(site)).stdout
    assert "create_config_loader  ownconfig, config" in text
    assert f"session store: {expected} (SqliteStore; no sessions yet)" in text
    # Looking never creates the history: a project that never ran keeps no .drupe/.
    assert not (project / ".drupe").exists()
    with kernel.Session.create(project_path=project):
        pass
    assert f"session store: {expected} (SqliteStore)\n" in drupe("info", cwd=project).stdout
    without = drupe("-p", "no:store", "info", cwd=project).stdout
    assert "session store: none (sessions are not recorded)" in without
    assert "open_store            nobody" in without
    # get_pipelines is the pipeline plugin's own hook: listed while that plugin is enabled.
    no_pipeline = json.loads(drupe("-p", "no:pipeline", "info", "--json", cwd=project).stdout)
    assert "get_pipelines" not in no_pipeline["providers"]
    assert no_pipeline["providers"]["create_config_loader"] == ["config"]


def test_broken_plugin_fails_with_one_line_and_can_be_disabled(tmp_path: Path) -> None:
    site = write_distribution(
        tmp_path / "site",
        "drupe-test-broken",
        plugins={"broken": "drupe_test_broken"},
        modules={"drupe_test_broken.py": "raise RuntimeError('kaput')\n"},
    )
    failed = drupe("info", cwd=tmp_path, env=with_site(site))
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1, failed.stderr
    assert "'broken'" in lines[0] and "kaput" in lines[0] and "-p no:broken" in lines[0]
    assert "Traceback" not in failed.stderr
    verbose = drupe("--verbose", "info", cwd=tmp_path, env=with_site(site))
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr
    assert drupe("-p", "no:broken", "info", cwd=tmp_path, env=with_site(site)).returncode == 0
    env = {**with_site(site), "DRUPE_DISABLE_PLUGINS": "drupe-test-broken"}
    assert drupe("info", cwd=tmp_path, env=env).returncode == 0


def test_pyproject_disable_plugins_applies_to_the_cli(tmp_path: Path) -> None:
    site = write_distribution(
        tmp_path / "site",
        "drupe-test-broken",
        plugins={"broken": "drupe_test_broken"},
        modules={"drupe_test_broken.py": "raise RuntimeError('kaput')\n"},
    )
    project = write_project(tmp_path / "proj", tool={"disable_plugins": ["broken"]})
    assert drupe("info", cwd=project, env=with_site(site)).returncode == 0
    assert (
        drupe("--project", str(project), "info", cwd=tmp_path, env=with_site(site)).returncode == 0
    )


@pytest.mark.parametrize(
    ("flag", "shown"),
    [
        ("a", "'a' is not key=value"),
        ("a=1,,b=2", "empty item"),
        ('x="open', "unterminated"),
        ("a=" + "1" * 5000, "quote it to pass it as text"),
        (".".join(["k"] * 5000) + "=1", "5000 dotted parts"),
    ],
)
def test_malformed_params_exit_2_showing_the_fragment(
    tmp_path: Path, flag: str, shown: str
) -> None:
    done = drupe("run", "--params", flag, cwd=tmp_path)
    assert done.returncode == 2
    assert shown in done.stderr and "--params" in done.stderr


def test_only_no_prefix_is_accepted_for_p(tmp_path: Path) -> None:
    done = drupe("-p", "something", "info", cwd=tmp_path)
    assert done.returncode == 2 and "no:NAME" in done.stderr


EXTRA_COMMAND = """
import click
import drupe

@click.command("hello-extra")
def hello_extra():
    click.echo("hello from a plugin command")

@drupe.hookimpl
def cli_commands():
    return [hello_extra]
"""


def test_disabling_applies_to_plugin_commands_and_their_lookup(tmp_path: Path) -> None:
    site = write_distribution(
        tmp_path / "site",
        "drupe-test-extra",
        plugins={"extra": "drupe_test_extra"},
        modules={"drupe_test_extra.py": EXTRA_COMMAND},
    )
    write_distribution(
        site,
        "drupe-test-broken",
        plugins={"broken": "drupe_test_broken"},
        modules={"drupe_test_broken.py": "raise RuntimeError('kaput')\n"},
    )
    env = with_site(site)
    ran = drupe("-p", "no:broken", "hello-extra", cwd=tmp_path, env=env)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "hello from a plugin command"
    gone = drupe("-p", "no:broken", "-p", "no:extra", "hello-extra", cwd=tmp_path, env=env)
    assert gone.returncode == 2 and "No such command 'hello-extra'" in gone.stderr
    helped = drupe("-p", "no:broken", "--help", cwd=tmp_path, env=env)
    assert helped.returncode == 0 and "hello-extra" in helped.stdout


def test_lazy_command_is_listed_without_import_and_runs_when_called(tmp_path: Path) -> None:
    site = write_distribution(
        tmp_path / "site",
        "drupe-test-lazy",
        plugins={"lazy": "drupe_test_lazy"},
        modules={
            "drupe_test_lazy.py": (
                "import drupe\nfrom drupe.cli import LazyCommand\n"
                "@drupe.hookimpl\ndef cli_commands():\n"
                "    return [LazyCommand('slow', 'drupe_test_lazy_cmd:slow',"
                " 'A command whose module is heavy.')]\n"
            ),
            "drupe_test_lazy_cmd.py": (
                "import click\nprint('IMPORTED')\n"
                "@click.command('slow')\ndef slow():\n"
                "    click.echo('slow ran')\n"
            ),
        },
    )
    env = with_site(site)
    helped = drupe("--help", cwd=tmp_path, env=env)
    assert "A command whose module is heavy." in helped.stdout
    assert "IMPORTED" not in helped.stdout
    ran = drupe("slow", cwd=tmp_path, env=env)
    assert ran.returncode == 0 and ran.stdout.splitlines() == ["IMPORTED", "slow ran"]


def test_an_unexpected_error_in_a_plugin_hook_is_one_line_naming_it_unless_verbose(
    tmp_path: Path,
) -> None:
    site = write_distribution(
        tmp_path / "site",
        "drupe-test-explodes",
        plugins={"explodes": "drupe_test_explodes"},
        modules={
            "drupe_test_explodes.py": (
                "import drupe\n@drupe.hookimpl\n"
                "def before_session_create(spec):\n"
                "    raise RuntimeError('hook exploded')\n"
            )
        },
    )
    failed = drupe("run", cwd=tmp_path, env=with_site(site))
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "Error: unexpected RuntimeError: hook exploded (raised by plugin 'explodes' "
        "(distribution drupe-test-explodes 1.0) in hook before_session_create; run with "
        "--verbose for the traceback, or disable the plugin with -p no:explodes)"
    ]
    verbose = drupe("-v", "run", cwd=tmp_path, env=with_site(site))
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr
