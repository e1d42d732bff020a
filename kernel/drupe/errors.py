"""One exception hierarchy for everything drupe and its plugins raise on purpose.

Every message says what was wrong, where, and what to do about it. The CLI
prints a `DrupeError` as a single line and exits with its `exit_code`, so a
plugin that raises one of these (or its own subclass) gets a clean failure
for free.

Errors also carry structured fields, so that a program (``drupe serve``
answering 422 for a bad field, say) never has to parse a message:

* ``field``: the argument, option or request field that was wrong;
* ``plugin``: the plugin the error comes from (the kernel fills it in when
  a hook implementation raised it and the plugin did not say);
* ``hook``: the hook whose implementation raised it.
"""

from __future__ import annotations

from typing import Any


class DrupeError(Exception):
    """Base class of every error drupe raises deliberately."""

    #: Process exit status the ``drupe`` command uses for this error.
    exit_code: int = 1

    def __init__(
        self,
        *args: Any,
        field: str | None = None,
        plugin: str | None = None,
        hook: str | None = None,
    ) -> None:
        super().__init__(*args)
        self.field = field
        self.plugin = plugin
        self.hook = hook


class UsageError(DrupeError):
    """The caller asked for something malformed (bad flag, bad ``--params``, unknown key)."""

    exit_code = 2


class SessionError(DrupeError):
    """A session was used out of its lifecycle (second run, no active session...)."""


class PluginError(DrupeError):
    """A plugin failed to import, register, validate, or raised unexpectedly in a hook."""


class MissingProviderError(PluginError):
    """A provider hook that a call needs was answered by no plugin."""


class ProjectError(DrupeError):
    """The project could not be found or its metadata is invalid."""


class SettingsError(DrupeError):
    """The project's settings module is missing something or holds a bad value."""


class ConfigError(DrupeError):
    """Configuration could not be read, merged or resolved."""


class RunError(DrupeError):
    """A pipeline run could not be prepared or failed."""


class StoreError(DrupeError):
    """The session store could not be opened, read or written."""
