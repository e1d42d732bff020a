"""drupe: a plugin-first micro-kernel for the lifecycle of data-pipeline sessions.

The kernel knows the session lifecycle and the hook specifications
(`drupe.hookspecs`); everything else is a plugin. Importing this package has
no side effects: no logging setup, no I/O, no entry-point scan. Its public
names load on first use, so a plugin that only needs ``drupe.hookimpl``
(every plugin, on every ``drupe`` command) does not pay for sessions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drupe.lazy import lazy_exports

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "AbstractSession": "drupe.session",
    "ConfigError": "drupe.errors",
    "ConfigLoader": "drupe.config",
    "Context": "drupe.context",
    "DrupeError": "drupe.errors",
    "MissingProviderError": "drupe.errors",
    "PluginError": "drupe.errors",
    "PluginInfo": "drupe.plugin_manager",
    "PluginManager": "drupe.plugin_manager",
    "Project": "drupe.project",
    "ProjectError": "drupe.errors",
    "RunError": "drupe.errors",
    "RunRequest": "drupe.run_request",
    "RuntimeParamsAware": "drupe.config",
    "SecretScrubber": "drupe.secrets",
    "ServiceSession": "drupe.session",
    "Session": "drupe.session",
    "SessionError": "drupe.errors",
    "SessionSecrets": "drupe.session_secrets",
    "SessionSpec": "drupe.session",
    "SessionStore": "drupe.store",
    "SettingsError": "drupe.errors",
    "Stash": "drupe.stash",
    "StashKey": "drupe.stash",
    "HookSource": "drupe.plugin_manager",
    "StoreError": "drupe.errors",
    "UsageError": "drupe.errors",
    "WorkerSpec": "drupe.workers",
    "init_worker": "drupe.workers",
    "worker_plugin_manager": "drupe.workers",
    "build_plugin_manager": "drupe.plugin_manager",
    "lazy_exports": "drupe.lazy",
    "cached_parse": "drupe.parse_cache",
    "canonical_name": "drupe.plugin_manager",
    "get_current_session": "drupe.session",
    "hookimpl": "drupe.markers",
    "hookspec": "drupe.markers",
    "new_id": "drupe.ids",
    "secret_scrubber": "drupe.secrets",
    "scrubbed_logs": "drupe.secret_logs",
}

__all__ = [
    "AbstractSession",
    "ConfigError",
    "ConfigLoader",
    "Context",
    "DrupeError",
    "HookSource",
    "MissingProviderError",
    "PluginError",
    "PluginInfo",
    "PluginManager",
    "Project",
    "ProjectError",
    "RunError",
    "RunRequest",
    "RuntimeParamsAware",
    "SecretScrubber",
    "ServiceSession",
    "Session",
    "SessionError",
    "SessionSecrets",
    "SessionSpec",
    "SessionStore",
    "SettingsError",
    "Stash",
    "StashKey",
    "StoreError",
    "UsageError",
    "WorkerSpec",
    "__version__",
    "build_plugin_manager",
    "cached_parse",
    "canonical_name",
    "get_current_session",
    "hookimpl",
    "hookspec",
    "init_worker",
    "lazy_exports",
    "new_id",
    "scrubbed_logs",
    "secret_scrubber",
    "worker_plugin_manager",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from drupe.config import ConfigLoader, RuntimeParamsAware
    from drupe.context import Context
    from drupe.errors import (
        ConfigError,
        DrupeError,
        MissingProviderError,
        PluginError,
        ProjectError,
        RunError,
        SessionError,
        SettingsError,
        StoreError,
        UsageError,
    )
    from drupe.ids import new_id
    from drupe.markers import hookimpl, hookspec
    from drupe.parse_cache import cached_parse
    from drupe.plugin_manager import (
        HookSource,
        PluginInfo,
        PluginManager,
        build_plugin_manager,
        canonical_name,
    )
    from drupe.project import Project
    from drupe.run_request import RunRequest
    from drupe.secret_logs import scrubbed_logs
    from drupe.secrets import SecretScrubber, secret_scrubber
    from drupe.session import (
        AbstractSession,
        ServiceSession,
        Session,
        SessionSpec,
        get_current_session,
    )
    from drupe.session_secrets import SessionSecrets
    from drupe.stash import Stash, StashKey
    from drupe.store import SessionStore
    from drupe.workers import WorkerSpec, init_worker, worker_plugin_manager
