"""The project's pipelines.

``data_processing`` turns the raw CSV and Excel files into one model input
table; ``data_science`` fits and evaluates two price models on it (the
``active_modelling`` and ``candidate_modelling`` namespaces); ``reporting``
draws a plotly chart of the shuttles; ``__default__`` runs all three.
"""

from __future__ import annotations

from drupe_pipeline import Pipeline
from spaceflights.pipelines import data_processing, data_science, reporting


def register_pipelines() -> dict[str, Pipeline]:
    processing = data_processing.create_pipeline()
    science = data_science.create_pipeline()
    report = reporting.create_pipeline()
    return {
        "__default__": processing + science + report,
        "data_processing": processing,
        "data_science": science,
        "reporting": report,
    }
