"""`RunRequest`: the immutable description of one run.

The kernel builds it from the arguments of ``run()``; the plugin answering
``execute_run`` interprets the selection; the store records it whole. It says
*what* to run, never *how* the engine does it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs


def _names(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Accept one name, an iterable of names, or None; return a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(value)


def _readonly(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@attrs.frozen(kw_only=True)
class RunRequest:
    """One run: which pipelines, which part of them, with what.

    The selection fields are combined with AND; each name list with OR, as in
    Kedro (``tags=("a", "b")`` selects nodes tagged a or b). An empty tuple
    means "no filter". ``runner`` is a name (``"sequential"``, ``"thread"``,
    ``"parallel"``), a runner object, or ``None`` for the engine's default.
    """

    run_id: str
    session_id: str
    pipeline_names: tuple[str, ...] = attrs.field(default=(), converter=_names)
    tags: tuple[str, ...] = attrs.field(default=(), converter=_names)
    node_names: tuple[str, ...] = attrs.field(default=(), converter=_names)
    from_nodes: tuple[str, ...] = attrs.field(default=(), converter=_names)
    to_nodes: tuple[str, ...] = attrs.field(default=(), converter=_names)
    from_inputs: tuple[str, ...] = attrs.field(default=(), converter=_names)
    to_outputs: tuple[str, ...] = attrs.field(default=(), converter=_names)
    namespaces: tuple[str, ...] = attrs.field(default=(), converter=_names)
    runner: Any = None
    load_versions: Mapping[str, str] = attrs.field(factory=dict, converter=_readonly)
    only_missing_outputs: bool = False
    runtime_params: Mapping[str, Any] = attrs.field(factory=dict, converter=_readonly)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (a runner object is given by its class name)."""
        runner = self.runner
        if runner is not None and not isinstance(runner, str):
            runner = type(runner).__name__
        return {
            "run_id": self.run_id,
            "session_id": self.session_id,
            "pipeline_names": list(self.pipeline_names),
            "tags": list(self.tags),
            "node_names": list(self.node_names),
            "from_nodes": list(self.from_nodes),
            "to_nodes": list(self.to_nodes),
            "from_inputs": list(self.from_inputs),
            "to_outputs": list(self.to_outputs),
            "namespaces": list(self.namespaces),
            "runner": runner,
            "load_versions": dict(self.load_versions),
            "only_missing_outputs": self.only_missing_outputs,
            "runtime_params": _plain(self.runtime_params),
        }


def _plain(value: Any) -> Any:
    """Turn read-only mappings back into dicts, recursively, for JSON."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
