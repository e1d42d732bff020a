"""Which runner a run gets: its ``runner`` and ``runner_options``, or the settings' ``RUNNER``.

Bundled runners (``sequential``, ``thread``, ``parallel``) are known by
name; other plugins add runners through the ``pipeline_runners`` hook
(``drupe_dask`` adds ``dask``); a dotted path names any runner class. A
runner object, or a graph engine object (one with ``run_graph``), is used
as given.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import drupe
from drupe_pipeline.runner_setting import RUNNER_SETTING
from drupe_pipeline.runners import RUNNER_NAMES, AbstractRunner, resolve_runner


def contributed_runners(hook: Any) -> dict[str, Any]:
    """``{name: factory}`` from every plugin answering ``pipeline_runners``."""
    caller = getattr(hook, "pipeline_runners", None)
    if caller is None:
        return {}
    found: dict[str, Any] = {}
    for impl in caller.get_hookimpls():
        contribution = impl.function() or {}
        for name, factory in contribution.items():
            key = str(name).strip().lower()
            if key in RUNNER_NAMES:
                raise drupe.PluginError(
                    f"plugin {impl.plugin_name!r} adds a runner named {key!r}, which is a "
                    f"bundled runner's name: rename it, or disable the plugin with "
                    f"-p no:{impl.plugin_name}"
                )
            found.setdefault(key, factory)
    return found


def choose_runner(
    runner: Any,
    options: Mapping[str, Any] | None,
    *,
    hook: Any = None,
    settings: Any = None,
) -> AbstractRunner:
    """The runner object for a run.

    ``runner`` ``None`` falls back to the settings' ``RUNNER``, then to
    sequential. ``options`` go to a contributed runner's factory; giving
    options to a runner that takes none is a usage error.
    """
    options = MappingProxyType(dict(options or {}))
    if runner is None and settings is not None:
        runner = getattr(settings, RUNNER_SETTING, None)
    if isinstance(runner, str):
        factory = contributed_runners(hook).get(runner.strip().lower())
        if factory is not None:
            made = factory(options, settings)
            if _is_engine(made):
                from drupe_pipeline.runners.graph import GraphRunner

                return GraphRunner(made, runner.strip().lower())
            return made  # type: ignore[no-any-return]
    if isinstance(runner, str):
        _check_known(runner, hook)
    if _is_engine(runner):
        # Imported only for graph engines: it brings pickle and two attrs classes.
        from drupe_pipeline.runners.graph import GraphRunner

        chosen: AbstractRunner = GraphRunner(runner)
    else:
        chosen = resolve_runner(runner)
    if options:
        raise drupe.UsageError(
            f"runner {_name(runner)} takes no runner options (got "
            f"{', '.join(sorted(options))}): runner options are for runners that plugins "
            f"add, such as dask"
        )
    return chosen


def _check_known(name: str, hook: Any) -> None:
    """A plain name that no runner has: say which names exist and where others come from."""
    from drupe_pipeline.runners import runner_class

    wanted = name.strip()
    if "." in wanted or ":" in wanted or runner_class(wanted) is not None:
        return
    known = [*RUNNER_NAMES, *sorted(contributed_runners(hook))]
    raise drupe.UsageError(
        f"unknown runner {wanted!r}: use one of {', '.join(known)} or the dotted path of a "
        f"runner class (other runners come from plugins: 'dask' needs pip install "
        f"'drupe[dask]')"
    )


def _is_engine(obj: Any) -> bool:
    return not isinstance(obj, (str, type)) and callable(getattr(obj, "run_graph", None))


def _name(runner: Any) -> str:
    if runner is None:
        return "'sequential'"
    if isinstance(runner, str):
        return repr(runner)
    return type(runner).__name__
