"""Catalog entries are private to each run; bad selections and a missing project finder.

Real projects in temp folders. The real CLI: in a subprocess for a disabled
plugin, in this process (click's runner) for the twelve bad selections, which
are refused before anything runs: a fresh interpreter each would spend most of
its second importing pandas for the project's nodes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import drupe_process
import pytest
from click.testing import Result

import drupe
from drupe_pipeline import SelectionError

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return drupe_process.drupe(cwd, *args, unset=["DRUPE_ENV"])


COUNTING_DATASET = '''
from drupe_pipeline import AbstractDataset


class CountingDataset(AbstractDataset):
    """Changes the arguments it is given, as some dataset classes do."""

    def __init__(self, opts, tags):
        opts["count"] += 1
        tags.append("seen")
        self.opts, self.tags = opts, tags

    def _load(self):
        return {"count": self.opts["count"], "tags": list(self.tags)}

    def _save(self, data):
        raise NotImplementedError

    def _describe(self):
        return dict(self.opts)
'''

REGISTRY = """
from drupe_pipeline import Pipeline, node


def register_pipelines():
    return {"__default__": Pipeline([node(lambda x: x, "counted", "out", name="pass")])}
"""


def test_each_run_builds_its_datasets_from_a_fresh_copy_of_the_entry(tmp_path: Path) -> None:
    package = f"counting_{uuid.uuid4().hex[:10]}"
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "{package}"\nversion = "0"\n\n[tool.drupe]\n'
        f'package_name = "{package}"\n'
    )
    source = tmp_path / "src" / package
    source.mkdir(parents=True)
    (source / "__init__.py").write_text("")
    (source / "datasets.py").write_text(COUNTING_DATASET)
    (source / "pipeline_registry.py").write_text(REGISTRY)
    (tmp_path / "conf" / "base").mkdir(parents=True)
    (tmp_path / "conf" / "base" / "catalog.yml").write_text(
        f"counted:\n  type: {package}.datasets.CountingDataset\n  opts: {{count: 0}}\n  tags: [a]\n"
    )
    with drupe.ServiceSession.create(project_path=tmp_path) as session:
        outputs = [session.run()["out"] for _ in range(3)]
        catalog = session.load_context().config_loader["catalog"]
    assert outputs == [{"count": 1, "tags": ["a", "seen"]}] * 3
    assert catalog["counted"]["opts"] == {"count": 0} and catalog["counted"]["tags"] == ["a"]


def test_disabled_project_plugin_is_named_instead_of_package_not_found(tmp_path: Path) -> None:
    root = tmp_path / "hello"
    shutil.copytree(EXAMPLES / "hello", root, ignore=shutil.ignore_patterns("__pycache__"))
    done = cli(root, "-p", "no:project", "run")
    assert done.returncode != 0
    assert (
        "no plugin answers find_project, so this session has no project: is the bundled "
        "'project' plugin (drupe_project) disabled?" in done.stderr
    )
    assert "Package name not found" not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def spaceflights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("usage") / "spaceflights"
    shutil.copytree(
        EXAMPLES / "spaceflights",
        root,
        ignore=shutil.ignore_patterns(".drupe", "__pycache__", "0[2-9]_*"),
    )
    yield root
    for name, module in list(sys.modules.items()):  # the project's code, imported in-process
        if (getattr(module, "__file__", None) or "").startswith(str(root)):
            del sys.modules[name]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--pipelines", "nope"], "Registered: __default__, data_processing, data_science"),
        (["--pipelines", "data_procesing"], "Did you mean 'data_processing'"),
        (["--nodes", "nope"], "Nodes: active_modelling.evaluate_model"),
        (["--nodes", "split_data"], "did you mean 'active_modelling.split_data'"),
        (["--tags", "nope"], "the pipeline's tags: active_modelling"),
        (["--namespaces", "nope"], "Namespaces: active_modelling, candidate_modelling"),
        (["--namespaces", "active"], "Did you mean 'active_modelling'?"),
        (["--from-nodes", "nope"], "The pipeline has no node named 'nope'"),
        (["--to-nodes", "nope"], "The pipeline has no node named 'nope'"),
        (["--from-inputs", "nope"], "The pipeline has no dataset named 'nope'"),
        (["--to-outputs", "model_inputs_table"], "Did you mean 'model_input_table'"),
        (
            ["--tags", "preprocessing", "--namespaces", "active_modelling"],
            "No node matches all filters",
        ),
    ],
)
def test_bad_selections_are_usage_errors(
    spaceflights: Path,
    args: list[str],
    expected: str,
    drupe_in_process: Callable[..., tuple[Result, list[str]]],
) -> None:
    done, logged = drupe_in_process(spaceflights, "run", *args)
    assert done.exit_code == 2, (done.stderr, done.exception)
    assert expected in done.stderr
    assert "running node" not in done.stderr and "Traceback" not in done.stderr
    assert not [line for line in logged if "running node" in line]  # nothing ran


def test_selection_error_is_a_pipeline_error_with_exit_code_2() -> None:
    from drupe_pipeline import PipelineError

    assert issubclass(SelectionError, PipelineError) and SelectionError.exit_code == 2
    assert issubclass(SelectionError, drupe.DrupeError)
