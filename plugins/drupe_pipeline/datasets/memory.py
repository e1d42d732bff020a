"""`MemoryDataset`: data kept in the run's memory, with a copy policy.

Every dataset a pipeline uses without a catalog entry is a `MemoryDataset`.
Copying on load and save keeps one node from mutating what another node
sees; ``copy_mode`` trades that safety for speed.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from drupe_pipeline.datasets.base import AbstractDataset, DatasetError

COPY_MODES = ("deepcopy", "copy", "assign")

_EMPTY = object()


class MemoryDataset(AbstractDataset):
    """Holds one value in memory for the duration of a run.

    Args:
        data: an initial value (optional).
        copy_mode: ``"deepcopy"`` (default: a node gets its own copy),
            ``"copy"`` (shallow copy) or ``"assign"`` (the very object; fastest,
            use for large immutable or deliberately shared data).
    """

    persisted: ClassVar[bool] = False

    def __init__(self, data: Any = _EMPTY, copy_mode: str | None = None) -> None:
        mode = copy_mode or "deepcopy"
        if mode not in COPY_MODES:
            raise DatasetError(
                f"MemoryDataset copy_mode {copy_mode!r} is not one of {', '.join(COPY_MODES)}"
            )
        self._copy_mode = mode
        self._data = _EMPTY
        if data is not _EMPTY:
            self._data = self._copy(data)

    @property
    def copy_mode(self) -> str:
        return self._copy_mode

    def _copy(self, data: Any) -> Any:
        if self._copy_mode == "assign":
            return data
        if self._copy_mode == "copy":
            return copy.copy(data)
        return copy.deepcopy(data)

    def _load(self) -> Any:
        if self._data is _EMPTY:
            raise DatasetError(
                f"{self!r} holds no data: no node saved it yet in this run and it has no "
                f"catalog entry that loads it from somewhere"
            )
        return self._copy(self._data)

    def _save(self, data: Any) -> None:
        self._data = self._copy(data)

    def _exists(self) -> bool:
        return self._data is not _EMPTY

    def _release(self) -> None:
        self._data = _EMPTY

    def _describe(self) -> dict[str, Any]:
        held = "empty" if self._data is _EMPTY else type(self._data).__name__
        return {"data": held, "copy_mode": self._copy_mode}

    def __repr__(self) -> str:
        held = "<empty>" if self._data is _EMPTY else f"<{type(self._data).__name__}>"
        return f"MemoryDataset(data={held}, copy_mode={self._copy_mode!r})"
