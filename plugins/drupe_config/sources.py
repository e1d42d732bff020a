"""Where configuration files come from: a folder, or an archive read in place.

A source lists its files once, grouped by environment (the first folder
level), and reads a file's bytes on demand. Archives are never extracted:
a ``.zip`` is read member by member, a ``.tar`` / ``.tar.gz`` in one pass.
Hidden files and folders (a name starting with ``.``) are invisible.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import drupe

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") for part in parts)


class ConfSource:
    """Files of one configuration source, grouped by environment folder."""

    def __init__(self, location: Path) -> None:
        self.location = location
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
        return str(self.location / env / relative)

    def read(self, env: str, relative: str) -> bytes:
        raise NotImplementedError

    def _list(self) -> list[str]:
        raise NotImplementedError


class FolderSource(ConfSource):
    def _list(self) -> list[str]:
        found: list[str] = []
        root = str(self.location)
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            base = os.path.relpath(folder, root)
            for name in files:
                path = name if base == "." else f"{base}/{name}"
                found.append(path.replace(os.sep, "/"))
        return found

    def env_names(self) -> list[str]:
        return sorted(
            entry.name
            for entry in self.location.iterdir()
            if entry.is_dir() and not entry.name.startswith(".")
        )

    def has_env(self, env: str) -> bool:
        return (self.location / env).is_dir()

    def read(self, env: str, relative: str) -> bytes:
        return (self.location / env / relative).read_bytes()


class ArchiveSource(ConfSource):
    """A ``.zip`` or ``.tar[.gz]`` whose root holds the env folders (or one folder that does)."""

    def __init__(self, location: Path, base_env: str) -> None:
        super().__init__(location)
        self._base_env = base_env
        self._prefix = ""
        self._contents: dict[str, bytes] | None = None

    def display(self, env: str, relative: str) -> str:
        return f"{self.location}!{self._prefix}{env}/{relative}"

    def _members(self) -> dict[str, bytes]:
        if self._contents is None:
            self._contents = self._read_all()
        return self._contents

    def _read_all(self) -> dict[str, bytes]:
        import tarfile  # only archives need these: keep them off every start-up
        import zipfile

        contents: dict[str, bytes] = {}
        try:
            if self.location.name.endswith(".zip"):
                with zipfile.ZipFile(self.location) as archive:
                    for info in archive.infolist():
                        if not info.is_dir():
                            self._check(info.filename)
                            contents[info.filename] = archive.read(info)
            else:
                with tarfile.open(self.location, "r:*") as archive:
                    for member in archive:
                        self._check(member.name)
                        if member.isfile():
                            handle = archive.extractfile(member)
                            if handle is not None:
                                contents[member.name] = handle.read()
        except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
            raise drupe.ConfigError(
                f"cannot read configuration archive {self.location}: {exc}; "
                f"check that it is a valid {''.join(self.location.suffixes)} file"
            ) from exc
        return {name.removeprefix("./"): data for name, data in contents.items()}

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
            f"rebuild the archive with relative paths inside it"
        )

    def _list(self) -> list[str]:
        names = list(self._members())
        tops = {PurePosixPath(n).parts[0] for n in names if PurePosixPath(n).parts}
        if self._base_env not in tops and len(tops) == 1:
            # Archives made with `tar czf conf.tar.gz conf/` hold one top folder.
            self._prefix = next(iter(tops)) + "/"
        return [n.removeprefix(self._prefix) for n in names if n.startswith(self._prefix)]

    def read(self, env: str, relative: str) -> bytes:
        return self._members()[f"{self._prefix}{env}/{relative}"]


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
