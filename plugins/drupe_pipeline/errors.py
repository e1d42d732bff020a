"""The two errors of the pipeline plugin, both `drupe.RunError`s.

They are split by *when* the problem shows up, because the user fixes them in
different places: a `PipelineError` is a mistake in how nodes and pipelines
are written or selected (fix the pipeline code or the ``drupe run`` flags), a
`NodeError` is a node that failed while running (fix the node or its data).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import drupe


class PipelineError(drupe.RunError):
    """A node, pipeline, modular pipeline, registry or filter is defined or used wrongly."""


class NodeError(drupe.RunError):
    """A node raised while running; the original exception is chained as ``__cause__``."""


def close_matches(name: str, candidates: Iterable[str], *, limit: int = 5) -> list[str]:
    """The candidates a user most likely meant when typing ``name``.

    Besides spelling neighbours (difflib), a candidate whose last dotted parts
    equal ``name`` counts: ``clean`` likely means ``processing.clean``.
    """
    pool = sorted(set(candidates))
    suffix = [c for c in pool if c.endswith("." + name)]
    spelled = difflib.get_close_matches(name, pool, n=limit, cutoff=0.6)
    return list(dict.fromkeys(suffix + spelled))[:limit]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` Did you mean 'x' or 'y'?`` or an empty string when nothing is close."""
    matches = close_matches(name, candidates)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"
