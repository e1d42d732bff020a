"""Runners: where and in which order a pipeline's nodes run.

Choose one by object (``session.run(runner=ThreadRunner(4))``) or by name
(``drupe run --runner thread``): ``sequential`` (default), ``thread``,
``parallel``, or the dotted path of a runner class (``my_pkg.runners.MyRunner``).
"""

from __future__ import annotations

import importlib
from typing import Any

import drupe
from drupe_pipeline.runners.base import AbstractRunner, MissingInputsError, check_inputs
from drupe_pipeline.runners.node_run import RunInfo, run_node
from drupe_pipeline.runners.parallel import ParallelRunner
from drupe_pipeline.runners.sequential import SequentialRunner
from drupe_pipeline.runners.thread import ThreadRunner

#: Runner names accepted by ``--runner`` and ``run(runner=...)``.
RUNNER_NAMES: dict[str, type[AbstractRunner]] = {
    "sequential": SequentialRunner,
    "thread": ThreadRunner,
    "parallel": ParallelRunner,
}


def resolve_runner(runner: Any) -> AbstractRunner:
    """A runner object from ``None`` (sequential), a name, a dotted path, a class or an object."""
    if runner is None:
        return SequentialRunner()
    if isinstance(runner, str):
        name = runner.strip()
        cls = RUNNER_NAMES.get(name.lower()) or {
            c.__name__.lower(): c for c in RUNNER_NAMES.values()
        }.get(name.lower())
        if cls is None:
            cls = _import_runner(name)
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
    "MissingInputsError",
    "ParallelRunner",
    "RunInfo",
    "SequentialRunner",
    "ThreadRunner",
    "check_inputs",
    "resolve_runner",
    "run_node",
]
