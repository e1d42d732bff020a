"""Combining files: within one environment (no key defined twice) and base then env.

Within one environment a top-level key may live in only one file (keys
starting with ``_``, which hold YAML anchors and shared values, may repeat:
the last file read wins, as in Kedro); for
``parameters`` two files may share a top-level key as long as their nested
key paths do not collide (``model.lr`` in one, ``model.layers`` in the
other). Across environments each key has a strategy: ``destructive``
(default: a top-level key of the env replaces base's) or ``soft`` (deep merge).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import drupe

Path = tuple[Any, ...]


def leaf_paths(tree: Mapping[str, Any], prefix: Path = ()) -> list[Path]:
    """Key paths to every leaf (a non-mapping value, or an empty mapping)."""
    out: list[Path] = []
    for key, value in tree.items():
        path = (*prefix, key)
        if isinstance(value, Mapping) and value:
            out.extend(leaf_paths(value, path))
        else:
            out.append(path)
    return out


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: ``override`` over ``base``, merging nested mappings (inputs untouched)."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


def merge_env(
    key: str, files: list[tuple[str, dict[str, Any]]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Merge the files of one environment for ``key``.

    Returns the merged mapping and ``{top-level key: file name}`` (for
    messages). Raises `drupe.ConfigError` naming both files when a key is
    defined twice.
    """
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name, content in files:
        clashes = [k for k in content if k in origin and not _is_private(k)]
        if clashes:
            _check_clash(key, name, content, origin, merged, clashes)
        for top, value in content.items():
            if _is_private(top):
                merged[top] = value
                origin[top] = name
            elif top in merged:  # only parameters gets here: nested paths are disjoint
                merged[top] = deep_merge(merged[top], value)
            else:
                merged[top] = value
                origin[top] = name
    return merged, origin


def _is_private(top: Any) -> bool:
    return isinstance(top, str) and top.startswith("_")


def _check_clash(
    key: str,
    name: str,
    content: Mapping[str, Any],
    origin: Mapping[str, str],
    merged: Mapping[str, Any],
    clashes: list[str],
) -> None:
    by_file: dict[str, list[str]] = {}
    for top in clashes:
        mine, theirs = content[top], merged[top]
        paths: list[Path] = [(top,)]
        if key == "parameters" and isinstance(mine, Mapping) and isinstance(theirs, Mapping):
            paths = _colliding_paths((top,), theirs, mine)
        by_file.setdefault(origin[top], []).extend(dotted(p) for p in paths)
    for other, names in by_file.items():
        if not names:
            continue
        raise drupe.ConfigError(
            f"duplicate {key} keys {', '.join(sorted(names))} in {other} and {name} "
            f"(same environment); keep each key in one file"
        )


def _colliding_paths(prefix: Path, left: Mapping[str, Any], right: Mapping[str, Any]) -> list[Path]:
    """Paths that both mappings define, where at least one side is not a non-empty mapping."""
    out: list[Path] = []
    for key, value in right.items():
        if key not in left:
            continue
        other = left[key]
        path = (*prefix, key)
        if isinstance(value, Mapping) and value and isinstance(other, Mapping) and other:
            out.extend(_colliding_paths(path, other, value))
        else:
            out.append(path)
    return out


def merge_envs(base: dict[str, Any], env: dict[str, Any], strategy: str) -> dict[str, Any]:
    """``env`` over ``base`` by ``strategy`` (``destructive`` or ``soft``)."""
    if not env:
        return base
    if not base:
        return env
    if strategy == "soft":
        return deep_merge(base, env)
    return {**base, **env}
