"""Where drupe keeps its per-user caches, and the switch that turns them off.

Two caches live there, both safe to delete at any time: the entry-point scan
(`drupe.plugin_manager`) and parsed configuration files (`drupe.parse_cache`).
"""

from __future__ import annotations

import os
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
