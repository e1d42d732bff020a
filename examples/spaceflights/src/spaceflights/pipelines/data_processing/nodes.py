"""Cleaning functions: CSV rows arrive as dicts of strings and leave typed."""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]


def _flag(value: str) -> bool:
    return value.strip().lower() in {"t", "true", "yes", "1"}


def _percent(value: str) -> float:
    return float(value.strip().rstrip("%")) / 100


def _money(value: str) -> float:
    return float(value.strip().lstrip("$").replace(",", ""))


def preprocess_companies(companies: list[Row]) -> list[Row]:
    """Type the companies: ratings become fractions, approval flags booleans."""
    return [
        {
            "id": int(row["id"]),
            "company_rating": _percent(row["company_rating"]),
            "company_location": row["company_location"],
            "iata_approved": _flag(row["iata_approved"]),
        }
        for row in companies
    ]


def preprocess_shuttles(shuttles: list[Row]) -> list[Row]:
    """Type the shuttles: counts become ints, checks booleans, prices floats."""
    return [
        {
            "id": int(row["id"]),
            "company_id": int(row["company_id"]),
            "shuttle_type": row["shuttle_type"],
            "engines": int(row["engines"]),
            "passenger_capacity": int(row["passenger_capacity"]),
            "crew": int(row["crew"]),
            "d_check_complete": _flag(row["d_check_complete"]),
            "moon_clearance_complete": _flag(row["moon_clearance_complete"]),
            "price": _money(row["price"]),
        }
        for row in shuttles
    ]


def create_model_input_table(
    shuttles: list[Row], companies: list[Row], reviews: list[Row]
) -> list[Row]:
    """Join shuttles with their company and reviews; drop shuttles missing either."""
    by_company = {company["id"]: company for company in companies}
    by_shuttle = {int(review["shuttle_id"]): review for review in reviews}
    table = []
    for shuttle in shuttles:
        company = by_company.get(shuttle["company_id"])
        review = by_shuttle.get(shuttle["id"])
        if company is None or review is None:
            continue
        table.append(
            {
                **shuttle,
                "company_rating": company["company_rating"],
                "iata_approved": company["iata_approved"],
                "review_scores_rating": float(review["review_scores_rating"]),
            }
        )
    return table
