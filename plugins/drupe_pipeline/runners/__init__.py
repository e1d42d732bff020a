"""Runners: where and in which order a pipeline's nodes run.

Choose one by object (``session.run(runner=ThreadRunner(4))``) or by name
(``drupe run --runner thread``): ``sequential`` (default), ``thread``,
``parallel``, or the dotted path of a runner class (``my_pkg.runners.MyRunner``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import drupe
from drupe_pipeline.runners.base import AbstractRunner, MissingInputsError, check_inputs
from drupe_pipeline.runners.node_run import RunInfo, run_node
from drupe_pipeline.runners.sequential import SequentialRunner

if TYPE_CHECKING:
    from drupe_pipeline.runners.graph import GraphRunner, NodeTask, TaskGraph
    from drupe_pipeline.runners.parallel import ParallelRunner
    from drupe_pipeline.runners.thread import ThreadRunner

# The thread and process runners (concurrent.futures, multiprocessing) are
# imported only when chosen.
_LAZY = {
    "ThreadRunner": "drupe_pipeline.runners.thread",
    "ParallelRunner": "drupe_pipeline.runners.parallel",
    "GraphRunner": "drupe_pipeline.runners.graph",
    "TaskGraph": "drupe_pipeline.runners.graph",
    "NodeTask": "drupe_pipeline.runners.graph",
}

#: Runner names accepted by ``--runner`` and ``run(runner=...)``, and their classes.
RUNNER_NAMES: dict[str, str] = {
    "sequential": "SequentialRunner",
    "thread": "ThreadRunner",
    "parallel": "ParallelRunner",
}


__getattr__, __dir__ = drupe.lazy_exports(__name__, _LAZY)


def runner_class(name: str) -> type[AbstractRunner] | None:
    """The bundled runner class for a name (``thread``) or class name (``ThreadRunner``)."""
    wanted = name.strip().lower()
    for short, class_name in RUNNER_NAMES.items():
        if wanted in (short, class_name.lower()):
            if class_name == "SequentialRunner":
                return SequentialRunner
            cls: type[AbstractRunner] = __getattr__(class_name)
            return cls
    return None


def resolve_runner(runner: Any) -> AbstractRunner:
    """A runner object from ``None`` (sequential), a name, a dotted path, a class or an object."""
    if runner is None:
        return SequentialRunner()
    if isinstance(runner, str):
        cls = runner_class(runner) or _import_runner(runner.strip())
        return cls()
    if isinstance(runner, type):
        if not hasattr(runner, "run"):
            raise drupe.RunError(f"runner class {runner.__name__} has no run() method")
        return runner()  # type: ignore[no-any-return]
    if not callable(getattr(runner, "run", None)):
        raise drupe.RunError(
            f"runner {runner!r} has no run() method: pass a runner object, class or name"
        )
    return runner  # type: ignore[no-any-return]


def _import_runner(path: str) -> Any:
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    hint = "use sequential, thread, parallel or the dotted path of a runner class"
    if not module_name or not attr:
        raise drupe.UsageError(f"unknown runner {path!r}: {hint}")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise drupe.UsageError(
            f"runner {path!r} could not be imported ({type(exc).__name__}: {exc}): {hint}"
        ) from exc
    if not (isinstance(obj, type) and callable(getattr(obj, "run", None))):
        raise drupe.UsageError(f"runner {path!r} is not a runner class (no run() method)")
    return obj


__all__ = [
    "RUNNER_NAMES",
    "AbstractRunner",
    "GraphRunner",
    "MissingInputsError",
    "NodeTask",
    "ParallelRunner",
    "RunInfo",
    "SequentialRunner",
    "TaskGraph",
    "ThreadRunner",
    "check_inputs",
    "resolve_runner",
    "run_node",
    "runner_class",
]
