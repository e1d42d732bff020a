"""The data science pipeline, instantiated twice under two namespaces.

Each copy reads the shared ``model_input_table`` and its own parameters (the
namespace prefixes them:
``params:model_options`` becomes ``params:active_modelling.model_options``);
every other dataset is prefixed by its namespace, so the copies never clash
(``active_modelling.regressor``, ``candidate_modelling.metrics``...).
"""

from __future__ import annotations

from drupe_pipeline import Pipeline, node, pipeline
from spaceflights.pipelines.data_science.nodes import evaluate_model, split_data, train_model


def _template() -> Pipeline:
    return Pipeline(
        [
            node(
                split_data,
                ["model_input_table", "params:model_options"],
                ["X_train", "X_test", "y_train", "y_test"],
                name="split_data",
                tags="split",
            ),
            node(
                train_model,
                ["X_train", "y_train"],
                "regressor",
                name="train_model",
                tags="training",
            ),
            node(
                evaluate_model,
                ["regressor", "X_test", "y_test"],
                "metrics",
                name="evaluate_model",
                tags="evaluation",
            ),
        ]
    )


def create_pipeline() -> Pipeline:
    copies = [
        pipeline(
            _template(),
            namespace=namespace,
            inputs="model_input_table",
            tags=namespace,
        )
        for namespace in ("active_modelling", "candidate_modelling")
    ]
    return Pipeline(copies)
