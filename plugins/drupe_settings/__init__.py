"""drupe's bundled `settings` plugin (entry point ``settings`` in the ``drupe.plugins`` group).

Its entry point names `SettingsPlugin`. It imports the project's
``<package>.settings`` module when a session is created, checks it against
the options the enabled plugins declare (the ``declare_settings`` hook it
adds), returns a read-only `Settings`, and
registers the project's ``HOOKS`` into that session's plugin manager.

Public API: `Settings`, `hookspecs` (``declare_settings``). See docs/settings.md.
"""

from __future__ import annotations

from drupe_settings import hookspecs
from drupe_settings.hooks import OWN_OPTIONS, SettingsPlugin
from drupe_settings.settings import Settings

__all__ = [
    "OWN_OPTIONS",
    "Settings",
    "SettingsPlugin",
    "hookspecs",
]
