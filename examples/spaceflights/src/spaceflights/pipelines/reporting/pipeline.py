"""The reporting pipeline, in the ``reporting`` namespace."""

from __future__ import annotations

from drupe_pipeline import Pipeline, node, pipeline
from spaceflights.pipelines.reporting.nodes import compare_passenger_capacity


def create_pipeline() -> Pipeline:
    nodes = Pipeline(
        [
            node(
                compare_passenger_capacity,
                "preprocessed_shuttles",
                "shuttle_passenger_capacity_plot",
                name="compare_passenger_capacity",
                tags="reporting",
            )
        ]
    )
    return pipeline(
        nodes,
        namespace="reporting",
        inputs="preprocessed_shuttles",
        outputs="shuttle_passenger_capacity_plot",
    )
