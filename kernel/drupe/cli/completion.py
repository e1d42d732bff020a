"""Shell completion plumbing; the values come from the plugins that own the options.

Click completes commands and flags by itself (docs/cli.md shows the one-line
setup per shell). The kernel knows no value: an option a plugin contributes
(``run_options``, a plugin's command) completes through its own
``shell_complete=`` callback, and a kernel option whose values only a plugin
knows (``drupe run --env``: the config plugin knows the ``conf/`` layout)
asks the ``complete_option`` hook (`complete_from_plugins`).

Completers share two rules, which `quiet_completer` and `complete_names`
give them: completion never prints anything but the values (no log line, no
error: a failure completes nothing), and list flags (``--tags a,b``)
complete their last comma-separated item.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

import click
from click.shell_completion import CompletionItem

#: How many values a completion offers at most.
COMPLETION_LIMIT = 200

Completer = Callable[[click.Context, click.Parameter, str], Any]


def complete_names(incomplete: str, names: Iterable[str]) -> list[CompletionItem]:
    """The ``names`` that complete the last comma-separated part of ``incomplete``, sorted.

    Names already given earlier in the list are not offered again.
    """
    head, sep, last = incomplete.rpartition(",")
    prefix = head + sep
    chosen = set(head.split(",")) if sep else set()
    found = sorted({n for n in names if n.startswith(last) and n not in chosen})
    return [CompletionItem(prefix + name) for name in found[:COMPLETION_LIMIT]]


def quiet_completer(completer: Completer) -> Completer:
    """Wrap a ``shell_complete`` callback: nothing is logged, and a failure offers nothing."""

    @functools.wraps(completer)
    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
        previous = logging.root.manager.disable
        logging.disable(logging.CRITICAL)
        try:
            return completer(ctx, param, incomplete)
        except Exception:  # a broken project completes nothing rather than printing a traceback
            return []
        finally:
            logging.disable(previous)

    return complete


@quiet_completer
def complete_from_plugins(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    """The values the enabled plugins offer for this kernel option (``complete_option``)."""
    from drupe.cli.state import CliState

    state = ctx.find_root().find_object(CliState) or CliState()
    answers = state.plugin_manager().call(
        "complete_option",
        command=ctx.command.name,
        option=param.name,
        incomplete=incomplete,
        project_path=state.project_path,
    )
    return complete_names(incomplete, (str(v) for answer in answers for v in answer or ()))
