"""`AbstractDataset`: what the catalog loads from and saves to.

A dataset is one named piece of data with a way to load and save it. The
catalog and the runners only ever call the public methods here (`load`,
`save`, `exists`, `release`); a dataset of your own implements the
underscore methods, and the base class turns any failure into a
`DatasetError` that names the dataset, so a broken file never surfaces as a
bare ``KeyError`` from deep inside a runner.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, NamedTuple

import drupe


class DatasetError(drupe.RunError):
    """A dataset could not be created, loaded or saved."""


class Version(NamedTuple):
    """Which version a versioned dataset loads (``None``: the newest) and saves under."""

    load: str | None = None
    save: str | None = None


class AbstractDataset(ABC):
    """Base class of every dataset.

    Subclasses implement `_load`, `_save` and `_describe` and may implement
    `_exists` (used by ``only_missing_outputs``) and `_release` (free memory).
    The constructor takes the keys of the dataset's catalog entry as keyword
    arguments (``credentials=`` receives the named credentials).

    ``requires`` names the optional packages the dataset needs and the
    drupe extra that installs them. ``persisted`` says whether saved data
    outlives the run (files do, memory does not). Runners use it to decide
    what a worker process can load by itself and which nodes
    ``only_missing_outputs`` may skip.
    """

    persisted: ClassVar[bool] = True
    #: ``(package, extra)`` pairs this dataset needs: the catalog checks them when it
    #: creates the dataset, so a missing extra fails the run before any node runs.
    requires: ClassVar[tuple[tuple[str, str], ...]] = ()

    def load(self) -> Any:
        """Load the data; failures become `DatasetError` naming this dataset."""
        try:
            return self._load()
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(f"failed to load {self!r}: {type(exc).__name__}: {exc}") from exc

    def save(self, data: Any) -> None:
        """Save the data; failures become `DatasetError` naming this dataset."""
        try:
            self._save(data)
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(f"failed to save {self!r}: {type(exc).__name__}: {exc}") from exc

    def exists(self) -> bool:
        """Whether there is data to load (``False`` when the dataset cannot tell)."""
        try:
            return self._exists()
        except Exception as exc:
            raise DatasetError(
                f"failed to check {self!r} exists: {type(exc).__name__}: {exc}"
            ) from exc

    def release(self) -> None:
        """Forget any data held in memory (called once no node needs it any more)."""
        self._release()

    @abstractmethod
    def _load(self) -> Any: ...

    @abstractmethod
    def _save(self, data: Any) -> None: ...

    @abstractmethod
    def _describe(self) -> dict[str, Any]:
        """What the repr shows: never include credentials here."""

    def _exists(self) -> bool:
        return False

    def _release(self) -> None:
        return None

    def __repr__(self) -> str:
        details = ", ".join(f"{key}={value!r}" for key, value in self._describe().items())
        return f"{type(self).__name__}({details})"
