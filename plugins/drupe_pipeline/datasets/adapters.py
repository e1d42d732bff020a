"""Datasets drupe did not write: kedro-datasets classes, and anything shaped like a dataset.

`KedroDataset` wraps a class of the Kedro ecosystem (``kedro_datasets`` or a
project's own ``kedro.io.AbstractDataset`` subclass) as it is: credentials,
``load_args`` / ``save_args`` and ``fs_args`` go to its constructor, and
``versioned: true`` becomes Kedro's ``version=Version(load, save)`` with
drupe's run id as the save version, so ``--load-versions`` and the session
store work as for drupe's own datasets. Kedro lays versions out as drupe
does (``<filepath>/<version>/<file name>``).

`DuckDataset` wraps an object of any other class with ``load()`` and
``save(data)`` (and, optionally, ``exists()`` and ``release()``).

Nothing here imports Kedro: the adapter only recognises a class by its
bases, so a project that uses no Kedro dataset never imports it.
"""

from __future__ import annotations

import copy
import inspect
import os
from collections.abc import Callable
from typing import Any

from drupe_pipeline.datasets.base import AbstractDataset, DatasetError, Version

REQUIRED = ("load", "save")


def _has_base(cls: type, module_prefix: str, name: str) -> bool:
    return any(
        base.__name__ == name and base.__module__.startswith(module_prefix) for base in cls.__mro__
    )


def is_kedro_dataset(cls: type) -> bool:
    """Whether ``cls`` subclasses ``kedro.io.AbstractDataset`` (found without importing Kedro)."""
    return _has_base(cls, "kedro.io", "AbstractDataset")


def missing_methods(cls: type) -> list[str]:
    """The dataset methods ``cls`` lacks (``load`` and ``save`` are required)."""
    return [name for name in REQUIRED if not callable(getattr(cls, name, None))]


class _Delegating(AbstractDataset):
    """A dataset that delegates to an object it builds from a class and arguments.

    The object is built on first use and dropped when the dataset is
    pickled, so a worker process builds its own: many such objects hold
    filesystem clients that cannot be pickled. ``exists()`` and
    ``release()`` are optional on the object.
    """

    _inner: Any = None

    def _make(self) -> Any:
        """Build the wrapped object (called once per process)."""
        raise NotImplementedError

    def _build(self) -> Any:
        if self._inner is None:
            self._inner = self._make()
        return self._inner

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_inner": None}

    @property
    def inner(self) -> Any:
        """The wrapped object."""
        return self._build()

    def _load(self) -> Any:
        return self._build().load()

    def _save(self, data: Any) -> None:
        self._build().save(data)

    def _exists(self) -> bool:
        exists = getattr(self._build(), "exists", None)
        return bool(exists()) if callable(exists) else False

    def _release(self) -> None:
        release = getattr(self._build(), "release", None)
        if callable(release):
            release()


class KedroDataset(_Delegating):
    """A Kedro-ecosystem dataset used through drupe's catalog, runners and hooks.

    The wrapped object is rebuilt from its class and arguments after
    unpickling: many Kedro datasets hold filesystem methods that cannot be
    pickled, and the parallel runner sends datasets to worker processes.
    """

    def __init__(
        self, cls: type, type_name: str, version: Version | None = None, **kwargs: Any
    ) -> None:
        self._type = type_name
        self._cls = cls
        self._kwargs = copy.deepcopy(kwargs)  # the class may change what it is given
        self._filepath = kwargs.get("filepath") or kwargs.get("path")
        if version is not None and not _has_base(cls, "kedro.io", "AbstractVersionedDataset"):
            raise DatasetError(f"{type_name} is not a versioned Kedro dataset")
        self._version = version
        self._inner: Any = None
        self._build()

    def _make(self) -> Any:
        kwargs = copy.deepcopy(self._kwargs)
        if self._version is not None:
            from kedro.io.core import Version as KedroVersion

            kwargs["version"] = KedroVersion(load=self._version.load, save=self._version.save)
        return self._cls(**kwargs)

    def _describe(self) -> dict[str, Any]:
        # Kedro's own _describe() may show options; credentials stay out by design here.
        details: dict[str, Any] = {"type": self._type}
        if self._filepath is not None:
            details["filepath"] = os.fspath(self._filepath)
        if self._version is not None:
            details["load_version"] = self._version.load or "latest"
        return details


class DuckDataset(_Delegating):
    """An object of any class with ``load()`` and ``save(data)``, used as a dataset.

    Like `KedroDataset`, it is rebuilt from its class and arguments after
    unpickling, so a worker process gets its own.
    """

    def __init__(self, factory: Callable[..., Any], type_name: str, **kwargs: Any) -> None:
        self._type = type_name
        self._factory = factory
        self._kwargs = copy.deepcopy(kwargs)
        self._inner: Any = None
        lacking = missing_methods(type(self._build()))
        if lacking:
            raise DatasetError(f"{type_name} is not a dataset: {describe_missing(lacking)}")

    def _make(self) -> Any:
        return self._factory(**copy.deepcopy(self._kwargs))

    def _describe(self) -> dict[str, Any]:
        return {"type": self._type}


def describe_missing(lacking: list[str]) -> str:
    """``"it has no save() method"``, and what a dataset needs."""
    names = " or ".join(f"{name}()" for name in lacking)
    return (
        f"it has no {names} method (a dataset needs load() and save(data), "
        f"and may have exists() and release())"
    )


def accepts_keyword(cls: type, name: str) -> bool:
    """Whether ``cls(...)`` takes the keyword ``name``."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)
