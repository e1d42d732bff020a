"""A linear price model in pure Python (least squares by the normal equations)."""

from __future__ import annotations

import logging
import random
from typing import Any

Row = dict[str, Any]
log = logging.getLogger(__name__)


def split_data(table: list[Row], options: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    """Shuffle with a fixed seed and split into train and test features and targets."""
    rows = list(table)
    random.Random(options["random_state"]).shuffle(rows)
    cut = len(rows) - max(1, round(len(rows) * options["test_size"]))
    features = options["features"]

    def matrix(part: list[Row]) -> list[list[float]]:
        return [[float(row[name]) for name in features] for row in part]

    def target(part: list[Row]) -> list[float]:
        return [float(row["price"]) for row in part]

    return matrix(rows[:cut]), matrix(rows[cut:]), target(rows[:cut]), target(rows[cut:])


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve ``a x = b`` by Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        if abs(m[col][col]) < 1e-12:
            raise ValueError(f"feature {col} is collinear with the others: drop it")
        for r in range(n):
            if r != col:
                factor = m[r][col] / m[col][col]
                m[r] = [x - factor * y for x, y in zip(m[r], m[col], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def train_model(x_train: list[list[float]], y_train: list[float], options: dict[str, Any]) -> Row:
    """Fit ``price = intercept + sum(coef * feature)`` by least squares."""
    rows = [[1.0, *row] for row in x_train]
    width = len(rows[0])
    xtx = [[sum(r[i] * r[j] for r in rows) for j in range(width)] for i in range(width)]
    xty = [sum(r[i] * y for r, y in zip(rows, y_train, strict=True)) for i in range(width)]
    weights = _solve(xtx, xty)
    return {
        "intercept": weights[0],
        "coefficients": dict(zip(options["features"], weights[1:], strict=True)),
    }


def evaluate_model(regressor: Row, x_test: list[list[float]], y_test: list[float]) -> Row:
    """R² and mean absolute error on the test set."""
    coefficients = list(regressor["coefficients"].values())
    predicted = [
        regressor["intercept"] + sum(c * x for c, x in zip(coefficients, row, strict=True))
        for row in x_test
    ]
    mean = sum(y_test) / len(y_test)
    total = sum((y - mean) ** 2 for y in y_test) or 1.0
    residual = sum((y - p) ** 2 for y, p in zip(y_test, predicted, strict=True))
    mae = sum(abs(y - p) for y, p in zip(y_test, predicted, strict=True)) / len(y_test)
    r2 = 1 - residual / total
    log.info("model has R² %.3f and MAE %.1f on %d test rows", r2, mae, len(y_test))
    return {"r2_score": round(r2, 4), "mae": round(mae, 2), "test_rows": len(y_test)}
