"""Bounding what YAML aliases can do: expanded size and cycles, checked in linear time.

YAML anchors and aliases make a parsed document a graph: ``*a`` is the very
object ``&a`` built, so a small file can stand for a huge tree (an "alias
bomb": nine levels of ten aliases is 10**9 leaves in a few hundred bytes)
or for an infinite one (``_a: &a [1, *a]``). Anything that walks the tree
as a tree (interpolation, merging, ``params:`` entries, JSON in the store)
would then hang or recurse without end.

`check_shape` walks the graph once, each shared node once (sizes are
memoized by object identity), and refuses a cycle or a document whose
expanded size passes `MAX_EXPANDED_NODES`, naming the file. Below the cap,
every later walk is bounded by the cap.

A document whose bytes hold no ``*`` has no alias: it is a tree, with no
more values than its bytes (the reader sends files of over half the cap in
bytes to `check_shape` anyway), so only its depth can be wrong, and
`check_depth` looks at that alone, touching each container once.
"""

from __future__ import annotations

from typing import Any

import drupe

#: The most containers and values a file may expand to once aliases are
#: followed; a bigger file is refused (a real configuration file is far smaller).
MAX_EXPANDED_NODES = 1_000_000

#: The deepest nesting a file may have (mappings and lists inside each other).
MAX_DEPTH = 200


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    return list(value)


def check_shape(
    document: Any, name: str, cap: int = MAX_EXPANDED_NODES, max_depth: int = MAX_DEPTH
) -> int:
    """The expanded size of ``document``; raise `drupe.ConfigError` naming ``name`` if too big.

    A cycle, an expanded size above ``cap`` or nesting deeper than
    ``max_depth`` is an error. Time and memory are linear in the number of
    distinct objects, whatever the aliases multiply.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    # An explicit stack (no recursion): (container, its children, index, size so far).
    if not isinstance(document, (dict, list)):
        return 1
    stack: list[list[Any]] = [[document, _children(document), 0, 1]]
    on_path.add(id(document))
    while stack:
        frame = stack[-1]
        container, children, index, _ = frame
        if index == len(children):
            stack.pop()
            on_path.discard(id(container))
            sizes[id(container)] = frame[3]
            if stack:
                stack[-1][3] += frame[3]
                if stack[-1][3] > cap:
                    raise _too_big(name, cap)
            continue
        frame[2] += 1
        child = children[index]
        if not isinstance(child, (dict, list)):
            frame[3] += 1
            continue
        known = sizes.get(id(child))
        if known is not None:
            frame[3] += known
            if frame[3] > cap:
                raise _too_big(name, cap)
            continue
        if id(child) in on_path:
            raise drupe.ConfigError(
                f"{name}: an alias refers to a mapping or list that contains it (a cycle); "
                f"YAML aliases must point outside themselves: remove the '*' reference inside "
                f"its own anchor"
            )
        if len(stack) >= max_depth:
            raise _too_deep(name, max_depth)
        on_path.add(id(child))
        stack.append([child, _children(child), 0, 1])
    return sizes[id(document)]


def check_depth(document: Any, name: str, max_depth: int = MAX_DEPTH) -> None:
    """Raise `drupe.ConfigError` naming ``name`` if a tree nests deeper than ``max_depth``.

    For documents without aliases (see the module's docstring): the same
    depth rule as `check_shape`, one level of containers at a time.
    """
    level = [document] if isinstance(document, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            raise _too_deep(name, max_depth)
        deeper = []
        for container in level:
            for child in container.values() if isinstance(container, dict) else container:
                if isinstance(child, (dict, list)):
                    deeper.append(child)
        level = deeper


def _too_deep(name: str, max_depth: int) -> drupe.ConfigError:
    return drupe.ConfigError(
        f"{name}: nested deeper than {max_depth} levels; flatten the structure"
    )


def _too_big(name: str, cap: int) -> drupe.ConfigError:
    return drupe.ConfigError(
        f"{name}: expands to more than {cap:,} values once YAML aliases are followed "
        f"(an alias bomb?); use fewer nested aliases or split the data into a dataset"
    )
