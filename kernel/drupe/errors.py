"""One exception hierarchy for everything drupe and its plugins raise on purpose.

Every message says what was wrong, where, and what to do about it. The CLI
prints a `DrupeError` as a single line and exits with its `exit_code`, so a
plugin that raises one of these (or its own subclass) gets a clean failure
for free; any other exception is a bug and is shown with its traceback.
"""

from __future__ import annotations


class DrupeError(Exception):
    """Base class of every error drupe raises deliberately."""

    #: Process exit status the ``drupe`` command uses for this error.
    exit_code: int = 1


class UsageError(DrupeError):
    """The caller asked for something malformed (bad flag, bad ``--params``)."""

    exit_code = 2


class SessionError(DrupeError):
    """A session was used out of its lifecycle (second run, no active session...)."""


class PluginError(DrupeError):
    """A plugin failed to import, register or validate."""


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
