"""File datasets (standard library only) and the versioning they share.

A versioned file dataset never overwrites: each save goes to
``<filepath>/<version>/<basename>``, where the version is the run id (ids
sort by time, so the newest version is the greatest name). A load reads the
version asked for (``--load-versions name:version``), else the version this
run saved (in any process), else the newest one on disk.

Writes go to a temporary file in the target folder and are renamed into
place, so a run killed mid-save never leaves half a file behind.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from drupe_pipeline.datasets.base import AbstractDataset, DatasetError, Version

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
    """Base class for datasets stored in one local file.

    Subclasses implement `_read(path)` and `_write(path, data)`; this class
    handles paths, versions, atomic writes and ``exists``.

    Args:
        filepath: where the data lives (relative paths are resolved against
            the project root by the catalog).
        load_args / save_args: options passed to the underlying reader/writer.
        version: a `Version` for a versioned dataset, ``None`` otherwise.
        encoding: text encoding for text formats.
    """

    #: Whether the file is opened in text mode.
    text: bool = True

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        *,
        load_args: Mapping[str, Any] | None = None,
        save_args: Mapping[str, Any] | None = None,
        version: Version | None = None,
        encoding: str = "utf-8",
    ) -> None:
        self._filepath = Path(filepath)
        self._load_args = dict(load_args or {})
        self._save_args = dict(save_args or {})
        self._version = version
        self._encoding = encoding

    @property
    def filepath(self) -> Path:
        return self._filepath

    @property
    def versioned(self) -> bool:
        return self._version is not None

    # -- versions -----------------------------------------------------------

    def versions(self) -> list[str]:
        """The versions on disk, oldest first (empty for an unversioned dataset)."""
        if self._version is None or not self._filepath.is_dir():
            return []
        name = self._filepath.name
        return sorted(
            child.name
            for child in self._filepath.iterdir()
            if child.is_dir() and (child / name).exists()
        )

    def load_path(self) -> Path:
        """The file a load reads."""
        if self._version is None:
            return self._filepath
        version = self._version.load or self._saved_in_this_run()
        if version is None:
            found = self.versions()
            if not found:
                raise DatasetError(
                    f"{self!r} has no saved version under {self._filepath}: run the nodes "
                    f"that produce it first"
                )
            version = found[-1]
        path = self._versioned_path(version)
        if not path.exists():
            raise DatasetError(
                f"version {version!r} of {self!r} does not exist ({path}); "
                f"available: {', '.join(self.versions()) or 'none'}"
            )
        return path

    def save_path(self) -> Path:
        """The file a save writes."""
        if self._version is None:
            return self._filepath
        if self._version.save is None:
            raise DatasetError(f"{self!r} is versioned but was given no version to save under")
        return self._versioned_path(self._version.save)

    def _saved_in_this_run(self) -> str | None:
        """The save version, if this run saved it already (in any process)."""
        save = self._version.save if self._version is not None else None
        if save is not None and self._versioned_path(save).is_file():
            return save
        return None

    def _versioned_path(self, version: str) -> Path:
        if not version or PurePosixPath(version).name != version or version in {".", ".."}:
            raise DatasetError(f"{version!r} is not a valid version name")
        return self._filepath / version / self._filepath.name

    # -- AbstractDataset ----------------------------------------------------

    def _load(self) -> Any:
        path = self.load_path()
        if not path.exists():
            raise DatasetError(f"{self!r}: file {path} does not exist")
        try:
            return self._read(path)
        except Exception as exc:
            raise DatasetError(
                f"failed to load {type(self).__name__} from {path}: {type(exc).__name__}: {exc}"
            ) from exc

    def _save(self, data: Any) -> None:
        path = self.save_path()
        if self._version is not None and path.exists():
            raise DatasetError(
                f"{self!r}: version {self._version.save!r} already exists at {path}; "
                f"a versioned dataset never overwrites (use a new run id)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = "w" if self.text else "wb"
        # A unique hidden name in the target folder, so the rename is atomic.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            if self.text:
                with open(fd, mode, encoding=self._encoding, newline="") as handle:
                    self._write(handle, data)
            else:
                with open(fd, mode) as handle:
                    self._write(handle, data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _exists(self) -> bool:
        if self._version is None:
            return self._filepath.is_file()
        version = self._version.load or self._saved_in_this_run()
        if version is not None:
            return self._versioned_path(version).is_file()
        return bool(self.versions())

    def _read(self, path: Path) -> Any:
        mode = "r" if self.text else "rb"
        if self.text:
            with open(path, mode, encoding=self._encoding, newline="") as handle:
                return self._read_handle(handle)
        with open(path, mode) as handle:
            return self._read_handle(handle)

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
    """Any picklable object, with `pickle`.

    Loading a pickle runs code stored in it, so the catalog refuses a path
    that runtime parameters built (`unsafe_to_load`; see drupe_pipeline.containment).
    """

    text = False
    unsafe_to_load = True

    def _read_handle(self, handle: Any) -> Any:
        import pickle

        return pickle.load(handle, **self._load_args)

    def _write(self, handle: Any, data: Any) -> None:
        import pickle

        pickle.dump(data, handle, **self._save_args)


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
