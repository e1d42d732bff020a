"""Applying ``HOOKS`` and ``DISABLE_HOOKS_FOR_PLUGINS`` to one session's plugin manager.

Both act on the manager passed to ``load_settings``, which belongs to one
session: a project's hooks are never registered process-wide.

Order: the kernel registers entry-point plugins (sorted by name), then the
``plugins=[...]`` given to ``create()``; ``HOOKS`` are registered last, in
list order. pluggy calls the most recently registered implementation first,
so the project's hooks run before every plugin's (the last item of ``HOOKS``
first), except implementations marked ``tryfirst``/``trylast``.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any

from drupe import DrupeError, PluginManager, SettingsError, canonical_name

SOURCE = "settings"


def disable_plugins(plugin_manager: PluginManager, names: Sequence[str], where: str) -> None:
    """Disable each named plugin in this session; a name that matches no plugin fails."""
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise SettingsError(
                f"DISABLE_HOOKS_FOR_PLUGINS in {where} holds {name!r}: give plugin or "
                f"distribution names as strings"
            )
        if plugin_manager.disable(name, reason="settings DISABLE_HOOKS_FOR_PLUGINS"):
            continue
        wanted = canonical_name(name)
        infos = plugin_manager.plugin_infos()
        if any(
            wanted in {canonical_name(i.name), canonical_name(i.distribution or "")} for i in infos
        ):
            continue  # already disabled by another route (-p no:NAME, environment, pyproject)
        known = ", ".join(sorted({i.name for i in infos})) or "none"
        raise SettingsError(
            f"DISABLE_HOOKS_FOR_PLUGINS in {where} names {name!r}, which is no plugin of this "
            f"session (plugins: {known}); fix the name or remove it"
        )


def register_hooks(plugin_manager: PluginManager, hooks: Sequence[Any], where: str) -> None:
    """Register each item of ``HOOKS`` (an instance, a class or a module) in list order."""
    taken = {info.name for info in plugin_manager.plugin_infos()}
    for index, item in enumerate(hooks):
        if item is None or isinstance(item, (str, bytes, int, float, bool, dict, list, tuple)):
            raise SettingsError(
                f"HOOKS[{index}] in {where} is {item!r} ({type(item).__name__}): HOOKS holds "
                f"hook objects, classes or modules, e.g. HOOKS = (ProjectHooks(),)"
            )
        name = _unique(_hook_name(item), taken)
        taken.add(name)
        try:
            plugin_manager.register_plugin(item, name=name, source=SOURCE)
        except DrupeError as exc:
            raise SettingsError(f"HOOKS[{index}] in {where} ({name}) was rejected: {exc}") from exc


def _hook_name(item: Any) -> str:
    if isinstance(item, types.ModuleType):
        return item.__name__
    cls = item if isinstance(item, type) else type(item)
    return f"{cls.__module__}.{cls.__qualname__}"


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    counter = 2
    while f"{name}#{counter}" in taken:
        counter += 1
    return f"{name}#{counter}"
