"""The ``drupe`` command; plugin commands build on what this package exports.

* `CliState` / `pass_state`: the global options (``-p no:NAME``, ``--project``,
  ``--verbose``) and ``state.create_session(...)`` that applies them;
* `list_option`, `split_names`, `params_callback`: the option types ``drupe
  run`` uses, so plugin commands parse ``--tags a,b`` and ``--params``
  exactly the same way;
* `parse_params`, `merge_params`: the ``--params`` grammar as functions;
* `LazyCommand`: a command listed by name and short help, imported when used.
"""

from __future__ import annotations

from drupe.cli.lazy import LazyCommand
from drupe.cli.options import list_option, params_callback, split_names
from drupe.cli.params import merge_params, parse_params
from drupe.cli.state import CliState, pass_state

__all__ = [
    "CliState",
    "LazyCommand",
    "list_option",
    "merge_params",
    "params_callback",
    "parse_params",
    "pass_state",
    "split_names",
]
