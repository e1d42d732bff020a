"""Pickled models (three backends, loading only on opt-in) and plot datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

from drupe_pipeline import DataCatalog, DatasetError


@pytest.mark.parametrize("backend", ["pickle", "joblib", "cloudpickle"])
def test_pickle_backends_round_trip_when_the_entry_opts_in(tmp_path: Path, backend: str) -> None:
    model = {"intercept": 1.5, "coefficients": {"engines": 2.0}, "seen": {1, 2}}
    config = {
        "model": {
            "type": "pickle.PickleDataset",
            "filepath": "model.pkl",
            "backend": backend,
            "allow_load": True,
            "versioned": True,
        }
    }
    DataCatalog.from_config(config, root=tmp_path, save_version="v1").save("model", model)
    assert DataCatalog.from_config(config, root=tmp_path).load("model") == model
    assert (tmp_path / "model.pkl" / "v1" / "model.pkl").is_file()


def test_a_pickle_is_not_loaded_unless_the_entry_opts_in(tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple:
            return (marker.write_text, ("code ran",))

    config = {"model": {"type": "PickleDataset", "filepath": "model.pkl"}}
    catalog = DataCatalog.from_config(config, root=tmp_path)
    catalog.save("model", Payload())  # saving needs no opt-in
    with pytest.raises(DatasetError, match=r"refuses to load.*add `allow_load: true`"):
        catalog.load("model")
    assert not marker.exists()


def test_an_unknown_pickle_backend_is_named(tmp_path: Path) -> None:
    config = {"m": {"type": "PickleDataset", "filepath": "m.pkl", "backend": "dill"}}
    with pytest.raises(DatasetError, match=r"'m'.*backend 'dill' is not one of pickle, joblib"):
        DataCatalog.from_config(config, root=tmp_path).get("m")


def test_matplotlib_writer_saves_an_image_and_refuses_to_load(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.bar(["F5", "A1"], [4, 6])
    config = {"chart": {"type": "matplotlib.MatplotlibWriter", "filepath": "reports/chart.png"}}
    catalog = DataCatalog.from_config(config, root=tmp_path)
    catalog.save("chart", figure)
    assert (tmp_path / "reports" / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.get_fignums()  # closed once saved
    assert catalog.exists("chart")
    with pytest.raises(DatasetError, match="only saves figures"):
        catalog.load("chart")


def test_plotly_json_round_trip(tmp_path: Path) -> None:
    import plotly.graph_objects as go

    figure = go.Figure(go.Bar(x=["F5", "A1"], y=[4, 6]))
    config = {"plot": {"type": "plotly.JSONDataset", "filepath": "reports/plot.json"}}
    catalog = DataCatalog.from_config(config, root=tmp_path)
    catalog.save("plot", figure)
    loaded = catalog.load("plot")
    assert isinstance(loaded, go.Figure)
    assert list(loaded.data[0].y) == [4, 6]
