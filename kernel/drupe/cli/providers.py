"""What ``drupe info`` says about provider hooks and the session store.

A provider hook (``firstresult``) is answered by the first implementation
that returns something; pluggy calls the most recently registered first, and
``tryfirst`` / ``trylast`` ones before / after the rest. `providers` lists,
for each provider hook, the plugins in the order they are asked, so the
first name is the plugin that answers unless it passes (returns ``None``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pluggy

from drupe.errors import DrupeError


def providers(manager: pluggy.PluginManager) -> dict[str, list[str]]:
    """``{hook name: [plugin names, in the order they are asked]}`` for every provider hook."""
    table: dict[str, list[str]] = {}
    for name in sorted(dir(manager.hook)):
        caller = getattr(manager.hook, name, None)
        if not isinstance(caller, pluggy.HookCaller) or caller.spec is None:
            continue
        if not caller.spec.opts.get("firstresult"):
            continue
        table[name] = [impl.plugin_name for impl in reversed(caller.get_hookimpls())]
    return table


def store_location(manager: pluggy.PluginManager, project: Any, settings: Any) -> dict[str, Any]:
    """Where sessions of this project are recorded: ``{"location", "type", "has_sessions"}``.

    ``location`` may be None (nothing is recorded); ``has_sessions`` is None
    when the store could not be read. A store that cannot be opened gives
    ``{"location": None, "type": None, "error": ...}``.

    Asks ``open_store`` as a session would and reads one record: opening a
    store creates nothing (see the hook), so ``drupe info`` in a project that
    never ran leaves no store behind, and says there are no sessions yet.
    """
    try:
        store = manager.hook.open_store(project=project, settings=settings)
    except DrupeError as exc:  # info is what one runs to find out why: report, do not fail
        return {"location": None, "type": None, "error": str(exc)}
    if store is None:
        return {"location": None, "type": None}
    try:
        location = getattr(store, "path", None) or getattr(store, "location", None)
        try:
            has_sessions: bool | None = bool(store.list_sessions(limit=1))
        except Exception:  # unreadable history is `drupe sessions list`'s to explain
            has_sessions = None
        return {
            "location": str(Path(location)) if location is not None else repr(store),
            "type": type(store).__name__,
            "has_sessions": has_sessions,
        }
    finally:
        store.close()
