"""The settings plugin's hook implementations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import drupe
from drupe_settings.settings import Settings

if TYPE_CHECKING:
    from drupe import PluginManager, Project

OWN_OPTIONS: Mapping[str, Mapping[str, Any]] = {
    "HOOKS": {
        "type": (list, tuple),
        "default": (),
        "doc": "hook objects or classes registered into each session, after every plugin",
    },
    "DISABLE_HOOKS_FOR_PLUGINS": {
        "type": (list, tuple),
        "default": (),
        "doc": "plugins (plugin or distribution names) disabled in this project's sessions",
    },
}


class SettingsPlugin:
    """Imports and checks ``<package>.settings``; applies its ``HOOKS`` to the session.

    Holds no state: the settings object it returns belongs to the session.
    """

    @drupe.hookimpl
    def add_hookspecs(self, plugin_manager: PluginManager) -> None:
        from drupe_settings import hookspecs

        plugin_manager.add_hookspecs(hookspecs)

    @drupe.hookimpl
    def declare_settings(self) -> Mapping[str, Mapping[str, Any]]:
        return OWN_OPTIONS

    @drupe.hookimpl(trylast=True)
    def load_settings(self, project: Project | None, plugin_manager: PluginManager) -> Settings:
        """Import and check ``<package>.settings``; apply its hooks to this session's manager."""
        from drupe_settings.module_import import import_settings
        from drupe_settings.options import collect_options, settings_values
        from drupe_settings.project_hooks import disable_plugins, register_hooks

        options = collect_options(plugin_manager)
        module = import_settings(project) if project is not None else None
        settings = Settings(settings_values(module, options), getattr(module, "__file__", None))
        where = settings.source or (f"{project.package_name}.settings" if project else "settings")
        disable_plugins(plugin_manager, settings.get("DISABLE_HOOKS_FOR_PLUGINS", ()), where)
        register_hooks(plugin_manager, settings.get("HOOKS", ()), where)
        return settings
