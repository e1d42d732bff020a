"""Report figures; the catalog decides where they are written (plotly JSON)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def compare_passenger_capacity(shuttles: pd.DataFrame) -> go.Figure:
    """Mean passenger capacity per shuttle type, as a bar chart."""
    capacity = shuttles.groupby("shuttle_type")["passenger_capacity"].mean().sort_index()
    figure = go.Figure(go.Bar(x=list(capacity.index), y=capacity.round(2).tolist()))
    figure.update_layout(
        title="Mean passenger capacity by shuttle type",
        xaxis_title="Shuttle type",
        yaxis_title="Passenger capacity",
    )
    return figure
