"""Split, fit and evaluate a price model, twice, with different features."""

from spaceflights.pipelines.data_science.pipeline import create_pipeline

__all__ = ["create_pipeline"]
