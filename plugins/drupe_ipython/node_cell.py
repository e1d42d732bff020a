"""The cell ``%load_node NODE`` writes: the node's inputs, its function, a call to it.

The inputs are loaded from the notebook's ``catalog`` (parameters included),
so running the cell reproduces what the node would receive in a run, and
editing the function in place is the quickest way to debug it.
"""

from __future__ import annotations

import inspect
import keyword
import re
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

import drupe


def find_node(pipelines: Mapping[str, Any] | None, name: str) -> Any:
    """The node called ``name`` in any pipeline; a clear error listing close names if none."""
    names: set[str] = set()
    for pipeline in (pipelines or {}).values():
        for node in getattr(pipeline, "nodes", ()):
            if node.name == name:
                return node
            names.add(node.name)
    import difflib

    close = difflib.get_close_matches(name, sorted(names), n=3)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    if not names:
        hint = "; the project has no pipelines loaded (see %reload_drupe)"
    raise drupe.UsageError(f"no node named {name!r} in the project's pipelines{hint}")


def variable_name(dataset: str, taken: Iterable[str] = ()) -> str:
    """A Python identifier for a dataset name (``params:model.lr`` -> ``params_model_lr``)."""
    text = re.sub(r"\W", "_", dataset).strip("_") or "data"
    if text[0].isdigit() or keyword.iskeyword(text):
        text = f"ds_{text}"
    used = set(taken)
    candidate, counter = text, 2
    while candidate in used:
        candidate, counter = f"{text}_{counter}", counter + 1
    return candidate


def function_source(func: Any) -> str | None:
    """The function's source, dedented, or ``None`` when Python cannot find it."""
    target = inspect.unwrap(getattr(func, "func", func))  # functools.partial too
    try:
        return textwrap.dedent(inspect.getsource(target))
    except (OSError, TypeError):
        return None


def node_cell(node: Any) -> str:
    """The text of the cell for ``node``."""
    func = node.func
    func_name = getattr(inspect.unwrap(getattr(func, "func", func)), "__name__", "func")
    module = getattr(func, "__module__", None)
    lines = [f"# node {node.name!r}: inputs loaded from the catalog"]
    variables: list[str] = []
    for dataset in node.inputs:
        var = variable_name(dataset, [*variables, func_name])
        variables.append(var)
        lines.append(f"{var} = catalog.load({dataset!r})")
    lines.append("")
    source = function_source(func)
    if source is not None and func_name.isidentifier() and func_name != "<lambda>":
        lines.append(f"# the node's function, from {module or 'its module'}")
        lines.append(source.rstrip())
        callee = func_name
    else:
        lines.append(f"# the node's function (its source cannot be shown): {func!r}")
        lines.append(f"node_function = {_lookup_expr(node)}")
        callee = "node_function"
    lines.append("")
    input_args = getattr(node, "input_args", None)
    if input_args:
        pairs = zip(input_args, variables, strict=True)
        arguments = ", ".join(f"{arg}={var}" for arg, var in pairs)
    else:
        arguments = ", ".join(variables)
    lines.append(f"{callee}({arguments})")
    return "\n".join(lines) + "\n"


def _lookup_expr(node: Any) -> str:
    return f"next(n for p in pipelines.values() for n in p.nodes if n.name == {node.name!r}).func"
