"""A fingerprint of what ``git status`` looks at, so its answer can be reused safely.

Whether a work tree is dirty depends on the commit at ``HEAD``, the index
(what is staged), the repository's config, and the tracked files. Git
itself tells a changed file from an unchanged one by comparing the file's
``lstat`` data with what the index recorded; this module does the same
against the answer it saw last: `tree_fingerprint` reads the list of tracked
paths from the index (parsed once per index version, in Python, formats 2 to
4) and ``lstat``\\ s each of them. Editing, adding, deleting, staging or
``chmod``-ing a tracked file changes the fingerprint, and a changed
fingerprint sends the caller back to ``git status``.

Layouts it cannot vouch for make the fingerprint `UNCACHEABLE` (the caller
then always asks git): submodules (their commit moves without a file of
ours changing), split and sparse indexes, unknown index versions, an index
that does not parse.
"""

from __future__ import annotations

import os
import struct
import threading
from pathlib import Path
from typing import NamedTuple

UNCACHEABLE = None

_ENTRY_HEAD = struct.Struct(">10I")  # ctime s/ns, mtime s/ns, dev, ino, mode, uid, gid, size
_GITLINK = 0o160000
_DIRECTORY = 0o040000
_EXTENDED = 0x4000


class Fingerprint(NamedTuple):
    """The ``lstat`` data of the index, the config and every tracked file."""

    stats: tuple[tuple[int, ...] | None, ...]
    #: The newest modification or change time among them, in ns since the epoch.
    newest_ns: int


_paths_cache: dict[bytes, tuple[tuple[int, ...], tuple[bytes, ...] | None]] = {}
_paths_lock = threading.Lock()


def tree_fingerprint(git_dir: Path, work_tree: Path) -> Fingerprint | None:
    """The fingerprint of ``work_tree``'s tracked state, or `UNCACHEABLE`."""
    common = _common(git_dir)
    index = os.path.join(os.fsencode(git_dir), b"index")
    index_stat = _stat(index)
    paths: tuple[bytes, ...] = ()
    if index_stat is not None:
        listed = tracked_paths(index, index_stat, _hash_size(common))
        if listed is None:
            return UNCACHEABLE
        paths = listed
    root = os.fsencode(work_tree) + b"/"
    stats = [index_stat, _stat(os.path.join(os.fsencode(common), b"config"))]
    stats.extend(_stat(root + path) for path in paths)
    newest = max((max(s[0], s[1]) for s in stats if s is not None), default=0)
    return Fingerprint(tuple(stats), newest)


def _stat(path: bytes) -> tuple[int, ...] | None:
    try:
        s = os.lstat(path)
    except OSError:
        return None
    return (s.st_mtime_ns, s.st_ctime_ns, s.st_size, s.st_ino, s.st_mode)


def _common(git_dir: Path) -> Path:
    pointer = git_dir / "commondir"
    try:
        target = Path(pointer.read_text(encoding="utf-8").strip())
    except OSError:
        return git_dir
    return target if target.is_absolute() else git_dir / target


def _hash_size(common: Path) -> int:
    """20 bytes (SHA-1), or 32 for a repository created with ``--object-format=sha256``."""
    try:
        text = (common / "config").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 20
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name.strip().lower() == "objectformat" and value.strip().lower() == "sha256":
            return 32
    return 20


def tracked_paths(
    index: bytes, index_stat: tuple[int, ...], hash_size: int = 20
) -> tuple[bytes, ...] | None:
    """The paths an index file lists (cached per version of the file), or ``None``."""
    with _paths_lock:
        cached = _paths_cache.get(index)
    if cached is not None and cached[0] == index_stat:
        return cached[1]
    try:
        with open(index, "rb") as handle:
            data = handle.read()
        paths = parse_index(data, hash_size)
    except OSError:
        paths = None
    with _paths_lock:
        _paths_cache[index] = (index_stat, paths)
    return paths


def parse_index(data: bytes, hash_size: int = 20) -> tuple[bytes, ...] | None:
    """Tracked paths of a git index (``DIRC`` v2-4); ``None`` for what we cannot vouch for."""
    if len(data) < 12 or data[:4] != b"DIRC":
        return None
    version, count = struct.unpack_from(">II", data, 4)
    if version not in (2, 3, 4):
        return None
    paths: list[bytes] = []
    offset = 12
    previous = b""
    fixed = _ENTRY_HEAD.size + hash_size  # then 2 bytes of flags
    try:
        for _ in range(count):
            start = offset
            mode = _ENTRY_HEAD.unpack_from(data, offset)[6]
            if mode & 0o170000 in (_GITLINK, _DIRECTORY):
                return None  # a submodule, or a sparse-index directory
            offset += fixed
            (flags,) = struct.unpack_from(">H", data, offset)
            offset += 2
            if flags & _EXTENDED:
                offset += 2
            if version == 4:
                strip, offset = _varint(data, offset)
                end = data.index(b"\0", offset)
                path = previous[: len(previous) - strip] + data[offset:end]
                offset = end + 1
            else:
                end = data.index(b"\0", offset)
                path = data[offset:end]
                offset = start + ((end - start + 8) & ~7)
            paths.append(path)
            previous = path
        while offset + 8 <= len(data) - hash_size:  # extensions, then the checksum
            signature = data[offset : offset + 4]
            (size,) = struct.unpack_from(">I", data, offset + 4)
            if signature in (b"link", b"sdir"):
                return None  # split index, sparse index
            offset += 8 + size
    except (struct.error, ValueError, IndexError):
        return None
    return tuple(paths)


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    """Git's offset encoding of the index v4 prefix length."""
    byte = data[offset]
    offset += 1
    value = byte & 0x7F
    while byte & 0x80:
        byte = data[offset]
        offset += 1
        value = ((value + 1) << 7) | (byte & 0x7F)
    return value, offset
