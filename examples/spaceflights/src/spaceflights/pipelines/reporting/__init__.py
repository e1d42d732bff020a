"""A plotly report on the preprocessed shuttles."""

from spaceflights.pipelines.reporting.pipeline import create_pipeline

__all__ = ["create_pipeline"]
