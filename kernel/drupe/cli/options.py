"""Option types shared by drupe's commands (and usable by plugin commands)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from drupe.cli.params import merge_params, parse_params
from drupe.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])


def split_names(
    ctx: click.Context, param: click.Parameter, value: Sequence[str]
) -> tuple[str, ...]:
    """Callback for list flags: comma-separated values, and the flag may be repeated."""
    names: list[str] = []
    for item in value or ():
        names.extend(part.strip() for part in item.split(",") if part.strip())
    return tuple(dict.fromkeys(names))


def list_option(*decls: str, help: str) -> Callable[[F], F]:
    """A repeatable option whose values may also be comma-separated."""
    return click.option(*decls, multiple=True, callback=split_names, help=help)


def params_callback(
    ctx: click.Context, param: click.Parameter, value: Sequence[str]
) -> dict[str, Any]:
    """Callback for ``--params``; repeated flags deep-merge, later ones win."""
    result: dict[str, Any] = {}
    for item in value or ():
        try:
            merge_params(result, parse_params(item))
        except UsageError as exc:
            raise click.BadParameter(str(exc).removeprefix("--params: "), ctx, param) from exc
    return result
