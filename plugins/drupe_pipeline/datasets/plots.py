"""Plot datasets: matplotlib figures as image files, plotly figures as JSON.

Catalog types ``matplotlib.MatplotlibWriter`` (extra ``drupe[matplotlib]``)
and ``plotly.JSONDataset`` (extra ``drupe[plotly]``). Both are file datasets:
any filesystem, versioned, written atomically.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any, ClassVar

from drupe_pipeline.datasets.base import DatasetError
from drupe_pipeline.datasets.extras import require
from drupe_pipeline.datasets.files import FileDataset

__all__ = ["JSONDataset", "MatplotlibWriter"]


class MatplotlibWriter(FileDataset):
    """Saves a matplotlib `Figure` with `Figure.savefig` (format from the file's suffix).

    Write-only: an image is a report, not an input. ``save_args`` go to
    ``savefig`` (``dpi``, ``bbox_inches``...). A figure made with pyplot is
    closed once saved, so a long run does not pile figures up in memory.
    """

    text = False
    requires: ClassVar[tuple[tuple[str, str], ...]] = (("matplotlib", "matplotlib"),)

    def _read_from(self, source: Any) -> Any:
        raise DatasetError(f"{self!r} only saves figures; it cannot load them")

    def _write_to(self, path: Path, data: Any) -> None:
        figure = require("matplotlib.figure", "matplotlib")
        if not isinstance(data, figure.Figure):
            raise DatasetError(f"{self!r} saves a matplotlib Figure, got {type(data).__name__}")
        data.savefig(str(path), **self._save_args)
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close(data)


class JSONDataset(FileDataset):
    """A plotly figure as JSON (`plotly.io.to_json` / `plotly.io.from_json`).

    Saves a `plotly.graph_objects.Figure` or a figure dict; loads a Figure.
    """

    requires: ClassVar[tuple[tuple[str, str], ...]] = (("plotly", "plotly"),)

    def _read_handle(self, handle: io.TextIOBase) -> Any:
        plotly_io = require("plotly.io", "plotly")
        return plotly_io.from_json(handle.read(), **self._load_args)

    def _write(self, handle: io.TextIOBase, data: Any) -> None:
        plotly_io = require("plotly.io", "plotly")
        handle.write(plotly_io.to_json(data, **self._save_args))
