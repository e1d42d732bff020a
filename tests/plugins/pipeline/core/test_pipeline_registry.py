"""PipelineRegistry and find_pipelines() on real project packages written to disk."""

from __future__ import annotations

import sys
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

import drupe
import drupe_project
from drupe.testing import write_project
from drupe_pipeline.errors import PipelineError
from drupe_pipeline.pipeline import Pipeline
from drupe_pipeline.registry import PipelineRegistry, find_pipelines

NODES = """
from drupe_pipeline.node import node
from drupe_pipeline.pipeline import Pipeline


def double(x):
    return 2 * x


def create_pipeline():
    return Pipeline([node(double, "{name}_in", "{name}_out", name="{name}_double")])
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Write a project package with ``files`` (paths relative to the package); return its name.

    Each project gets a fresh package name and the package's modules are
    dropped from ``sys.modules`` after the test, so tests never share imports.
    """
    packages: list[str] = []

    def make(files: dict[str, str]) -> str:
        package = f"regproj_{uuid.uuid4().hex[:10]}"
        packages.append(package)
        root = write_project(
            tmp_path / package,
            package,
            files={f"src/{package}/{path}": text for path, text in files.items()},
        )
        monkeypatch.syspath_prepend(str(root / "src"))
        return package

    yield make
    for name in list(sys.modules):
        if any(name == p or name.startswith(p + ".") for p in packages):
            del sys.modules[name]


def pipeline_package(name: str) -> dict[str, str]:
    return {f"pipelines/{name}/__init__.py": NODES.replace("{name}", name)}


REGISTRY_BY_HAND = """
from drupe_pipeline.registry import find_pipelines

CALLS = []


def register_pipelines():
    CALLS.append(1)
    pipelines = find_pipelines()
    return {"__default__": pipelines["__default__"], "ingest": pipelines["ingest"],
            "features": pipelines["features"], "all": pipelines["__default__"]}
"""


def node_names(pipeline: Pipeline) -> list[str]:
    return [n.name for n in pipeline.nodes]


def test_registry_loads_register_pipelines_once_and_gets_by_name(project):
    package = project(
        {
            "pipeline_registry.py": REGISTRY_BY_HAND,
            **pipeline_package("ingest"),
            **pipeline_package("features"),
        }
    )
    registry = PipelineRegistry(package)
    assert registry.names() == ["__default__", "all", "features", "ingest"]
    assert node_names(registry.get(["ingest"])) == ["ingest_double"]
    assert node_names(registry.get([])) == ["features_double", "ingest_double"]
    assert registry.get(["ingest", "features"]) == registry.get(["all"])
    assert "ingest" in registry and "other" not in registry
    assert sys.modules[f"{package}.pipeline_registry"].CALLS == [1]


def test_unknown_pipeline_name_lists_close_matches(project):
    package = project(
        {
            "pipeline_registry.py": REGISTRY_BY_HAND,
            **pipeline_package("ingest"),
            **pipeline_package("features"),
        }
    )
    with pytest.raises(PipelineError) as info:
        PipelineRegistry(package).get(["ingst"])
    message = str(info.value)
    assert f"No pipeline named 'ingst' in {package}.pipeline_registry." in message
    assert "Did you mean 'ingest'?" in message
    assert "Registered: __default__, all, features, ingest." in message


def test_find_pipelines_discovers_subpackages_and_sums_them(project):
    package = project({**pipeline_package("beta"), **pipeline_package("alpha")})
    found = find_pipelines(package)
    assert list(found) == ["__default__", "alpha", "beta"]
    assert node_names(found["__default__"]) == ["alpha_double", "beta_double"]
    # every pipeline module was imported to find its create_pipeline()
    assert f"{package}.pipelines.alpha" in sys.modules
    assert f"{package}.pipelines.beta" in sys.modules


def test_find_pipelines_skips_a_subpackage_without_create_pipeline_with_a_warning(project):
    package = project(
        {
            **pipeline_package("good"),
            "pipelines/helpers/__init__.py": "VALUE = 1\n",
            "pipelines/_private/__init__.py": "raise RuntimeError('never imported')\n",
            "pipelines/loose_module.py": "raise RuntimeError('never imported')\n",
        }
    )
    with pytest.warns(UserWarning, match=rf"Skipping {package}\.pipelines\.helpers: it defines no"):
        found = find_pipelines(package)
    assert list(found) == ["__default__", "good"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "def create_pipeline():\n    raise ValueError('broken table')\n",
            "pipelines.bad.create_pipeline() failed: ValueError: broken table",
        ),
        (
            "import not_a_module_anywhere_xyz\n",
            "Importing a pipeline {package}.pipelines.bad failed: ModuleNotFoundError",
        ),
        ("x = 1 +\n", "Importing a pipeline {package}.pipelines.bad failed: SyntaxError"),
        (
            "def create_pipeline():\n    return [1, 2]\n",
            "pipelines.bad.create_pipeline() returned list, not a Pipeline",
        ),
        (
            "from drupe_pipeline.node import node\n"
            "def create_pipeline():\n    return node(len, ['a', 'b'], 'c', name='two_args')\n",
            "create_pipeline() failed: PipelineError: Node 'two_args': len(obj, /) cannot take",
        ),
    ],
)
def test_find_pipelines_fails_naming_a_broken_pipeline(project, source, message):
    package = project({**pipeline_package("good"), "pipelines/bad/__init__.py": source})
    with pytest.raises(PipelineError) as info:
        find_pipelines(package)
    assert message.format(package=package) in str(info.value)
    if "returned" not in message:  # the original exception stays reachable
        assert info.value.__cause__ is not None


def test_find_pipelines_without_pipelines_package_gives_an_empty_default(project):
    package = project({})
    assert find_pipelines(package) == {"__default__": Pipeline([])}


@pytest.fixture
def no_configured_project():
    """No project recorded by drupe_project in this process, before and after the test."""
    drupe_project.clear_configured_project()
    yield
    drupe_project.clear_configured_project()


def test_find_pipelines_outside_a_session_and_a_registry_asks_for_the_package(
    project, no_configured_project
):
    # The pipeline plugin never imports the project plugin: outside a session
    # (and outside register_pipelines) it cannot know the project, even one
    # configured with drupe_project.configure_project, and says what to pass.
    package = project(pipeline_package("solo"))
    drupe_project.configure_project(package)
    with pytest.raises(PipelineError, match=r"pass it, find_pipelines\('my_package'\)"):
        find_pipelines()
    assert list(find_pipelines(package)) == ["__default__", "solo"]


def test_find_pipelines_without_a_package_name_uses_the_active_session(
    project, tmp_path, no_configured_project
):
    package = project(pipeline_package("solo"))
    with drupe.Session.create(
        project_path=tmp_path, entry_points=False, save_on_close=False
    ) as session:
        assert session.project is None
        with pytest.raises(PipelineError, match="cannot tell which project package"):
            find_pipelines()
    project_obj = drupe.Project(package_name=package)
    with drupe.Session.create(
        project_path=tmp_path,
        entry_points=False,
        save_on_close=False,
        plugins=[_ProjectProvider(project_obj)],
    ):
        assert list(find_pipelines()) == ["__default__", "solo"]


class _ProjectProvider:
    def __init__(self, project: drupe.Project) -> None:
        self.project = project

    @drupe.hookimpl
    def find_project(self):
        return self.project


LAZY_REGISTRY = """
import importlib


def _load(name):
    return lambda: importlib.import_module(f"{__package__}.pipelines.{name}").create_pipeline()


def register_pipelines():
    return {"__default__": _load("light"), "light": _load("light"), "heavy": _load("heavy")}
"""


def test_lazily_registered_pipelines_import_only_what_is_requested(project):
    package = project(
        {
            "pipeline_registry.py": LAZY_REGISTRY,
            **pipeline_package("light"),
            **pipeline_package("heavy"),
        }
    )
    registry = PipelineRegistry(package)
    assert registry.names() == ["__default__", "heavy", "light"]
    assert node_names(registry.get(["light"])) == ["light_double"]
    assert node_names(registry.get([])) == ["light_double"]
    assert f"{package}.pipelines.light" in sys.modules
    assert f"{package}.pipelines.heavy" not in sys.modules
    assert registry.get(["light"]) is registry.get(["light"])  # built once, then cached


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "Cannot import the pipeline registry {package}.pipeline_registry: no such module"),
        (
            {"pipeline_registry.py": "X = 1\n"},
            "{package}.pipeline_registry defines no register_pipelines() function",
        ),
        (
            {"pipeline_registry.py": "def register_pipelines():\n    return []\n"},
            "{package}.pipeline_registry.register_pipelines() returned list, not a dict",
        ),
        (
            {"pipeline_registry.py": "def register_pipelines():\n    return {'a': 1}\n"},
            "register_pipelines() maps 'a' to int",
        ),
        (
            {
                "pipeline_registry.py": "from drupe_pipeline.pipeline import Pipeline\n"
                "def register_pipelines():\n    return {'main': Pipeline([])}\n"
            },
            "register_pipelines() returned no '__default__' pipeline (it has main)",
        ),
        (
            {"pipeline_registry.py": "def register_pipelines():\n    raise KeyError('oops')\n"},
            "{package}.pipeline_registry.register_pipelines() failed: KeyError: 'oops'",
        ),
        (
            {"pipeline_registry.py": "import missing_dependency_abc\n"},
            "Importing the pipeline registry {package}.pipeline_registry failed: "
            "ModuleNotFoundError: No module named 'missing_dependency_abc'",
        ),
        (
            {
                "pipeline_registry.py": "def register_pipelines():\n"
                "    return {'__default__': lambda: 'nope'}\n"
            },
            "Pipeline '__default__' registered in {package}.pipeline_registry is a function that "
            "returned str",
        ),
    ],
)
def test_registry_errors_name_the_module(project, files, message):
    package = project(files)
    with pytest.raises(PipelineError) as info:
        PipelineRegistry(package).get([])
    assert message.format(package=package) in str(info.value)


def test_registry_can_be_shared_by_threads(project):
    import threading

    package = project(
        {
            "pipeline_registry.py": REGISTRY_BY_HAND,
            **pipeline_package("ingest"),
            **pipeline_package("features"),
        }
    )
    registry = PipelineRegistry(package)
    results: list[Pipeline] = []
    threads = [
        threading.Thread(target=lambda: results.append(registry.get(["all"]))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and all(r == results[0] for r in results)
    assert sys.modules[f"{package}.pipeline_registry"].CALLS == [1]


def test_importing_the_registry_module_has_no_warnings_for_good_projects(project):
    package = project(
        {
            "pipeline_registry.py": REGISTRY_BY_HAND,
            **pipeline_package("ingest"),
            **pipeline_package("features"),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PipelineRegistry(package).names()


@pytest.mark.parametrize(
    "source",
    [
        "import not_a_module_anywhere_xyz\n",
        "def create_pipeline():\n    raise ValueError('broken table')\n",
    ],
)
def test_find_pipelines_raise_errors_false_warns_and_skips_the_broken_pipeline(project, source):
    # Kedro's meaning of raise_errors=False: report the broken pipeline, keep the others.
    package = project({**pipeline_package("good"), "pipelines/bad/__init__.py": source})
    with pytest.warns(UserWarning, match=r"Skipping pipeline 'bad' \(find_pipelines\(raise_errors"):
        found = find_pipelines(package, raise_errors=False)
    assert list(found) == ["__default__", "good"]
    assert node_names(found["__default__"]) == ["good_double"]
    with pytest.raises(PipelineError, match=r"pipelines\.bad"):
        find_pipelines(package, raise_errors=True)


def test_find_pipelines_accepts_kedros_positional_raise_errors_inside_register_pipelines(project):
    registry = (
        "from drupe_pipeline.registry import find_pipelines\n"
        "def register_pipelines():\n"
        "    pipelines = find_pipelines(False)\n"
        "    pipelines['__default__'] = sum(pipelines.values())\n"
        "    return pipelines\n"
    )
    package = project(
        {
            "pipeline_registry.py": registry,
            **pipeline_package("good"),
            "pipelines/bad/__init__.py": "import not_a_module_anywhere_xyz\n",
        }
    )
    with pytest.warns(UserWarning, match="Skipping pipeline 'bad'"):
        names = PipelineRegistry(package).names()
    assert names == ["__default__", "good"]


COUNTING_REGISTRY = """
from drupe_pipeline.node import node
from drupe_pipeline.pipeline import Pipeline

CALLS = []


def double(x):
    return 2 * x


def register_pipelines():
    CALLS.append(1)
    return {"__default__": Pipeline([node(double, "a", "b", name="double")])}
"""


def test_register_pipelines_runs_once_per_process_until_its_module_is_reimported(
    project: Callable[..., str],
) -> None:
    """Later sessions reuse the pipelines (as Kedro does); a re-imported module is called again."""
    package = project({"__init__.py": "", "pipeline_registry.py": COUNTING_REGISTRY})
    first = PipelineRegistry(package).get()
    second = PipelineRegistry(package).get()
    module = sys.modules[f"{package}.pipeline_registry"]
    assert module.CALLS == [1]
    assert second is first
    del sys.modules[f"{package}.pipeline_registry"]
    PipelineRegistry(package).get()
    assert sys.modules[f"{package}.pipeline_registry"].CALLS == [1]  # a new module, called
    assert module.CALLS == [1]
