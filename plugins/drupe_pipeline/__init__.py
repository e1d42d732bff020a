"""drupe's bundled ``pipeline`` plugin: nodes, pipelines, the data catalog and runners.

Entry point ``pipeline`` in the ``drupe.plugins`` group. Its
entry point names `PipelinePlugin`, of which the kernel builds one instance
per session. It answers ``execute_run`` (what ``session.run()`` and ``drupe
run`` do) and ``validate_selection`` (`RunSelection`: what ``run()``'s
keyword arguments mean), contributes the selection flags of ``drupe run``
(their values complete in the shell: `drupe_pipeline.completion`), adds the
node, dataset and pipeline hooks (`drupe_pipeline.hookspecs`:
``register_pipelines``, and ``get_pipelines`` / ``get_catalog`` for tools
that explore a project) and the ``drupe pipelines`` command.

Public API, importable from here::

    from drupe_pipeline import node, pipeline, Pipeline, DataCatalog, SequentialRunner

Importing this package is cheap (``drupe --help`` imports it): the names
below are imported on first use.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from drupe_pipeline.hooks import PipelinePlugin

if TYPE_CHECKING:
    from drupe_pipeline.catalog import DataCatalog
    from drupe_pipeline.datasets import (
        AbstractDataset,
        CSVDataset,
        DatasetError,
        FileDataset,
        JSONDataset,
        MemoryDataset,
        PickleDataset,
        TextDataset,
        Version,
        YAMLDataset,
    )
    from drupe_pipeline.errors import NodeError, PipelineError, SelectionError
    from drupe_pipeline.modular import pipeline
    from drupe_pipeline.node import Node, node
    from drupe_pipeline.pipeline import Pipeline
    from drupe_pipeline.registry import PipelineRegistry, find_pipelines
    from drupe_pipeline.runners import (
        AbstractRunner,
        MissingInputsError,
        ParallelRunner,
        SequentialRunner,
        ThreadRunner,
    )
    from drupe_pipeline.selection import RunSelection

_EXPORTS: dict[str, str] = {
    "node": "drupe_pipeline.node",
    "Node": "drupe_pipeline.node",
    "Pipeline": "drupe_pipeline.pipeline",
    "pipeline": "drupe_pipeline.modular",
    "find_pipelines": "drupe_pipeline.registry",
    "PipelineRegistry": "drupe_pipeline.registry",
    "PipelineError": "drupe_pipeline.errors",
    "NodeError": "drupe_pipeline.errors",
    "SelectionError": "drupe_pipeline.errors",
    "RunSelection": "drupe_pipeline.selection",
    "DataCatalog": "drupe_pipeline.catalog",
    "AbstractDataset": "drupe_pipeline.datasets",
    "FileDataset": "drupe_pipeline.datasets",
    "MemoryDataset": "drupe_pipeline.datasets",
    "JSONDataset": "drupe_pipeline.datasets",
    "YAMLDataset": "drupe_pipeline.datasets",
    "TextDataset": "drupe_pipeline.datasets",
    "PickleDataset": "drupe_pipeline.datasets",
    "CSVDataset": "drupe_pipeline.datasets",
    "DatasetError": "drupe_pipeline.datasets",
    "Version": "drupe_pipeline.datasets",
    "AbstractRunner": "drupe_pipeline.runners",
    "SequentialRunner": "drupe_pipeline.runners",
    "ThreadRunner": "drupe_pipeline.runners",
    "ParallelRunner": "drupe_pipeline.runners",
    "MissingInputsError": "drupe_pipeline.runners",
}

__all__ = [
    "AbstractDataset",
    "AbstractRunner",
    "CSVDataset",
    "DataCatalog",
    "DatasetError",
    "FileDataset",
    "JSONDataset",
    "MemoryDataset",
    "MissingInputsError",
    "Node",
    "NodeError",
    "ParallelRunner",
    "PickleDataset",
    "Pipeline",
    "PipelineError",
    "PipelinePlugin",
    "PipelineRegistry",
    "RunSelection",
    "SelectionError",
    "SequentialRunner",
    "TextDataset",
    "ThreadRunner",
    "Version",
    "YAMLDataset",
    "find_pipelines",
    "node",
    "pipeline",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'drupe_pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``drupe_pipeline.node`` and ``.pipeline`` meaning the functions.

    Importing the submodules ``drupe_pipeline.node`` and
    ``drupe_pipeline.pipeline`` would otherwise bind the modules over the
    public functions of the same names. The submodules stay importable with
    ``from drupe_pipeline.pipeline import Pipeline``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
