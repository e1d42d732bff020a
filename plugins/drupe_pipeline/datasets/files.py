"""File datasets (standard library only) and the versioning they share.

A file lives on this machine or on any fsspec filesystem
(`drupe_pipeline.datasets.filesystem`).

A versioned file dataset never overwrites: each save goes to
``<filepath>/<version>/<basename>``, where the version is the run id (ids
sort by time, so the newest version is the greatest name). A load reads the
version asked for (``--load-versions name:version``), else the version this
run saved (in any process), else the newest one on disk.

Writes go to a temporary file in the target folder and are renamed into
place (or, on a remote filesystem, are uploaded once complete), so a run
killed mid-save never leaves half a file behind; locally the file is fsynced
before the rename and its folder after, so a power loss leaves the old file
or the new one, never an empty one.
"""

from __future__ import annotations

import importlib
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, ClassVar

from drupe_pipeline.datasets.base import AbstractDataset, DatasetError, Version
from drupe_pipeline.datasets.extras import check_installed, require
from drupe_pipeline.datasets.filesystem import open_storage

__all__ = [
    "CSVDataset",
    "FileDataset",
    "JSONDataset",
    "PickleDataset",
    "TextDataset",
    "Version",
    "YAMLDataset",
]


class FileDataset(AbstractDataset):
    """Base class for datasets stored in one file, on this machine or any fsspec filesystem.

    Subclasses either implement `_read_handle(handle)` and `_write(handle,
    data)` (an open file, text or binary as ``text`` says), or override
    `_read_from(source)` and `_write_to(path, data)` to hand a path to a
    library that opens files itself (pandas, polars). This class handles
    paths, filesystems, versions, atomic writes and ``exists``.

    Args:
        filepath: a local path or an fsspec URL (``s3://bucket/key``; relative
            local paths are resolved against the project root by the catalog).
        load_args / save_args: options passed to the underlying reader/writer.
        version: a `Version` for a versioned dataset, ``None`` otherwise.
        encoding: text encoding for text formats.
        credentials: storage options of a remote filesystem (``key``,
            ``secret``, ``client_kwargs``...); ignored for local files.
        fs_args: more options of the filesystem; ``open_args_load`` holds
            options of the remote ``open()`` used to read (``open_args_save``
            is accepted and unused: a save uploads a finished local file).
    """

    #: Whether the file is opened in text mode.
    text: bool = True
    #: ``save_args`` used when the catalog entry gives none of its own for a key.
    default_save_args: ClassVar[Mapping[str, Any]] = {}
    #: ``load_args`` used when the catalog entry gives none of its own for a key.
    default_load_args: ClassVar[Mapping[str, Any]] = {}

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        *,
        load_args: Mapping[str, Any] | None = None,
        save_args: Mapping[str, Any] | None = None,
        version: Version | None = None,
        encoding: str = "utf-8",
        credentials: Mapping[str, Any] | None = None,
        fs_args: Mapping[str, Any] | None = None,
    ) -> None:
        self._storage, self._path = open_storage(filepath, credentials=credentials, fs_args=fs_args)
        self._filepath: Path | str = (
            self._storage.url(self._path) if self._storage.remote else Path(self._path)
        )
        self._load_args = {**self.default_load_args, **(load_args or {})}
        self._save_args = {**self.default_save_args, **(save_args or {})}
        self._version = version
        self._encoding = encoding

    @property
    def filepath(self) -> Any:
        """The local `Path`, or the URL (``str``) on a remote filesystem."""
        return self._filepath

    @property
    def versioned(self) -> bool:
        return self._version is not None

    # -- versions -----------------------------------------------------------

    def versions(self) -> list[str]:
        """The versions saved, oldest first (empty for an unversioned dataset)."""
        if self._version is None:
            return []
        return self._storage.versions(self._path, self._basename())

    def _basename(self) -> str:
        return PurePosixPath(self._path.replace(os.sep, "/")).name

    def load_path(self) -> Any:
        """The file a load reads (a `Path`, or the URL on a remote filesystem)."""
        return self._as_public(self._load_path())

    def save_path(self) -> Any:
        """The file a save writes (a `Path`, or the URL on a remote filesystem)."""
        return self._as_public(self._save_path())

    def _as_public(self, path: str) -> Any:
        return self._storage.url(path) if self._storage.remote else Path(path)

    def _load_path(self) -> str:
        """The file a load reads; a versioned one is known to exist (one lookup each)."""
        if self._version is None:
            return self._path
        version = self._version.load
        if version is None:
            saved = self._saved_in_this_run()
            if saved is not None:
                return self._versioned_path(saved)
            found = self.versions()
            if not found:
                raise DatasetError(
                    f"{self!r} has no saved version under {self._filepath}: run the nodes "
                    f"that produce it first"
                )
            return self._versioned_path(found[-1])
        path = self._versioned_path(version)
        if not self._storage.is_file(path):
            raise DatasetError(
                f"version {version!r} of {self!r} does not exist ({self._as_public(path)}); "
                f"available: {', '.join(self.versions()) or 'none'}"
            )
        return path

    def _save_path(self) -> str:
        if self._version is None:
            return self._path
        if self._version.save is None:
            raise DatasetError(f"{self!r} is versioned but was given no version to save under")
        return self._versioned_path(self._version.save)

    def _saved_in_this_run(self) -> str | None:
        """The save version, if this run saved it already (in any process)."""
        save = self._version.save if self._version is not None else None
        if save is not None and self._storage.is_file(self._versioned_path(save)):
            return save
        return None

    def _versioned_path(self, version: str) -> str:
        if not version or PurePosixPath(version).name != version or version in {".", ".."}:
            raise DatasetError(f"{version!r} is not a valid version name")
        return self._storage.join(self._path, version, self._basename())

    # -- AbstractDataset ----------------------------------------------------

    def _load(self) -> Any:
        path = self._load_path()  # a versioned path is checked there already
        if self._version is None and not self._storage.is_file(path):
            raise DatasetError(f"{self!r}: file {self._as_public(path)} does not exist")
        try:
            with self._storage.source(path) as source:
                return self._read_from(source)
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(
                f"failed to load {type(self).__name__} from {self._as_public(path)}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def _save(self, data: Any) -> None:
        path = self._save_path()
        if self._version is not None and self._storage.is_file(path):
            raise DatasetError(
                f"{self!r}: version {self._version.save!r} already exists at "
                f"{self._as_public(path)}; a versioned dataset never overwrites (use a new run id)"
            )
        self._storage.write(path, lambda tmp: self._write_to(tmp, data))

    def _exists(self) -> bool:
        if self._version is None:
            return self._storage.is_file(self._path)
        version = self._version.load or self._saved_in_this_run()
        if version is not None:
            return self._storage.is_file(self._versioned_path(version))
        return bool(self.versions())

    def _read_from(self, source: str | BinaryIO) -> Any:
        """Read a local file (``source`` is its path) or a remote one (an open binary file)."""
        if isinstance(source, str):
            if self.text:
                with open(source, encoding=self._encoding, newline="") as handle:
                    return self._read_handle(handle)
            with open(source, "rb") as handle:
                return self._read_handle(handle)
        if self.text:
            return self._read_handle(io.TextIOWrapper(source, encoding=self._encoding, newline=""))
        return self._read_handle(source)

    def _write_to(self, path: Path, data: Any) -> None:
        """Write ``data`` to the local file ``path`` (a temporary file the storage publishes)."""
        if self.text:
            with open(path, "w", encoding=self._encoding, newline="") as handle:
                self._write(handle, data)
        else:
            with open(path, "wb") as handle:
                self._write(handle, data)

    def _read_handle(self, handle: Any) -> Any:
        raise NotImplementedError

    def _write(self, handle: Any, data: Any) -> None:
        raise NotImplementedError

    def _describe(self) -> dict[str, Any]:
        details: dict[str, Any] = {"filepath": str(self._filepath)}
        if self._version is not None:
            details["load_version"] = self._version.load or "latest"
            if self._version.save:
                details["save_version"] = self._version.save
        return details


class TextDataset(FileDataset):
    """A whole text file as one ``str``."""

    def _read_handle(self, handle: io.TextIOBase) -> str:
        return handle.read()

    def _write(self, handle: io.TextIOBase, data: Any) -> None:
        if not isinstance(data, str):
            raise DatasetError(f"{self!r} saves str, got {type(data).__name__}")
        handle.write(data)


class JSONDataset(FileDataset):
    """JSON data; ``save_args`` go to `json.dump` (default ``indent=2``)."""

    def _read_handle(self, handle: io.TextIOBase) -> Any:
        return json.load(handle, **self._load_args)

    def _write(self, handle: io.TextIOBase, data: Any) -> None:
        json.dump(data, handle, **{"indent": 2, **self._save_args})
        handle.write("\n")


class YAMLDataset(FileDataset):
    """YAML data (PyYAML's safe loader and dumper)."""

    def _read_handle(self, handle: io.TextIOBase) -> Any:
        import yaml

        return yaml.safe_load(handle)

    def _write(self, handle: io.TextIOBase, data: Any) -> None:
        import yaml

        yaml.safe_dump(data, handle, **{"sort_keys": False, **self._save_args})


class PickleDataset(FileDataset):
    """Any picklable object, with the ``pickle``, ``joblib`` or ``cloudpickle`` backend.

    Loading a pickle runs code chosen by whoever wrote the file, so a load
    is refused unless the catalog entry opts in with ``allow_load: true``
    (do that only for files your own pipeline writes). Saving needs no
    opt-in. ``load_args`` / ``save_args`` go to the backend's ``load`` /
    ``dump`` (``protocol``, ``compress`` for joblib...). And whatever
    ``allow_load`` says, the catalog refuses a path (or a type) that runtime
    parameters built (`unsafe_to_load`; see drupe_pipeline.containment).
    """

    text = False
    unsafe_to_load = True
    #: The backends and the extra that installs each (``None``: standard library).
    BACKENDS: ClassVar[dict[str, str | None]] = {
        "pickle": None,
        "joblib": "joblib",
        "cloudpickle": "cloudpickle",
    }

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        *,
        backend: str = "pickle",
        allow_load: bool = False,
        **kwargs: Any,
    ) -> None:
        if backend not in self.BACKENDS:
            raise DatasetError(
                f"PickleDataset backend {backend!r} is not one of {', '.join(self.BACKENDS)}"
            )
        if not isinstance(allow_load, bool):
            raise DatasetError(
                f"PickleDataset allow_load must be true or false, got {allow_load!r}"
            )
        extra = self.BACKENDS[backend]
        if extra:
            check_installed([(backend, extra)])
        super().__init__(filepath, **kwargs)
        self._backend = backend
        self._allow_load = allow_load

    def _module(self) -> Any:
        extra = self.BACKENDS[self._backend]
        return require(self._backend, extra) if extra else importlib.import_module("pickle")

    def _load(self) -> Any:
        if not self._allow_load:
            raise DatasetError(
                f"{self!r} refuses to load: unpickling runs code from the file. If your own "
                f"pipeline writes it, add `allow_load: true` to its catalog entry"
            )
        return super()._load()

    def _read_handle(self, handle: Any) -> Any:
        return self._module().load(handle, **self._load_args)

    def _write(self, handle: Any, data: Any) -> None:
        self._module().dump(data, handle, **self._save_args)

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "backend": self._backend}


class CSVDataset(FileDataset):
    """A CSV file as a list of dicts, one per row, keyed by the header.

    Values load as strings, exactly as in the file (convert them in a node).
    ``load_args`` / ``save_args`` go to `csv.DictReader` / `csv.DictWriter`
    (``delimiter``, ``quotechar``...). Saving takes a list of mappings; the
    columns are ``save_args["fieldnames"]`` or the keys of the rows in order
    of first appearance.
    """

    def _read_handle(self, handle: io.TextIOBase) -> list[dict[str, str]]:
        import csv

        return [dict(row) for row in csv.DictReader(handle, **self._load_args)]

    def _write(self, handle: io.TextIOBase, data: Any) -> None:
        import csv

        rows = list(data)
        args = dict(self._save_args)
        fieldnames = args.pop("fieldnames", None)
        if fieldnames is None:
            fieldnames = list(dict.fromkeys(key for row in rows for key in row))
        writer = csv.DictWriter(handle, fieldnames=fieldnames, **args)
        writer.writeheader()
        writer.writerows(rows)
