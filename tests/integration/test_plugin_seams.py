"""The promise of the seams, tried as a plugin author and an embedder would.

Every bundled plugin can be replaced or disabled: a disabled plugin is never
imported (in the parent or in a worker), an executor of your own brings its
own ``drupe run`` flags, an embedding runs pipelines held in memory without a
project, the store's records stay true whatever other plugins raise, a typo
in a node hook is caught, and a broken plugin does not hide the others.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import drupe
import drupe_store
from drupe.testing import StaticConfig, write_distribution
from drupe_pipeline import PipelinePlugin, node, pipeline

FLAG_PROJECT = {
    "src/flagged/nodes.py": """
        import os
        import sys


        def probe(seed):
            return {"project_imported": "drupe_project" in sys.modules, "pid": os.getpid()}
    """,
    "src/flagged/pipeline_registry.py": """
        from drupe_pipeline import node, pipeline

        from flagged.nodes import probe


        def register_pipelines():
            nodes = [node(probe, "params:seed", f"flag_{i}", name=f"probe_{i}") for i in range(2)]
            return {"__default__": pipeline(nodes)}
    """,
    "src/flagged/settings.py": """
        from flagged.hooks import ParentProbe

        HOOKS = (ParentProbe(),)
    """,
    "src/flagged/hooks.py": """
        import json
        import sys
        from pathlib import Path

        import drupe


        class ParentProbe:
            @drupe.hookimpl
            def after_run(self, session):
                out = Path(session.project_path) / "parent.json"
                out.write_text(json.dumps({"project_imported": "drupe_project" in sys.modules}))
    """,
    "conf/base/parameters.yml": "seed: 1\n",
    "conf/base/catalog.yml": """
        flag_0: {type: JSONDataset, filepath: data/flag_0.json}
        flag_1: {type: JSONDataset, filepath: data/flag_1.json}
    """,
    "conf/local/.gitkeep": "",
}

# A third-party project finder: finds the project and makes it importable in
# workers, so the bundled project plugin can be disabled.
FINDER = """
import sys
from pathlib import Path

import drupe


class Finder:
    @drupe.hookimpl
    def find_project(self, start):
        root = Path(start)
        return drupe.Project(package_name="flagged", root=root, source_dir=root / "src")

    @drupe.hookimpl
    def before_session_create(self, spec):
        src = str(Path(spec.project_path) / "src")
        if src not in sys.path:
            sys.path.insert(0, src)

    @drupe.hookimpl
    def setup_worker(self, spec):
        src = str(spec.project.source_dir)
        if src not in sys.path:
            sys.path.insert(0, src)
"""


def drupe_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "drupe", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_disabled_project_plugin_is_never_imported_by_the_parent_or_the_workers(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_project("flagged", files=FLAG_PROJECT)
    site = write_distribution(
        tmp_path / "site",
        "drupe-test-finder",
        plugins={"finder": "drupe_test_finder:Finder"},
        modules={"drupe_test_finder.py": FINDER},
    )
    env = {"PYTHONPATH": str(site), "DRUPE_MP_CONTEXT": "spawn"}
    done = drupe_cli("-p", "no:project", "run", "--runner", "parallel", cwd=root, env=env)
    assert done.returncode == 0, done.stderr
    flags = [json.loads((root / "data" / f"flag_{i}.json").read_text()) for i in range(2)]
    assert all(flag["pid"] != os.getpid() for flag in flags)
    assert [flag["project_imported"] for flag in flags] == [False, False]
    assert json.loads((root / "parent.json").read_text()) == {"project_imported": False}


def double(x: int) -> int:
    return 2 * x


class InMemoryPipelines:
    """An embedding's pipelines, given to the bundled pipeline plugin through a hook."""

    @drupe.hookimpl
    def register_pipelines(self) -> dict[str, Any]:
        return {"__default__": pipeline([node(double, "params:x", "y", name="double")])}


def test_an_embedding_runs_in_memory_pipelines_without_a_project() -> None:
    plugins = [PipelinePlugin, StaticConfig({"parameters": {"x": 21}}), InMemoryPipelines()]
    with drupe.Session.create(entry_points=False, plugins=plugins) as session:
        assert session.project is None
        assert session.run(node_names=["double"]) == {"y": 42}
    with drupe.ServiceSession.create(entry_points=False, plugins=plugins) as service:
        assert service.run(runtime_params={"x": 5}) == {"y": 10}
        with pytest.raises(drupe.UsageError) as caught:
            service.run(tags=["nope"], colour="red")
        assert caught.value.field == "colour"


SHARDED = """
import json
from pathlib import Path

import click
import drupe


class ShardedExecutor:
    @drupe.hookimpl
    def run_options(self):
        return [click.Option(["--shards"], type=int, default=1, help="How many shards.")]

    @drupe.hookimpl
    def validate_selection(self, selection):
        unknown = set(selection) - {"shards"}
        if unknown:
            key = sorted(unknown)[0]
            raise drupe.UsageError(f"the sharded executor has no option {key!r}", field=key)
        return {"shards": selection.get("shards", 1)}

    @drupe.hookimpl
    def execute_run(self, session, run):
        out = Path(session.project_path) / "sharded.json"
        out.write_text(json.dumps(dict(run.selection)))
        return {"shards": run.selection["shards"]}
"""


def test_an_executor_of_your_own_brings_its_own_drupe_run_flags(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_project("sharded_project", files={"conf/base/parameters.yml": "a: 1\n"})
    site = write_distribution(
        tmp_path / "site",
        "drupe-test-sharded",
        plugins={"sharded": "drupe_test_sharded:ShardedExecutor"},
        modules={"drupe_test_sharded.py": SHARDED},
    )
    env = {"PYTHONPATH": str(site)}
    helped = drupe_cli("-p", "no:pipeline", "run", "--help", cwd=root, env=env)
    assert helped.returncode == 0, helped.stderr
    assert "--shards" in helped.stdout and "--tags" not in helped.stdout
    assert "--params" in helped.stdout  # the session's own flags stay
    with_pipeline = drupe_cli("run", "--help", cwd=root, env=env)
    assert "--tags" in with_pipeline.stdout and "--shards" in with_pipeline.stdout

    ran = drupe_cli("-p", "no:pipeline", "run", "--shards", "3", cwd=root, env=env)
    assert ran.returncode == 0, ran.stderr
    assert json.loads((root / "sharded.json").read_text()) == {"shards": 3}


class RaisesIn:
    def __init__(self, hook: str) -> None:
        self.hook = hook

    @drupe.hookimpl
    def after_run(self) -> None:
        if self.hook == "after_run":
            raise ValueError("after_run exploded")

    @drupe.hookimpl
    def on_run_error(self) -> None:
        if self.hook == "on_run_error":
            raise ValueError("on_run_error exploded")

    @drupe.hookimpl
    def after_close(self) -> None:
        if self.hook == "after_close":
            raise ValueError("after_close exploded")


def _fail(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
    raise KeyError("the node's own error")


def _ok(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
    return {"x": 1}


def _recorded(tmp_path: Path, hook: str, executor: Any) -> tuple[dict[str, Any], BaseException]:
    from drupe.testing import FunctionExecutor

    plugins = [
        drupe_store.StorePlugin,
        StaticConfig(),
        FunctionExecutor(executor),
        RaisesIn(hook),  # registered last: its hooks are called before the store's
    ]
    session_id = ""
    with pytest.raises(Exception) as caught:  # each case raises its own
        with drupe.Session.create(
            tmp_path,
            entry_points=False,
            plugins=[_AtRoot(tmp_path), *plugins],
        ) as session:
            session_id = session.session_id
            session.run()
    with drupe_store.open_history(tmp_path) as history:
        return history.get_session(session_id), caught.value


class _AtRoot:
    def __init__(self, root: Path) -> None:
        self.root = root

    @drupe.hookimpl
    def find_project(self) -> drupe.Project:
        return drupe.Project(package_name="recorded", root=self.root)


def test_a_plugin_failing_in_after_run_leaves_the_run_succeeded(tmp_path: Path) -> None:
    record, error = _recorded(tmp_path, "after_run", _ok)
    assert isinstance(error, ValueError)
    (run,) = record["runs"]
    assert run["status"] == "succeeded" and run["outputs"] == ["x"]
    assert [e["hook"] for e in run["hook_errors"]] == ["after_run"]
    assert "after_run exploded" in run["hook_errors"][0]["message"]
    assert run["hook_errors"][0]["plugin"] == "RaisesIn"


def test_a_plugin_failing_in_after_close_leaves_the_session_closed(tmp_path: Path) -> None:
    record, error = _recorded(tmp_path, "after_close", _ok)
    assert isinstance(error, ValueError)
    assert record["status"] == "closed"
    assert record["runs"][0]["status"] == "succeeded"
    assert [e["hook"] for e in record["hook_errors"]] == ["after_close"]
    assert record["hook_errors"][0]["plugin"] == "RaisesIn"


def test_a_plugin_failing_in_on_run_error_never_replaces_the_runs_error(tmp_path: Path) -> None:
    record, error = _recorded(tmp_path, "on_run_error", _fail)
    assert isinstance(error, KeyError)  # the run's own error reaches the caller
    (run,) = record["runs"]
    assert run["status"] == "failed"
    assert run["error"]["type"] == "KeyError"


class Typo:
    @drupe.hookimpl(optionalhook=True)
    def after_node_runn(self) -> None:
        """A misspelt after_node_run."""


def test_a_misspelt_node_hook_is_rejected_once_the_pipeline_plugin_is_there() -> None:
    with pytest.raises(drupe.PluginError) as caught:
        drupe.Session.create(entry_points=False, plugins=[PipelinePlugin, Typo()])
    message = str(caught.value)
    assert "after_node_runn" in message and "'after_node_run'" in message
    assert caught.value.hook == "after_node_runn"
    # Without the plugin that declares node hooks, an optional hook is allowed.
    with drupe.Session.create(entry_points=False, plugins=[Typo()]):
        pass


def test_a_broken_plugin_does_not_hide_the_other_plugins_commands(tmp_path: Path) -> None:
    site = write_distribution(
        tmp_path / "site",
        "drupe-test-broken",
        plugins={"broken": "drupe_test_broken"},
        modules={"drupe_test_broken.py": "raise RuntimeError('kaput')\n"},
    )
    helped = drupe_cli("--help", cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert helped.returncode == 0, helped.stderr
    for command in ("new", "sessions", "serve", "pipelines", "run", "info"):
        assert f"  {command} " in helped.stdout, command
    section = helped.stdout.split("Plugins that failed to load", 1)[1]
    assert section.count("plugin 'broken'") == 1
    assert "kaput" in section and "-p no:broken" in section
    # The store's command still works (here: there is no history yet, and it says so).
    listed = drupe_cli("sessions", "list", cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert "no session history found" in listed.stderr and "kaput" not in listed.stderr


class BrokenStore:
    """A third-party store that cannot write."""

    def save_session(self, record: Any) -> None:
        raise OSError("disk on fire")

    def save_run(self, record: Any) -> None:
        raise OSError("disk on fire")

    def close(self) -> None:
        """Nothing to release."""


class BrokenStorePlugin:
    @drupe.hookimpl
    def open_store(self) -> BrokenStore:
        return BrokenStore()


def test_a_third_party_stores_failure_names_that_plugin(tmp_path: Path) -> None:
    with pytest.raises(drupe.StoreError) as caught:
        drupe.Session.create(
            tmp_path,
            entry_points=False,
            plugins=[_AtRoot(tmp_path), drupe_store.StorePlugin, BrokenStorePlugin()],
        )
    assert caught.value.plugin == "BrokenStorePlugin"
    assert "-p no:BrokenStorePlugin" in str(caught.value) and "no:store" not in str(caught.value)
