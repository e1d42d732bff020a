"""`RunRequest`: the immutable description of one run.

The kernel builds it from the arguments of ``run()`` and never reads the
selection: what ``pipeline_names``, ``tags`` or ``runner`` mean belongs to the
plugin that executes runs (the bundled ``pipeline`` plugin, or yours). It
checks and normalises the keyword arguments through ``validate_selection``
before the run starts; the store records the result whole, and
``drupe sessions rerun`` passes it back to ``run()`` unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from drupe.frozen import Frozen


def freeze(value: Any) -> Any:
    """A read-only copy: mappings become read-only views, lists and sets tuples, recursively."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted((freeze(item) for item in value), key=repr))
    return value


def _readonly(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


class RunRequest(Frozen):
    """One run: its id, its session, its runtime parameters and its selection.

    Attributes:
        run_id: unique within the store; names the run's saved versions too.
        session_id: the session the run belongs to.
        runtime_params: the parameters that override the project's, read-only.
        selection: the keyword arguments given to ``run()`` (``pipeline_names``,
            ``tags``, ``runner``, ...), as the executor plugin normalised them,
            read-only. Only what the caller gave is there.
    """

    _fields = ("run_id", "session_id", "runtime_params", "selection")
    __slots__ = _fields

    run_id: str
    session_id: str
    runtime_params: Mapping[str, Any]
    selection: Mapping[str, Any]

    def __init__(
        self,
        *,
        run_id: str,
        session_id: str,
        runtime_params: Mapping[str, Any] | None = None,
        selection: Mapping[str, Any] | None = None,
    ) -> None:
        self._set(
            run_id=run_id,
            session_id=session_id,
            runtime_params=_readonly(runtime_params),
            selection=freeze(selection if selection is not None else {}),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy; a value JSON cannot hold is given by its class name."""
        return {
            "run_id": self.run_id,
            "session_id": self.session_id,
            "selection": plain(self.selection),
            "runtime_params": plain(self.runtime_params),
        }


def plain(value: Any) -> Any:
    """Turn read-only mappings and tuples back into dicts and lists, recursively, for JSON."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, type):
        return value.__qualname__
    return type(value).__name__
