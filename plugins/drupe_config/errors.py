"""Errors of the config plugin: all are `drupe.ConfigError`, so the CLI prints them as one line."""

from __future__ import annotations

from typing import Any

import drupe


class UnknownConfigKeyError(drupe.ConfigError, KeyError):
    """A key that no file pattern defines; also a `KeyError`, as a `Mapping` promises."""

    def __str__(self) -> str:
        # KeyError would show the repr of the message (quoted); show it as written.
        return str(self.args[0]) if self.args else ""


class RuntimeParamsError(drupe.ConfigError):
    """The runtime parameters given are wrong (a bad name, or undeclared under
    ``strict_runtime_params``): the caller's mistake, so exit status 2 and, over
    HTTP, a 422 naming the ``runtime_params`` field."""

    exit_code = 2

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.field = "runtime_params"  # after the base class, which sets a field of its own
