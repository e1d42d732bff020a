"""The ``drupe`` command; plugin commands build on `CliState` (the click context object)."""

from __future__ import annotations

from drupe.cli.state import CliState, pass_state

__all__ = ["CliState", "pass_state"]
