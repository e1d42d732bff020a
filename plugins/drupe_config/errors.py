"""Errors of the config plugin: all are `drupe.ConfigError`, so the CLI prints them as one line."""

from __future__ import annotations

import drupe


class UnknownConfigKeyError(drupe.ConfigError, KeyError):
    """A key that no file pattern defines; also a `KeyError`, as a `Mapping` promises."""

    def __str__(self) -> str:
        # KeyError would show the repr of the message (quoted); show it as written.
        return str(self.args[0]) if self.args else ""
