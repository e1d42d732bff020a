"""A linear price model fitted by least squares (numpy), pickled between nodes."""

from __future__ import annotations

import logging
from typing import Any

import attrs
import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


@attrs.frozen
class PriceModel:
    """``price = intercept + sum(coefficient * feature)``."""

    features: tuple[str, ...]
    intercept: float
    coefficients: tuple[float, ...]

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        values = features[list(self.features)].to_numpy(dtype=float)
        return self.intercept + values @ np.asarray(self.coefficients)


def split_data(
    table: pd.DataFrame, options: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Shuffle with a fixed seed and split into train and test features and targets."""
    shuffled = table.sample(frac=1.0, random_state=options["random_state"])
    test_rows = max(1, round(len(shuffled) * options["test_size"]))
    train, test = shuffled.iloc[:-test_rows], shuffled.iloc[-test_rows:]
    features = list(options["features"])
    return train[features], test[features], train[["price"]], test[["price"]]


def train_model(x_train: pd.DataFrame, y_train: pd.DataFrame) -> PriceModel:
    """Fit the model's weights by least squares."""
    design = np.column_stack([np.ones(len(x_train)), x_train.to_numpy(dtype=float)])
    weights, *_ = np.linalg.lstsq(design, y_train["price"].to_numpy(dtype=float), rcond=None)
    return PriceModel(
        features=tuple(x_train.columns),
        intercept=float(weights[0]),
        coefficients=tuple(float(w) for w in weights[1:]),
    )


def evaluate_model(
    regressor: PriceModel, x_test: pd.DataFrame, y_test: pd.DataFrame
) -> dict[str, float]:
    """R² and mean absolute error on the test set."""
    actual = y_test["price"].to_numpy(dtype=float)
    predicted = regressor.predict(x_test)
    residual = float(((actual - predicted) ** 2).sum())
    total = float(((actual - actual.mean()) ** 2).sum()) or 1.0
    r2 = 1 - residual / total
    mae = float(np.abs(actual - predicted).mean())
    log.info("model has R² %.3f and MAE %.1f on %d test rows", r2, mae, len(actual))
    return {"r2_score": round(r2, 4), "mae": round(mae, 2), "test_rows": len(actual)}
