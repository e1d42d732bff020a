"""Raw CSV and Excel files in, one model input table out."""

from spaceflights.pipelines.data_processing.pipeline import create_pipeline

__all__ = ["create_pipeline"]
