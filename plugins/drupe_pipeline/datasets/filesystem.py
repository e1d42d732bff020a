"""Where a file dataset's bytes live: this machine's disk, or any fsspec filesystem.

A ``filepath`` is either a local path (the fast path: `pathlib`, an atomic
rename, no import of anything) or a URL with a protocol (``s3://``,
``gs://``, ``abfs://``, ``memory://``, chained ``simplecache::s3://``...),
served by fsspec, which is imported only then. ``file://`` URLs are local
paths and take the fast path.

Both storages offer what `FileDataset` needs and nothing more: is there a
file, which versions exist, a source to read, and an all-or-nothing write.

Atomic writes: locally, the data goes to a hidden temporary file next to the
target and is renamed over it. On other filesystems it goes to a local
temporary file and is uploaded once complete (``put_file``): object stores
(S3, GCS, Azure Blob) publish an object whole or not at all, so readers never
see half a file; filesystems with real directories (SFTP, HDFS, SMB...) may
show a partly uploaded file while the upload runs.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from drupe_pipeline.datasets.base import DatasetError
from drupe_pipeline.datasets.extras import missing

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*(::|://)")

#: The drupe extra that installs the package of a protocol.
PROTOCOL_EXTRAS = {
    "s3": ("s3fs", "s3"),
    "s3a": ("s3fs", "s3"),
    "gs": ("gcsfs", "gcs"),
    "gcs": ("gcsfs", "gcs"),
    "abfs": ("adlfs", "azure"),
    "abfss": ("adlfs", "azure"),
    "az": ("adlfs", "azure"),
    "adl": ("adlfs", "azure"),
}

#: Keys of ``fs_args`` that are options of ``open()``, not of the filesystem.
_OPEN_ARGS = ("open_args_load", "open_args_save")


def is_url(filepath: str | os.PathLike[str]) -> bool:
    """Whether ``filepath`` names a filesystem by protocol (``s3://...``), not a local path."""
    text = os.fspath(filepath)
    return bool(_URL.match(text)) and not text.startswith("file://")


def local_path(filepath: str | os.PathLike[str]) -> Path:
    """A local path for a path or a ``file://`` URL (``~`` expanded)."""
    text = os.fspath(filepath)
    if text.startswith("file://"):
        text = text[len("file://") :]
    return Path(text).expanduser()


def open_storage(
    filepath: str | os.PathLike[str],
    *,
    credentials: Mapping[str, Any] | None = None,
    fs_args: Mapping[str, Any] | None = None,
) -> tuple[LocalStorage | FsspecStorage, str]:
    """The storage serving ``filepath`` and the path inside it.

    ``credentials`` and ``fs_args`` (minus ``open_args_load`` /
    ``open_args_save``) become the filesystem's storage options; both are
    ignored for local files.
    """
    if not is_url(filepath):
        return LocalStorage(), str(local_path(filepath))
    options = {k: v for k, v in dict(fs_args or {}).items() if k not in _OPEN_ARGS}
    if credentials:
        if not isinstance(credentials, Mapping):
            raise DatasetError(
                "credentials of a dataset on a remote filesystem must be a mapping of "
                "storage options (e.g. key, secret, client_kwargs)"
            )
        options.update(credentials)
    open_args = dict(dict(fs_args or {}).get("open_args_load") or {})
    storage = FsspecStorage(os.fspath(filepath), options, open_args)
    return storage, storage.root


class LocalStorage:
    """This machine's filesystem: `pathlib`, and `os.replace` for atomic writes."""

    remote = False

    def join(self, base: str, *parts: str) -> str:
        return str(Path(base, *parts))

    def url(self, path: str) -> str:
        return path

    def is_file(self, path: str) -> bool:
        return Path(path).is_file()

    def versions(self, folder: str, name: str) -> list[str]:
        base = Path(folder)
        if not base.is_dir():
            return []
        return sorted(
            child.name for child in base.iterdir() if child.is_dir() and (child / name).exists()
        )

    @contextlib.contextmanager
    def source(self, path: str) -> Iterator[str]:
        """A local file is read by its path (the fastest way for every library)."""
        yield path

    def write(self, path: str, write: Callable[[Path], None]) -> None:
        """Call ``write(tmp)`` on a hidden file next to ``path``, then rename it over ``path``.

        The file is fsynced before the rename and its folder after, so a power
        loss leaves the old file or the new one, never an empty one.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # A unique hidden name in the target folder, so the rename is atomic; the
        # suffix is kept because some writers pick the format by it (Excel, PNG).
        tmp = target.with_name(
            f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp{target.suffix}"
        )
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        try:
            write(tmp)
            _sync(tmp)
            os.replace(tmp, target)
            if os.name == "posix":  # Windows cannot open a folder, and needs not
                _sync(target.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _sync(path: Path) -> None:
    """Push a file's (or a folder's entries') pending writes to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FsspecStorage:
    """Any fsspec filesystem, created with the dataset (fsspec does not connect yet).

    The filesystem object is not pickled: a worker process builds its own
    from the same URL and storage options.
    """

    remote = True

    def __init__(
        self, url: str, options: Mapping[str, Any], open_args: Mapping[str, Any] | None = None
    ) -> None:
        self._url = url
        self._options = dict(options)
        self._open_args = dict(open_args or {})
        self._fs: Any = None
        #: The path inside the filesystem (the URL without its protocol).
        self.root: str = self._connect()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_fs": None}

    @property
    def fs(self) -> Any:
        if self._fs is None:
            self._connect()
        return self._fs

    def _connect(self) -> str:
        """Create the filesystem; return the URL's path inside it."""
        try:
            from fsspec.core import url_to_fs
        except ImportError:
            raise missing("fsspec", "fsspec", self._url) from None
        try:
            self._fs, path = url_to_fs(self._url, **self._options)
        except ImportError as exc:
            protocol = self._url.split("://", 1)[0].rsplit("::", 1)[-1].lower()
            if protocol in PROTOCOL_EXTRAS:
                package, extra = PROTOCOL_EXTRAS[protocol]
                raise missing(package, extra, self._url) from None
            # fsspec names the package of other protocols itself.
            raise DatasetError(f"{self._url}: {exc}".splitlines()[0]) from None
        except ValueError as exc:
            raise DatasetError(f"{self._url}: {exc}") from None
        return str(path)

    def join(self, base: str, *parts: str) -> str:
        return posixpath.join(base, *parts)

    def url(self, path: str) -> str:
        url: str = self.fs.unstrip_protocol(path)
        return url

    def is_file(self, path: str) -> bool:
        self.fs.invalidate_cache(posixpath.dirname(path))
        return bool(self.fs.isfile(path))

    def versions(self, folder: str, name: str) -> list[str]:
        self.fs.invalidate_cache(folder)
        try:
            found = self.fs.find(folder, maxdepth=2)
        except FileNotFoundError:
            return []
        prefix = folder.rstrip("/") + "/"
        versions = set()
        for path in found:
            rest = str(path)[len(prefix) :] if str(path).startswith(prefix) else ""
            version, _, leaf = rest.partition("/")
            if version and leaf == name:
                versions.add(version)
        return sorted(versions)

    @contextlib.contextmanager
    def source(self, path: str) -> Iterator[BinaryIO]:
        """A remote file is read through an open binary file object."""
        with self.fs.open(path, "rb", **self._open_args) as handle:
            yield handle

    def read_bytes(self, path: str) -> bytes:
        data: bytes = self.fs.cat_file(path)
        return data

    def write(self, path: str, write: Callable[[Path], None]) -> None:
        """Write to a local temporary file, then upload it whole (see the module docstring)."""
        with tempfile.TemporaryDirectory(prefix="drupe-upload-") as folder:
            tmp = Path(folder) / posixpath.basename(path)
            write(tmp)
            parent = posixpath.dirname(path)
            if parent:
                self.fs.makedirs(parent, exist_ok=True)
            self.fs.put_file(str(tmp), path)
            self.fs.invalidate_cache(parent)

    @property
    def storage_options(self) -> dict[str, Any]:
        """The options the filesystem was created with (for libraries that open URLs)."""
        return dict(self._options)
