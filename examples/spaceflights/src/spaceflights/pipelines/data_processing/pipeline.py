"""The data processing pipeline, in the ``data_processing`` namespace."""

from __future__ import annotations

from drupe_pipeline import Pipeline, node, pipeline
from spaceflights.pipelines.data_processing.nodes import (
    create_model_input_table,
    preprocess_companies,
    preprocess_shuttles,
)


def create_pipeline() -> Pipeline:
    nodes = Pipeline(
        [
            node(
                preprocess_companies,
                "companies_raw",
                "preprocessed_companies",
                name="preprocess_companies",
                tags="preprocessing",
            ),
            node(
                preprocess_shuttles,
                "shuttles_raw",
                "preprocessed_shuttles",
                name="preprocess_shuttles",
                tags="preprocessing",
            ),
            node(
                create_model_input_table,
                ["preprocessed_shuttles", "preprocessed_companies", "reviews_raw"],
                "model_input_table",
                name="create_model_input_table",
                tags="model_input",
            ),
        ]
    )
    # The namespace prefixes node names; the datasets listed keep their names.
    return pipeline(
        nodes,
        namespace="data_processing",
        inputs=["companies_raw", "shuttles_raw", "reviews_raw"],
        outputs=["preprocessed_companies", "preprocessed_shuttles", "model_input_table"],
    )
