"""Runtime parameters: nesting dotted keys, finding undeclared ones, overlaying them.

Runtime parameters are deep-merged over ``parameters``: ``{"model.lr": 0.1}``
and ``{"model": {"lr": 0.1}}`` mean the same thing and change only
``model.lr``. Their values are used as given (typed values stay typed, and a
string holding ``${...}`` is not interpolated: it is the user's literal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from drupe_config.errors import RuntimeParamsError
from drupe_config.merging import Path, dotted, leaf_paths


def nest(params: Mapping[str, Any]) -> dict[str, Any]:
    """Turn dotted keys into nested dicts, at every level; later keys win."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
            raise RuntimeParamsError(
                f"runtime parameter name {key!r} is not a dotted name like 'model.lr'; "
                f"fix the name passed in runtime_params / --params"
            )
        if isinstance(value, Mapping):
            value = nest(value)
        parts = key.split(".")
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = parts[-1]
        current = node.get(last)
        if isinstance(value, dict) and isinstance(current, dict):
            _merge_into(current, value)
        else:
            node[last] = value
    return out


def _merge_into(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _merge_into(current, value)
        else:
            target[key] = value


def lookup(tree: Any, path: Iterable[Any]) -> tuple[bool, Any]:
    """``(True, value)`` at ``path`` in nested dicts and lists, else ``(False, None)``."""
    node = tree
    for part in path:
        if isinstance(node, Mapping):
            if part not in node:
                return False, None
            node = node[part]
        elif isinstance(node, list):
            try:
                node = node[int(part)]
            except (ValueError, IndexError):
                return False, None
        else:
            return False, None
    return True, node


def undeclared(parameters: Mapping[str, Any], params: Mapping[str, Any]) -> list[Path]:
    """Leaf paths of ``params`` that ``parameters`` does not have."""
    return [path for path in leaf_paths(params) if not lookup(parameters, path)[0]]


def close_matches(parameters: Mapping[str, Any], path: Path) -> list[str]:
    """Declared parameter names that look like ``path`` (typo protection)."""
    candidates: set[str] = set()
    for leaf in leaf_paths(parameters):
        for depth in range(1, len(leaf) + 1):
            candidates.add(dotted(leaf[:depth]))
    import difflib  # only when a parameter is unknown

    return difflib.get_close_matches(dotted(path), sorted(candidates), n=3, cutoff=0.6)


def set_path(tree: dict[str, Any], path: Path, value: Any, owned: set[int]) -> dict[str, Any]:
    """Set ``value`` at ``path``, copying each container on the way unless it is in ``owned``.

    Returns the (possibly new) root. ``owned`` holds the ids of containers
    already copied for this result, so shared ones are never changed in place.
    A non-container on the way is replaced by a new dict (deep-merge semantics).
    """
    root = tree if id(tree) in owned else _own(tree, owned)
    node: Any = root
    for index, part in enumerate(path[:-1]):
        child = node[part] if _has(node, part) else None
        following = path[index + 1]
        fits = isinstance(child, dict) or (isinstance(child, list) and _has(child, following))
        if not fits:
            child = {}
            owned.add(id(child))
        elif id(child) not in owned:
            child = _own(child, owned)
        _put(node, part, child)
        node = child
    _put(node, path[-1], value)
    return root


def _own(container: Any, owned: set[int]) -> Any:
    copy = dict(container) if isinstance(container, Mapping) else list(container)
    owned.add(id(copy))
    return copy


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and not isinstance(part, bool) and 0 <= part < len(node)


def _put(node: Any, part: Any, value: Any) -> None:
    node[part] = value
