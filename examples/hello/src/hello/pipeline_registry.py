"""The project's pipelines: ``drupe run`` runs ``__default__``."""

from __future__ import annotations

from drupe_pipeline import Pipeline, node
from hello.nodes import make_greeting, measure, shout


def register_pipelines() -> dict[str, Pipeline]:
    greet = Pipeline(
        [
            node(make_greeting, ["params:greeting", "params:name"], "greeting", name="greet"),
            node(shout, ["greeting", "params:times"], "loud_greeting", name="shout"),
            node(measure, "loud_greeting", "stats", name="measure", tags="report"),
        ]
    )
    return {"__default__": greet, "greet": greet}
