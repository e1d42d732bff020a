"""`DaskPlugin`: the ``dask`` plugin's hook implementations (cheap to import: no dask here).

It keeps no per-session state: each run builds its own runner from the
run's options, the environment and the settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import drupe
from drupe_dask.settings import DECLARATION


class DaskPlugin:
    """Adds the runner ``dask``, its settings option and the ``drupe dask`` commands."""

    @drupe.hookimpl(optionalhook=True)
    def declare_settings(self) -> dict[str, dict[str, Any]]:
        """``DASK_RUNNER_ARGS``: the runner's defaults for the project."""
        return DECLARATION

    @drupe.hookimpl(optionalhook=True)
    def pipeline_runners(self) -> Mapping[str, Any]:
        """The runner ``dask`` (the pipeline plugin calls the factory when a run asks for it)."""
        return {"dask": make_runner}

    @drupe.hookimpl
    def cli_commands(self) -> Sequence[Any]:
        """``drupe dask``."""
        from drupe.cli import LazyCommand

        return [LazyCommand("dask", "drupe_dask.cli:dask_group", "Dask clusters for drupe runs.")]


def make_runner(options: Mapping[str, Any], settings: Any) -> Any:
    """The factory behind ``--runner dask``: options, then ``DRUPE_DASK_ADDRESS``, then settings."""
    from drupe_dask.runner import DaskRunner

    return DaskRunner.from_options(options, settings)
