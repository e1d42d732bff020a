"""`cached_parse`: remember what a file's bytes parsed to, in the process and on disk.

Why: a ``drupe run`` reads a handful of small YAML and TOML files, and
importing the parsers (PyYAML, tomllib) costs more than everything else the
run does with them: PyYAML's import alone is about a third of the import
floor drupe is measured against (``benchmarks/README.md``). Sessions in one
process re-read the same files. So a parser's result is kept by **content**:
the key is the parser's own version tag and the exact bytes, and a hit is
confirmed by comparing the stored bytes with the file's, so an edited file is
never served stale, whatever the filesystem's timestamps say, and an archive
member is cached like a folder file.

What is kept must be built of ``marshal``'s types (dict, list, tuple, str,
bytes, int, float, bool, None, set): ``marshal`` needs no import and loads
fast. A result it cannot hold (a date, an object) is simply not cached.
Every call returns a fresh copy: nobody can change what another session
reads. Parse errors are never cached: the parser raises again next time.

The disk copy lives in drupe's cache folder (``DRUPE_CACHE_DIR``, else
``$XDG_CACHE_HOME/drupe`` or ``~/.cache/drupe``), at most `DISK_MAX_FILES`
files of at most `MAX_CACHED_BYTES` each; ``DRUPE_NO_CACHE=1`` turns it off.
Like the entry-point cache beside it, the folder must be the user's own: a
file there is trusted to be what drupe wrote.
"""

from __future__ import annotations

import marshal
import os
import sys
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drupe.cache_dir import cache_folder, store_file

#: Files larger than this are parsed every time (the cache is for config-sized files).
MAX_CACHED_BYTES = 1 << 20
#: Bytes of parsed results (and their source bytes) kept in memory per process.
MEMORY_MAX_BYTES = 16 << 20
#: Parsed files kept on disk (least recently written are removed first).
DISK_MAX_FILES = 256

_FORMAT = 1  # bump when the layout of a cache file changes
_memory: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()
_memory_bytes = 0
_lock = threading.Lock()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # a thread of the parent may have held it at the fork


os.register_at_fork(after_in_child=_after_fork_in_child)


def cached_parse(data: bytes, parser: str, parse: Callable[[bytes], Any]) -> Any:
    """``parse(data)``, or a copy of what it returned for the same ``parser`` and bytes.

    ``parser`` names the parser *and its version* (e.g. ``"yaml12:3"``):
    change it whenever the same bytes would parse to something else, so
    results of an older parser are not served.
    """
    if len(data) > MAX_CACHED_BYTES:
        return parse(data)
    key = (parser, data)
    with _lock:
        blob = _memory.get(key)
        if blob is not None:
            _memory.move_to_end(key)
    if blob is None:
        path = _disk_path(parser, data)
        blob = _read_disk(path, parser, data) if path is not None else None
        if blob is None:
            value = parse(data)
            try:
                blob = marshal.dumps(value)
            except ValueError:  # holds something marshal cannot: not cacheable
                return value
            if path is not None:
                _write_disk(path, parser, data, blob)
        _remember(key, blob)
    return marshal.loads(blob)


def clear_memory() -> None:
    """Forget the in-process copies (tests; the disk copies stay)."""
    global _memory_bytes
    with _lock:
        _memory.clear()
        _memory_bytes = 0


def _remember(key: tuple[str, bytes], blob: bytes) -> None:
    global _memory_bytes
    with _lock:
        if key in _memory:
            return
        _memory[key] = blob
        _memory_bytes += len(key[1]) + len(blob)
        while _memory_bytes > MEMORY_MAX_BYTES and len(_memory) > 1:
            (_, data), old = _memory.popitem(last=False)
            _memory_bytes -= len(data) + len(old)


def _disk_path(parser: str, data: bytes) -> Path | None:
    folder = cache_folder()
    if folder is None:
        return None
    tag = f"{sys.implementation.cache_tag}-{_FORMAT}"
    name = f"{zlib.crc32(parser.encode()):08x}-{zlib.crc32(data):08x}-{len(data)}.bin"
    return folder / f"parsed-{tag}" / name


def _read_disk(path: Path, parser: str, data: bytes) -> bytes | None:
    try:
        stored = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    # The name is only a hash: the stored parser tag and bytes must match exactly.
    if (
        isinstance(stored, tuple)
        and len(stored) == 3
        and stored[0] == parser
        and stored[1] == data
        and isinstance(stored[2], bytes)
    ):
        return stored[2]
    return None


def _write_disk(path: Path, parser: str, data: bytes, blob: bytes) -> None:
    store_file(path, marshal.dumps((parser, data, blob)), pattern="*.bin", max_files=DISK_MAX_FILES)
