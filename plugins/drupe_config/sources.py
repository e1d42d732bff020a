"""Where configuration files come from: a folder, or an archive read in place.

A source lists its files once, grouped by environment (the first folder
level), and reads a file's bytes on demand. Archives are never extracted:
only the index is read up front, and a member's bytes when a pattern
matches it (up to a size cap).
Hidden files and folders (a name starting with ``.``) are invisible.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import drupe

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") for part in parts)


class ConfSource:
    """Files of one configuration source, grouped by environment folder."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self._root = os.fspath(location)  # joined as text: pathlib here cost ~10% of a session
        self._lock = threading.Lock()
        self._tree: dict[str, list[str]] | None = None

    def envs(self) -> Mapping[str, list[str]]:
        """``{env: [relative posix path, ...]}``, sorted, hidden entries left out."""
        with self._lock:
            if self._tree is None:
                tree: dict[str, list[str]] = {}
                for relative in self._list():
                    parts = PurePosixPath(relative).parts
                    if len(parts) < 2 or _hidden(parts):
                        continue
                    tree.setdefault(parts[0], []).append("/".join(parts[1:]))
                for files in tree.values():
                    files.sort()
                self._tree = tree
            return self._tree

    def env_names(self) -> list[str]:
        """The environment folders that exist, sorted."""
        return sorted(self.envs())

    def has_env(self, env: str) -> bool:
        return env in self.envs()

    def display(self, env: str, relative: str) -> str:
        """How a file is named in messages: a path, or ``archive!member``."""
        return os.path.join(self._root, env, relative)

    def read(self, env: str, relative: str) -> bytes:
        raise NotImplementedError

    def _list(self) -> list[str]:
        raise NotImplementedError


#: A listing is reused only if every folder in it was last changed this long
#: before the listing was made: a filesystem with coarse timestamps (1-2 s)
#: could otherwise hide a file added in the same tick as the listing.
_SETTLED_NS = 2_000_000_000
_LISTINGS_KEPT = 64


class _Listing:
    """One folder tree's file list and the change time of each of its folders."""

    def __init__(self, found: list[str], stamps: list[tuple[str, int]], made_ns: int) -> None:
        self.found = found
        self.stamps = stamps
        self.trusted = all(mtime < made_ns - _SETTLED_NS for _, mtime in stamps)

    def still_true(self) -> bool:
        """No folder gained, lost or renamed an entry since (a folder's time says so)."""
        try:
            return self.trusted and all(
                os.stat(folder).st_mtime_ns == mtime for folder, mtime in self.stamps
            )
        except OSError:
            return False


#: root folder -> its last listing, so each session does not walk ``conf/`` again.
_listings: dict[str, _Listing] = {}


class FolderSource(ConfSource):
    def _list(self) -> list[str]:
        """Every file under the folder (hidden folders skipped), reusing an unchanged listing.

        Checking a listing costs one ``stat`` per folder instead of a walk of
        the tree; a listing is trusted only once its folders have settled.
        """
        root = str(self.location)
        known = _listings.get(root)
        if known is not None and known.still_true():
            return list(known.found)
        made_ns = time.time_ns()
        found: list[str] = []
        stamps: list[tuple[str, int]] = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            try:
                stamps.append((folder, os.stat(folder).st_mtime_ns))
            except OSError:
                stamps.append((folder, -1))  # vanished while walking: never trusted
            base = os.path.relpath(folder, root)
            for name in files:
                path = name if base == "." else f"{base}/{name}"
                found.append(path.replace(os.sep, "/"))
        listing = _Listing(found, stamps, made_ns)
        if listing.trusted and all(mtime >= 0 for _, mtime in stamps):
            if len(_listings) >= _LISTINGS_KEPT:
                # Another thread may change the dict meanwhile: dropping the oldest is best effort.
                with contextlib.suppress(RuntimeError, StopIteration):
                    _listings.pop(next(iter(_listings)), None)
            _listings[root] = listing
        return list(found)

    def env_names(self) -> list[str]:
        return sorted(
            entry.name
            for entry in self.location.iterdir()
            if entry.is_dir() and not entry.name.startswith(".")
        )

    def has_env(self, env: str) -> bool:
        return (self.location / env).is_dir()

    def read(self, env: str, relative: str) -> bytes:
        with open(os.path.join(self._root, env, relative), "rb") as handle:
            return handle.read()


#: The largest archive member (uncompressed bytes) the loader will read; a
#: bigger member that a pattern matches is an error, one no pattern matches costs nothing.
MAX_MEMBER_BYTES = 64 * 1024 * 1024


class ArchiveSource(ConfSource):
    """A ``.zip`` or ``.tar[.gz]`` whose root holds the env folders (or one folder that does).

    Listing reads only the archive's index (a tar's headers); a member's bytes
    are read when a pattern asks for that file, up to `MAX_MEMBER_BYTES`.
    Links (symbolic or hard) and special files are refused, naming the member:
    skipping them would turn into a misleading "environment not found".
    """

    def __init__(self, location: Path, base_env: str) -> None:
        super().__init__(location)
        self._base_env = base_env
        self._prefix = ""
        self._index: dict[str, Any] | None = None  # member name -> ZipInfo / TarInfo

    def display(self, env: str, relative: str) -> str:
        return f"{self.location}!{self._prefix}{env}/{relative}"

    def _is_zip(self) -> bool:
        return self.location.name.lower().endswith(".zip")

    def _members(self) -> dict[str, Any]:
        if self._index is None:
            with self._reading():
                self._index = self._read_index()
        return self._index

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        import tarfile  # only archives need these: keep them off every start-up
        import zipfile

        try:
            yield
        except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
            raise drupe.ConfigError(
                f"cannot read configuration archive {self.location}: {exc}; "
                f"check that it is a valid {''.join(self.location.suffixes)} file"
            ) from exc

    def _read_index(self) -> dict[str, Any]:
        import tarfile
        import zipfile

        index: dict[str, Any] = {}
        if self._is_zip():
            with zipfile.ZipFile(self.location) as archive:
                for info in archive.infolist():
                    self._check(info.filename)
                    if info.is_dir():
                        continue
                    if (info.external_attr >> 16) & 0o170000 == 0o120000:
                        self._reject(info.filename, "is a symbolic link")
                    index[info.filename.removeprefix("./")] = info
        else:
            with tarfile.open(self.location, "r:*") as archive:
                for member in archive:  # headers only: member data is skipped, not kept
                    self._check(member.name)
                    if member.isdir():
                        continue
                    if member.issym() or member.islnk():
                        self._reject(member.name, f"is a link (to {member.linkname!r})")
                    if not member.isfile():
                        self._reject(member.name, "is not a regular file")
                    index[member.name.removeprefix("./")] = member
        return index

    def _check(self, name: str) -> None:
        posix = name.replace("\\", "/")
        if (
            posix.startswith("/")
            or PurePosixPath(posix).is_absolute()
            or (len(posix) > 1 and posix[1] == ":")
        ):
            self._reject(name, "is an absolute path")
        if ".." in PurePosixPath(posix).parts:
            self._reject(name, "contains '..'")

    def _reject(self, name: str, why: str) -> None:
        raise drupe.ConfigError(
            f"configuration archive {self.location} has a member {name!r} that {why}; "
            f"rebuild the archive with plain files and relative paths inside it"
        )

    def _list(self) -> list[str]:
        names = list(self._members())
        tops = {PurePosixPath(n).parts[0] for n in names if PurePosixPath(n).parts}
        if self._base_env not in tops and len(tops) == 1:
            # Archives made with `tar czf conf.tar.gz conf/` hold one top folder.
            self._prefix = next(iter(tops)) + "/"
        return [n.removeprefix(self._prefix) for n in names if n.startswith(self._prefix)]

    def read(self, env: str, relative: str) -> bytes:
        import tarfile
        import zipfile

        name = f"{self._prefix}{env}/{relative}"
        member = self._members()[name]
        size = member.file_size if self._is_zip() else member.size
        if size > MAX_MEMBER_BYTES:
            raise drupe.ConfigError(
                f"{self.display(env, relative)} is {size:,} bytes, more than the "
                f"{MAX_MEMBER_BYTES:,} a configuration file may have; move the data out of "
                f"the configuration (into a dataset)"
            )
        with self._reading():
            if self._is_zip():
                with zipfile.ZipFile(self.location) as zipped, zipped.open(member) as handle:
                    data = handle.read(MAX_MEMBER_BYTES + 1)  # the header's size may lie
            else:
                with tarfile.open(self.location, "r:*") as tarred:
                    extracted = tarred.extractfile(member)
                    data = extracted.read(MAX_MEMBER_BYTES + 1) if extracted is not None else b""
        if len(data) > MAX_MEMBER_BYTES:
            raise drupe.ConfigError(
                f"{self.display(env, relative)} holds more than {MAX_MEMBER_BYTES:,} bytes; "
                f"move the data out of the configuration (into a dataset)"
            )
        return data


def open_source(location: Path, base_env: str) -> ConfSource:
    """The source at ``location``: a folder or a supported archive; anything else fails."""
    name = location.name.lower()
    if location.is_dir():
        return FolderSource(location)
    if location.is_file():
        if name.endswith(ARCHIVE_SUFFIXES):
            return ArchiveSource(location, base_env)
        raise drupe.ConfigError(
            f"configuration source {location} is a file but not an archive; "
            f"give a folder or a {', '.join(ARCHIVE_SUFFIXES)} file"
        )
    raise drupe.ConfigError(
        f"configuration source {location} does not exist; create it (with a "
        f"'{base_env}' folder inside) or pass another conf_source / --conf-source"
    )
