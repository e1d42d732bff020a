"""The rewriters behind ``drupe migrate kedro``, case by case: source text in, source text out."""

from __future__ import annotations

import pytest

from drupe_migrate.kedro_catalog import rewrite_catalog
from drupe_migrate.kedro_pyproject import rewrite_pyproject
from drupe_migrate.kedro_python import rewrite_source


def run(rewrite, text, **kwargs):
    notes = []

    def report(message, line, *, done=False):
        notes.append((line, message, done))

    return rewrite(text, report, **kwargs), notes


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "from kedro.pipeline import node, Pipeline\n",
            "from drupe_pipeline import node, Pipeline\n",
        ),
        (
            "from kedro.pipeline.modular_pipeline import pipeline as mp\n",
            "from drupe_pipeline import pipeline as mp\n",
        ),
        (
            "from kedro.framework.session import KedroSession\nKedroSession.create()\n",
            "from drupe import Session\nSession.create()\n",
        ),
        (  # an alias keeps the user's name; strings and attributes are not renamed
            "from kedro.framework.session import KedroSession as KS\n"
            "x = 'KedroSession'\ny = obj.KedroSession\n",
            "from drupe import Session as KS\nx = 'KedroSession'\ny = obj.KedroSession\n",
        ),
        (
            "from kedro.framework.hooks import hook_impl\n\n@hook_impl\ndef f(): ...\n",
            "from drupe import hookimpl\n\n@hookimpl\ndef f(): ...\n",
        ),
        (  # an import inside a function keeps its indentation
            "def f():\n    from kedro.io import DataCatalog\n    return DataCatalog\n",
            "def f():\n    from drupe_pipeline import DataCatalog\n    return DataCatalog\n",
        ),
        (
            "session.run(pipeline_name='ds', tags=['a'])\n",
            "session.run(pipeline_names=['ds'], tags=['a'])\n",
        ),
        ("print('no kedro here')\n", "print('no kedro here')\n"),
    ],
)
def test_python_rewrites(before, after):
    assert run(rewrite_source, before)[0] == after


def test_names_without_equivalent_are_commented_out_and_reported_with_their_line():
    text = "import os\nfrom kedro.framework.project import settings, find_pipelines\n"
    new, notes = run(rewrite_source, text)
    assert new == (
        "import os\nfrom drupe_pipeline import find_pipelines\n"
        "# drupe migrate: no drupe equivalent: from kedro.framework.project import settings\n"
    )
    assert notes == [
        (
            2,
            "`from kedro.framework.project import settings` has no drupe equivalent; "
            "commented out (see docs/migrating-from-kedro.md)",
            False,
        )
    ]


def test_plain_import_kedro_is_reported_not_changed():
    new, notes = run(rewrite_source, "import kedro.io\n")
    assert new == "import kedro.io\n"
    assert notes[0][0] == 1 and "`import kedro.io` has no drupe equivalent" in notes[0][1]


def test_invalid_python_is_left_unchanged_and_reported():
    new, notes = run(rewrite_source, "from kedro.io import (\n")
    assert new == "from kedro.io import (\n"
    assert "not valid Python" in notes[0][1]


def test_settings_lose_kedro_only_options_and_their_imports():
    text = (
        "from kedro.config import OmegaConfigLoader\n"
        "from kedro.framework.context import KedroContext\n"
        "CONFIG_LOADER_CLASS = OmegaConfigLoader\n"
        "CONTEXT_CLASS = KedroContext\n"
        'CONFIG_LOADER_ARGS = {"base_env": "base"}\n'
    )
    new, notes = run(rewrite_source, text, settings=True)
    assert "import" not in new
    assert 'CONFIG_LOADER_ARGS = {"base_env": "base"}' in new
    assert [done for _, _, done in notes] == [True, True]


def test_pyproject_dependencies_on_one_line_are_reported():
    text = '[project]\ndependencies = ["kedro~=1.0"]\n[tool.kedro]\npackage_name = "p"\n'
    new, notes = run(rewrite_pyproject, text)
    assert "[tool.drupe]" in new
    assert any("dependencies on one line" in message for _, message, _ in notes)


def test_pyproject_without_package_name_is_left_unchanged():
    text = '[tool.kedro]\nproject_name = "p"\n'
    new, notes = run(rewrite_pyproject, text)
    assert new == text
    assert "has no package_name" in notes[-1][1]


@pytest.mark.parametrize(
    ("before", "after", "todo"),
    [
        ("x:\n  type: json.JSONDataset\n", "x:\n  type: json.JSONDataset\n", 0),
        ("x:\n  type: kedro.io.MemoryDataset  # m\n", "x:\n  type: MemoryDataset  # m\n", 0),
        (
            "x:\n  type: pickle.PickleDataset\n  filepath: a.pkl\n",
            "x:\n  type: pickle.PickleDataset\n  allow_load: true\n  filepath: a.pkl\n",
            0,
        ),
        (  # already allowed (or refused) by the entry: left as it is
            "x:\n  filepath: a.pkl\n  allow_load: false\n  type: PickleDataset\ny: 1\n",
            "x:\n  filepath: a.pkl\n  allow_load: false\n  type: PickleDataset\ny: 1\n",
            0,
        ),
        (
            "x:\n  type: kedro_datasets.spark.SparkDataset\n",
            "x:\n  type: kedro_datasets.spark.SparkDataset\n",
            1,
        ),
    ],
)
def test_catalog_rewrites(before, after, todo):
    new, notes = run(rewrite_catalog, before)
    assert new == after
    assert len([n for n in notes if not n[2]]) == todo


def test_kedro_datasets_extras_become_drupe_extras():
    text = (
        '[project]\ndependencies = [\n    "kedro~=1.0",\n'
        '    "kedro-datasets[pandas-csvdataset, pandas-parquetdataset, spark-sparkdataset]>=3",\n'
        ']\n[tool.kedro]\npackage_name = "p"\n'
    )
    new, notes = run(rewrite_pyproject, text)
    assert '    "drupe[pandas]",\n]' in new
    assert "kedro-datasets" not in new
    todo = [message for _, message, done in notes if not done]
    assert todo == [
        "kedro-datasets[spark-sparkdataset] has no drupe extra: if the catalog uses that type, "
        "add kedro-datasets back (drupe reads its classes through an adapter)"
    ]


def test_imports_that_end_up_from_one_drupe_module_are_joined():
    text = (
        "from kedro.framework.project import find_pipelines\n"
        "from kedro.pipeline import Pipeline\n\n"
        "x = 1\n"
    )
    assert run(rewrite_source, text)[0] == (
        "from drupe_pipeline import find_pipelines, Pipeline\n\nx = 1\n"
    )
