"""drupe: a plugin-first micro-kernel for the lifecycle of data-pipeline sessions.

The kernel knows the session lifecycle and the hook specifications
(`drupe.hookspecs`); everything else is a plugin. Importing this package has
no side effects: no logging setup, no I/O, no entry-point scan.
"""

from __future__ import annotations

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
from drupe.plugin_manager import (
    PluginInfo,
    PluginManager,
    build_plugin_manager,
    canonical_name,
)
from drupe.project import Project
from drupe.run_request import RunRequest
from drupe.session import (
    AbstractSession,
    ServiceSession,
    Session,
    SessionSpec,
    get_current_session,
)
from drupe.store import SessionStore

__version__ = "0.1.0"

__all__ = [
    "AbstractSession",
    "ConfigError",
    "ConfigLoader",
    "Context",
    "DrupeError",
    "MissingProviderError",
    "PluginError",
    "PluginInfo",
    "PluginManager",
    "Project",
    "ProjectError",
    "RunError",
    "RunRequest",
    "RuntimeParamsAware",
    "ServiceSession",
    "Session",
    "SessionError",
    "SessionSpec",
    "SessionStore",
    "SettingsError",
    "StoreError",
    "UsageError",
    "__version__",
    "build_plugin_manager",
    "canonical_name",
    "get_current_session",
    "hookimpl",
    "hookspec",
    "new_id",
]
