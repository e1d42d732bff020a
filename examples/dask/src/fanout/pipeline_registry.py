"""Four independent branches between a split and a join: what parallel runners speed up."""

from __future__ import annotations

from drupe_pipeline import Pipeline, node
from fanout.nodes import BRANCHES, combine, digest, make_chunks


def register_pipelines() -> dict[str, Pipeline]:
    chunks = [f"chunk_{index}" for index in range(BRANCHES)]
    digests = [f"digest_{index}" for index in range(BRANCHES)]
    nodes = [node(make_chunks, ["params:size"], chunks, name="make_chunks")]
    nodes += [
        node(digest, [chunk, "params:rounds"], out, name=f"digest_{index}", tags="digests")
        for index, (chunk, out) in enumerate(zip(chunks, digests, strict=True))
    ]
    nodes.append(node(combine, digests, "report", name="combine"))
    return {"__default__": Pipeline(nodes)}
