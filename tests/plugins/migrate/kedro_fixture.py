"""A Kedro 1.x project in the shape of Kedro's starters, written file by file for the tests.

Two modular pipelines: ``data_processing`` (``pipeline(..., namespace=...)``,
reading ``params:min_rating`` which the namespace turns into
``params:data_processing.min_rating``) and ``data_science``, instantiated
twice with ``Pipeline(..., namespace=...)`` so that ``active`` and
``candidate`` read their own ``model_options``. Kedro is not installed: the
project only runs once ``drupe migrate kedro`` has rewritten it.
"""

from __future__ import annotations

import json
from pathlib import Path

PACKAGE = "kproj"

COMPANIES = [
    {"name": "a", "rating": 4, "size": 10},
    {"name": "b", "rating": 2, "size": 20},
    {"name": "c", "rating": 5, "size": 30},
]

FILES: dict[str, str] = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "kproj"
readme = "README.md"
dynamic = ["version"]
dependencies = [
    "ipython>=8.10",
    "kedro[jupyter]~=1.0.0",
    "kedro-datasets[pandas-csvdataset]>=3.0",
    "kedro-viz>=6.7.0",
]

[project.scripts]
kproj = "kproj.__main__:main"

[tool.setuptools.dynamic]
version = {attr = "kproj.__version__"}

[tool.kedro]
package_name = "kproj"
project_name = "kproj"
kedro_init_version = "1.0.0"
tools = "['Testing', 'Data Structure']"
example_pipeline = "False"
source_dir = "src"

[tool.pytest.ini_options]
addopts = "-ra"

[tool.kedro_telemetry]
project_id = "0123456789abcdef"
""",
    "README.md": "# kproj\n",
    "conf/base/catalog.yml": """\
companies:
  type: json.JSONDataset
  filepath: data/01_raw/companies.json

data_processing.preprocessed_companies:
  type: pickle.PickleDataset
  filepath: data/02_intermediate/preprocessed_companies.pkl

"{namespace}.metrics":
  type: json.JSONDataset
  filepath: data/08_reporting/{namespace}_metrics.json

reviews:
  type: kedro_datasets.pandas.CSVDataset
  filepath: data/01_raw/reviews.csv
""",
    "conf/base/parameters.yml": "data_processing:\n  min_rating: 3\n",
    "conf/base/parameters_data_science.yml": """\
_defaults: &defaults
  offset: 1
active:
  model_options:
    <<: *defaults
    weight: 2
candidate:
  model_options:
    <<: *defaults
    weight: 5
""",
    "conf/local/credentials.yml": "# local secrets\n",
    "data/01_raw/companies.json": json.dumps(COMPANIES),
    "src/kproj/__init__.py": '"""kproj."""\n\n__version__ = "0.1"\n',
    "src/kproj/__main__.py": '''\
"""kproj file for ensuring the package is executable
as `kproj` and `python -m kproj`
"""

import sys
from pathlib import Path
from typing import Any

from kedro.framework.cli.utils import find_run_command
from kedro.framework.project import configure_project


def main(*args, **kwargs) -> Any:
    package_name = Path(__file__).parent.name
    configure_project(package_name)

    interactive = hasattr(sys, "ps1")
    kwargs["standalone_mode"] = not interactive

    run = find_run_command(package_name)
    return run(*args, **kwargs)


if __name__ == "__main__":
    main()
''',
    "src/kproj/settings.py": '''\
"""Project settings."""

from kproj.hooks import ProjectHooks

HOOKS = (ProjectHooks(),)

# Class that manages how configuration is loaded.
from kedro.config import OmegaConfigLoader  # noqa: E402

CONFIG_LOADER_CLASS = OmegaConfigLoader
# Keyword arguments to pass to the `CONFIG_LOADER_CLASS` constructor.
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
''',
    "src/kproj/hooks.py": """\
from pathlib import Path

from kedro.framework.hooks import hook_impl


class ProjectHooks:
    @hook_impl
    def after_context_created(self, context):
        marker = Path(context.project_path if hasattr(context, "project_path") else ".")
        (marker / "data" / "hook_ran.txt").write_text("yes")
""",
    "src/kproj/pipeline_registry.py": '''\
"""Project pipelines."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(pipelines.values())
    return pipelines
''',
    "src/kproj/pipelines/__init__.py": "",
    "src/kproj/pipelines/data_processing/__init__.py": (
        "from .pipeline import create_pipeline\n\n__all__ = ['create_pipeline']\n"
    ),
    "src/kproj/pipelines/data_processing/nodes.py": """\
def preprocess_companies(companies, min_rating):
    return [c for c in companies if c["rating"] >= min_rating]


def create_model_input(companies):
    return [c["size"] for c in companies]
""",
    "src/kproj/pipelines/data_processing/pipeline.py": """\
from kedro.pipeline import Node, Pipeline, pipeline

from .nodes import create_model_input, preprocess_companies


def create_pipeline(**kwargs) -> Pipeline:
    nodes = Pipeline(
        [
            Node(
                func=preprocess_companies,
                inputs=["companies", "params:min_rating"],
                outputs="preprocessed_companies",
                name="preprocess_companies_node",
            ),
            Node(
                func=create_model_input,
                inputs="preprocessed_companies",
                outputs="model_input",
                name="create_model_input_node",
            ),
        ]
    )
    return pipeline(
        nodes, namespace="data_processing", inputs="companies", outputs="model_input"
    )
""",
    "src/kproj/pipelines/data_science/__init__.py": (
        "from .pipeline import create_pipeline\n\n__all__ = ['create_pipeline']\n"
    ),
    "src/kproj/pipelines/data_science/nodes.py": """\
def train_model(sizes, options):
    return sum(sizes) * options["weight"]


def evaluate_model(model, options):
    return {"score": model + options["offset"]}
""",
    "src/kproj/pipelines/data_science/pipeline.py": """\
from kedro.pipeline import Pipeline, node

from .nodes import evaluate_model, train_model


def base_pipeline() -> Pipeline:
    return Pipeline(
        [
            node(train_model, ["model_input", "params:model_options"], "model", name="train"),
            node(evaluate_model, ["model", "params:model_options"], "metrics", name="evaluate"),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        base_pipeline(), namespace="active", inputs="model_input", tags="active"
    ) + Pipeline(base_pipeline(), namespace="candidate", inputs="model_input")
""",
    "tests/__init__.py": "",
    "tests/test_run.py": """\
from pathlib import Path

from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project


def test_data_processing_runs():
    bootstrap_project(Path.cwd())
    with KedroSession.create(project_path=Path.cwd(), save_on_close=False) as session:
        session.run(pipeline_name="data_processing")
    assert (Path.cwd() / "data/02_intermediate/preprocessed_companies.pkl").exists()
""",
    "tests/pipelines/__init__.py": "",
    "tests/pipelines/test_data_science.py": """\
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from kproj.pipelines.data_science.pipeline import base_pipeline


def test_base_pipeline_scores_the_model():
    catalog = DataCatalog(
        {
            "model_input": MemoryDataset([1, 2]),
            "params:model_options": MemoryDataset({"weight": 3, "offset": 1}),
        }
    )
    outputs = SequentialRunner().run(base_pipeline(), catalog)
    assert outputs["metrics"] == {"score": 10}
""",
}


def write_kedro_project(root: Path) -> Path:
    """Write the project under ``root``; return ``root``."""
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
