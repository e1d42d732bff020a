"""drupe's bundled `config` plugin: YAML/JSON configuration under ``conf/<env>/``.

Its entry point names `ConfigPlugin` (one instance per session). It answers
``create_config_loader`` (as ``trylast``: any other plugin that
answers wins) with a `ConfigLoader`, adds the ``config_resolvers`` hook for
plugins that contribute interpolation resolvers, declares the settings it
reads (``CONF_SOURCE``, ``CONFIG_LOADER_ARGS``) and completes ``drupe run
--env`` in the shell (``complete_option``).

This module stays cheap to import (``drupe --help`` imports every enabled
plugin): the loader, PyYAML and the rest load on first use.

Public API: `ConfigLoader`, `LoaderOptions`, `DEFAULT_CONFIG_PATTERNS`,
`UnknownConfigKeyError`, `ReadOnlyDict`, `ReadOnlyList`, `thaw`, the
`hookspecs` module.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

import drupe
from drupe_config import hookspecs

#: The environment variable that picks the run env when no ``env`` argument is given.
ENV_VAR = "DRUPE_ENV"

if TYPE_CHECKING:
    from drupe_config.errors import UnknownConfigKeyError
    from drupe_config.loader import ConfigLoader
    from drupe_config.options import DEFAULT_CONFIG_PATTERNS, LoaderOptions
    from drupe_config.readonly import ReadOnlyDict, ReadOnlyList, thaw

__all__ = [
    "DEFAULT_CONFIG_PATTERNS",
    "ConfigLoader",
    "ConfigPlugin",
    "LoaderOptions",
    "ReadOnlyDict",
    "ReadOnlyList",
    "UnknownConfigKeyError",
    "hookspecs",
    "thaw",
]

_LAZY = {
    "ConfigLoader": "drupe_config.loader",
    "LoaderOptions": "drupe_config.options",
    "DEFAULT_CONFIG_PATTERNS": "drupe_config.options",
    "UnknownConfigKeyError": "drupe_config.errors",
    "ReadOnlyDict": "drupe_config.readonly",
    "ReadOnlyList": "drupe_config.readonly",
    "thaw": "drupe_config.readonly",
}


__getattr__, __dir__ = drupe.lazy_exports(__name__, _LAZY)


class ConfigPlugin:
    """Answers ``create_config_loader``; settles the session's default env.

    One instance per session: the draft whose env is still open between
    ``before_session_create`` and ``after_session_created`` is kept here.
    """

    def __init__(self) -> None:
        self._pending: drupe.SessionSpec | None = None

    @drupe.hookimpl
    def add_hookspecs(self, plugin_manager: pluggy.PluginManager) -> None:
        plugin_manager.add_hookspecs(hookspecs)

    @drupe.hookimpl(optionalhook=True)
    def declare_settings(self) -> Mapping[str, Mapping[str, Any]]:
        from drupe_config.options import SETTINGS_DECLARATION

        return {name: dict(spec) for name, spec in SETTINGS_DECLARATION.items()}

    @drupe.hookimpl
    def before_session_create(self, spec: drupe.SessionSpec) -> None:
        """Record the env the session will use: the argument, else ``DRUPE_ENV``.

        When neither is given, the default run env depends on settings
        (``CONFIG_LOADER_ARGS["default_run_env"]``, else ``local``), which are
        not loaded yet: `after_session_created` fills it in on this same draft.
        """
        if spec.env is None:
            spec.env = os.environ.get(ENV_VAR) or None
        self._pending = spec if spec.env is None else None

    @drupe.hookimpl(tryfirst=True)
    def after_session_created(self, session: drupe.AbstractSession) -> None:
        """Settle the default env first, so every other hook (the store) sees it."""
        spec, self._pending = self._pending, None
        if spec is None or spec.env is not None or session.env is not None:
            return
        from drupe_config.options import LoaderOptions

        try:
            options = LoaderOptions.from_args(getattr(session.settings, "CONFIG_LOADER_ARGS", None))
        except drupe.ConfigError:
            return  # creating the loader reports the bad option, with its message
        spec.env = options.default_run_env

    @drupe.hookimpl
    def complete_option(self, option: str, project_path: Path | None) -> list[str] | None:
        """``drupe run --env``: the project's environments (`drupe_config.completion`)."""
        if option != "env":
            return None
        from drupe_config.completion import env_names

        return env_names(project_path)

    @drupe.hookimpl
    def secret_values(self, context: drupe.Context) -> list[Any]:
        """Credentials and secret-looking runtime parameters (see `drupe_config.secrets`)."""
        from drupe_config.secrets import secret_values as values_of

        return values_of(context)

    @drupe.hookimpl(trylast=True)
    def create_config_loader(
        self,
        project: drupe.Project | None,
        env: str | None,
        conf_source: str | None,
        runtime_params: Mapping[str, Any],
        settings: Any,
        plugin_manager: pluggy.PluginManager | None,
    ) -> ConfigLoader:
        from drupe_config.loader import ConfigLoader
        from drupe_config.secrets import pattern_of

        pattern_of(settings)  # a bad SECRET_KEY_PATTERN fails here, naming the setting
        return ConfigLoader.from_arguments(
            conf_source=conf_source,
            project_root=project.root if project is not None else None,
            env=env,
            runtime_params=runtime_params,
            settings=settings,
            resolvers=plugin_resolvers(plugin_manager),
        )


def plugin_resolvers(plugin_manager: pluggy.PluginManager | None) -> dict[str, Callable[..., Any]]:
    """Resolvers every plugin returned from ``config_resolvers``; a name used twice fails."""
    caller = getattr(getattr(plugin_manager, "hook", None), "config_resolvers", None)
    if caller is None:
        return {}
    found: dict[str, Callable[..., Any]] = {}
    owners: dict[str, str] = {}
    for impl in reversed(caller.get_hookimpls()):
        contributed = impl.function()
        if contributed is None:
            continue
        if not isinstance(contributed, Mapping):
            raise drupe.PluginError(
                f"plugin {impl.plugin_name!r}: config_resolvers must return a dict of "
                f"{{name: callable}}, got {type(contributed).__name__}"
            )
        for name, function in contributed.items():
            if not callable(function):
                raise drupe.PluginError(
                    f"plugin {impl.plugin_name!r}: resolver {name!r} is not callable"
                )
            if name in owners:
                raise drupe.PluginError(
                    f"plugins {owners[name]!r} and {impl.plugin_name!r} both define the config "
                    f"resolver {name!r}; disable one or rename its resolver"
                )
            owners[name] = impl.plugin_name
            found[name] = function
    return found
