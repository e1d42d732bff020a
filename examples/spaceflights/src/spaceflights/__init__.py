"""Spaceflights: clean raw shuttle, company and review data, then fit price models."""
