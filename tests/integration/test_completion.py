"""Shell completion completes values (pipelines, nodes, tags, datasets, envs, session ids).

Each from the plugin that owns the option: the pipeline plugin its selection
flags, the config plugin ``--env`` (a kernel option, through ``complete_option``),
the store plugin the session ids.

Completion runs in a real process (``complete``) where what is tested is the
process: its environment (an installed plugin on ``PYTHONPATH``), a broken
project, its silence on stderr. Where the test checks only which values are
offered, the real command runs in this process (``complete_here``), which
spares a fresh interpreter per completion.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from drupe.cli.main import cli
from drupe.testing import write_distribution, write_project

ROOT = Path(__file__).resolve().parents[2]


def complete(cwd: Path, line: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash would offer for ``line`` (click's bash protocol: ``type,value`` lines)."""
    words = line.split(" ")
    done = subprocess.run(
        [sys.executable, "-c", "from drupe.cli.main import main; main()"],
        cwd=cwd,
        env={
            **os.environ,
            **(env or {}),
            "_DRUPE_COMPLETE": "bash_complete",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # completion never prints errors or logs
    return [item.partition(",")[2] for item in done.stdout.splitlines() if item]


def complete_here(cwd: Path, line: str) -> list[str]:
    """`complete`, with the real command run in this process by click's runner."""
    words = line.split(" ")
    env = {
        "_DRUPE_COMPLETE": "bash_complete",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1),
    }
    try:
        with contextlib.chdir(cwd):
            done = CliRunner().invoke(cli, [], prog_name="drupe", env=env)
    finally:
        for name, module in list(sys.modules.items()):  # a new process would not have them
            if (getattr(module, "__file__", None) or "").startswith(str(cwd)):
                del sys.modules[name]
    assert done.exit_code == 0, (done.output, done.exception)
    assert done.stderr == ""
    return [item.partition(",")[2] for item in done.stdout.splitlines() if item]


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    project = tmp_path / "hello"
    shutil.copytree(ROOT / "examples" / "hello", project, ignore=shutil.ignore_patterns(".drupe"))
    return project


def test_run_flags_complete_the_projects_names(hello: Path) -> None:
    assert complete_here(hello, "drupe run --nodes ") == ["greet", "measure", "shout"]
    assert complete_here(hello, "drupe run --nodes greet,s") == ["greet,shout"]
    assert complete_here(hello, "drupe run --tags ") == ["report"]
    assert complete_here(hello, "drupe run --pipelines g") == ["greet"]
    assert complete_here(hello, "drupe run --to-outputs st") == ["stats"]
    assert complete_here(hello, "drupe run --load-versions ") == []  # nothing is versioned
    assert complete_here(hello, "drupe run --env ") == ["local"]
    assert complete_here(hello, "drupe run --runner th") == ["thread"]
    assert not (hello / ".drupe").exists()  # completing records no session


def test_each_plugin_completes_the_values_of_the_options_it_owns(
    hello: Path, tmp_path: Path
) -> None:
    # --env is the kernel's option; its values are the config plugin's knowledge.
    assert complete(hello, "drupe -p no:config run --env ") == []
    assert complete(hello, "drupe -p no:pipeline run --env ") == ["local"]
    # Without the pipeline plugin there is no selection flag to complete.
    assert "--nodes" not in complete(hello, "drupe -p no:pipeline run --")
    site = write_distribution(
        tmp_path / "site",
        "drupe-more-envs",
        plugins={"moreenvs": "drupe_more_envs:MoreEnvs"},
        modules={
            "drupe_more_envs.py": (
                "import drupe\n"
                "class MoreEnvs:\n"
                "    @drupe.hookimpl\n"
                "    def complete_option(self, command, option):\n"
                "        wanted = (command, option) == ('run', 'env')\n"
                "        return ['staging', 'prod'] if wanted else None\n"
            )
        },
    )
    more = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    assert complete(hello, "drupe run --env ", more) == ["local", "prod", "staging"]
    assert complete(hello, "drupe run --env st", more) == ["staging"]


def test_session_ids_complete_for_show_and_rerun(hello: Path) -> None:
    # Before any session: only the names of the newest, and no store is created by looking.
    assert complete_here(hello, "drupe sessions show ") == ["latest", "last"]
    listed = subprocess.run(
        [sys.executable, "-m", "drupe", "sessions", "list"],
        cwd=hello,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (listed.returncode, listed.stdout) == (0, "no sessions yet\n")
    assert not (hello / ".drupe").exists()
    ran = subprocess.run(
        [sys.executable, "-m", "drupe", "run"], cwd=hello, capture_output=True, timeout=120
    )
    assert ran.returncode == 0
    offered = complete_here(hello, "drupe sessions show ")
    assert offered[:2] == ["latest", "last"]
    assert len(offered) == 3 and offered[2].startswith("20")
    assert complete_here(hello, "drupe sessions rerun la") == ["latest", "last"]


def test_load_versions_completes_versioned_datasets_then_their_saved_versions(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "versioned",
        "versioned",
        files={
            "src/versioned/pipeline_registry.py": (
                "from drupe_pipeline import Pipeline, node\n"
                "def register_pipelines():\n"
                "    make = node(lambda: {'a': 1}, None, 'model', name='make')\n"
                "    use = node(lambda m: m, 'model', 'copy', name='use')\n"
                "    return {'__default__': Pipeline([make, use])}\n"
            ),
            "src/versioned/settings.py": "",
            "conf/base/catalog.yml": (
                "model:\n  type: JSONDataset\n  filepath: data/model.json\n  versioned: true\n"
            ),
        },
    )
    assert complete_here(project, "drupe run --load-versions ") == ["model:"]
    assert complete_here(project, "drupe run --load-versions model:") == []  # none saved yet
    for _ in range(2):
        ran = subprocess.run(
            [sys.executable, "-m", "drupe", "run"], cwd=project, capture_output=True, timeout=120
        )
        assert ran.returncode == 0, ran.stderr
    saved = sorted(p.name for p in (project / "data" / "model.json").iterdir())
    offered = complete_here(project, "drupe run --load-versions model:")
    assert offered == [f"model:{version}" for version in reversed(saved)]  # newest first


def test_a_broken_project_completes_nothing_quietly(hello: Path) -> None:
    (hello / "src" / "hello" / "pipeline_registry.py").write_text("raise RuntimeError('x')\n")
    assert complete(hello, "drupe run --nodes ") == []


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F"), ("zsh", "compdef"), ("fish", "complete --no-files")],
)
def test_the_documented_setup_prints_a_script_for_each_shell(
    tmp_path: Path, shell: str, marker: str
) -> None:
    done = subprocess.run(
        ["drupe"] if shutil.which("drupe") else [sys.executable, "-m", "drupe"],
        cwd=tmp_path,
        env={**os.environ, "_DRUPE_COMPLETE": f"{shell}_source"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert marker in done.stdout
