"""The errors of the pipeline plugin, all `drupe.RunError`s.

They are split by *when* the problem shows up, because the user fixes them in
different places: a `PipelineError` is a mistake in how nodes and pipelines
are written (fix the pipeline code), its subclass `SelectionError` a run
selecting what does not exist (fix the ``drupe run`` flags; exit status 2), a
`NodeError` is a node that failed while running (fix the node or its data).
"""

from __future__ import annotations

from collections.abc import Iterable

import drupe


class PipelineError(drupe.RunError):
    """A node, pipeline, modular pipeline, registry or filter is defined or used wrongly."""


class SelectionError(PipelineError, drupe.UsageError):
    """A run selects pipelines, nodes, tags, namespaces or datasets that do not exist.

    Found before any node runs, and fixed in the command line or the call
    (bad usage): a `drupe.UsageError` too, so the CLI exits with status 2 and
    ``drupe serve`` answers 422, naming ``field``.
    """

    exit_code = 2


class NodeError(drupe.RunError):
    """A node raised while running; the original exception is chained as ``__cause__``."""


def close_matches(name: str, candidates: Iterable[str], *, limit: int = 5) -> list[str]:
    """The candidates a user most likely meant when typing ``name``.

    Besides spelling neighbours (difflib), a candidate whose last dotted parts
    equal ``name`` counts (``clean`` likely means ``processing.clean``), and
    so does one that starts with it (``active`` likely means ``active_modelling``).
    """
    pool = sorted(set(candidates))
    suffix = [c for c in pool if c.endswith("." + name)]
    prefix = [c for c in pool if c.startswith(name) and c != name] if name else []
    import difflib  # error path only: keep it off every run's start-up

    spelled = difflib.get_close_matches(name, pool, n=limit, cutoff=0.6)
    return list(dict.fromkeys(suffix + spelled + prefix))[:limit]


def listing(label: str, candidates: Iterable[str], *, limit: int = 10) -> str:
    """`` Nodes: a, b, c (and 4 more).``: what exists, when nothing was close."""
    pool = sorted(set(candidates))
    if not pool:
        return f" There are no {label.lower()}."
    shown = ", ".join(pool[:limit])
    more = f" (and {len(pool) - limit} more)" if len(pool) > limit else ""
    return f" {label}: {shown}{more}."


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` Did you mean 'x' or 'y'?`` or an empty string when nothing is close."""
    matches = close_matches(name, candidates)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"
