"""Cleaning functions: raw text columns ("t", "95%", "$2,200.0") become typed columns."""

from __future__ import annotations

import pandas as pd


def _is_true(column: pd.Series) -> pd.Series:
    return column.astype(str).str.strip().str.lower().isin({"t", "true", "yes", "1"})


def _parse_percentage(column: pd.Series) -> pd.Series:
    return column.astype(str).str.strip().str.rstrip("%").astype(float) / 100


def _parse_money(column: pd.Series) -> pd.Series:
    cleaned = column.astype(str).str.strip().str.lstrip("$").str.replace(",", "", regex=False)
    return cleaned.astype(float)


def preprocess_companies(companies: pd.DataFrame) -> pd.DataFrame:
    """Ratings become fractions, approval flags booleans."""
    companies = companies.copy()
    companies["iata_approved"] = _is_true(companies["iata_approved"])
    companies["company_rating"] = _parse_percentage(companies["company_rating"])
    return companies


def preprocess_shuttles(shuttles: pd.DataFrame) -> pd.DataFrame:
    """Checks become booleans, prices floats."""
    shuttles = shuttles.copy()
    shuttles["d_check_complete"] = _is_true(shuttles["d_check_complete"])
    shuttles["moon_clearance_complete"] = _is_true(shuttles["moon_clearance_complete"])
    shuttles["price"] = _parse_money(shuttles["price"])
    return shuttles


def create_model_input_table(
    shuttles: pd.DataFrame, companies: pd.DataFrame, reviews: pd.DataFrame
) -> pd.DataFrame:
    """Join shuttles with their company and reviews; drop shuttles missing either."""
    with_reviews = shuttles.merge(reviews, left_on="id", right_on="shuttle_id", how="inner")
    table = with_reviews.merge(
        companies[["id", "company_rating", "iata_approved"]].rename(columns={"id": "company"}),
        left_on="company_id",
        right_on="company",
        how="inner",
    )
    return table.drop(columns=["shuttle_id", "company"]).dropna().reset_index(drop=True)
