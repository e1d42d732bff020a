"""Where drupe keeps its per-user caches, and the switch that turns them off.

Two caches live there, both safe to delete at any time: the entry-point scan
(`drupe.plugin_manager`) and parsed configuration files (`drupe.parse_cache`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

CACHE_ENV_VAR = "DRUPE_CACHE_DIR"
NO_CACHE_ENV_VAR = "DRUPE_NO_CACHE"


def cache_folder() -> Path | None:
    """``$DRUPE_CACHE_DIR``, else ``$XDG_CACHE_HOME/drupe`` or ``~/.cache/drupe``; None if off."""
    if os.environ.get(NO_CACHE_ENV_VAR, "").strip() not in {"", "0"}:
        return None
    folder = os.environ.get(CACHE_ENV_VAR) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "drupe",
    )
    return Path(folder)


def store_file(path: Path, data: bytes, *, pattern: str, max_files: int) -> None:
    """Write ``data`` to ``path`` atomically, then keep at most ``max_files`` like it.

    Files of ``path``'s folder matching ``pattern`` are the ones counted; the
    least recently written go first (``path`` itself never). A cache that
    cannot be written (a read-only home) only costs the next process its
    work again, so errors are swallowed.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        found = sorted(
            (entry.stat().st_mtime_ns, entry)
            for entry in path.parent.glob(pattern)
            if entry != path
        )
    except OSError:
        return
    for _, old in found[: max(0, len(found) + 1 - max_files)]:
        with contextlib.suppress(OSError):
            old.unlink()
