"""The project's pipelines.

``data_processing`` turns the raw CSVs into one model input table;
``data_science`` fits and evaluates two price models on it (the
``active_modelling`` and ``candidate_modelling`` namespaces);
``__default__`` runs both.
"""

from __future__ import annotations

from drupe_pipeline import Pipeline
from spaceflights.pipelines import data_processing, data_science


def register_pipelines() -> dict[str, Pipeline]:
    processing = data_processing.create_pipeline()
    science = data_science.create_pipeline()
    return {
        "__default__": processing + science,
        "data_processing": processing,
        "data_science": science,
    }
