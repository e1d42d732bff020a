"""Shell completion of ``drupe run``'s selection flags: pipeline, node, tag and dataset names.

The flags come from this plugin (`drupe_pipeline.selection.run_options`),
and so do their values: each `RunSelection` field names what completes it
(metadata ``complete``), and `completer` gives click the callback. The
values are found the way a run finds them: a session of the project that
records nothing (``save_on_close=False``), asked through the
``get_pipelines`` and ``get_catalog`` hooks, once per command line. The
kernel's `drupe.cli.completion.quiet_completer` keeps it silent: anything
that goes wrong completes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click

import drupe
from drupe.cli import CliState
from drupe.cli.completion import complete_names, quiet_completer


def _project_facts(ctx: click.Context) -> dict[str, Any]:
    """Pipelines, dataset names and saved versions of the project the command line points at.

    Cached on the root context: one shell request builds one session.
    """
    root = ctx.find_root()
    cached: dict[str, Any] | None = root.meta.get("drupe_pipeline.completion")
    if cached is not None:
        return cached
    facts: dict[str, Any] = {"pipelines": {}, "datasets": set(), "versions": {}}
    root.meta["drupe_pipeline.completion"] = facts
    state = root.find_object(CliState) or CliState()
    with drupe.Session.create(
        project_path=state.project_path,
        save_on_close=False,
        disable_plugins=state.disable_plugins,
        env=ctx.params.get("env"),
    ) as session:
        manager = session.plugin_manager
        facts["pipelines"] = dict(manager.call("get_pipelines", session=session) or {})
        catalog = manager.call("get_catalog", session=session, context=session.load_context())
        names = getattr(catalog, "names", None)
        if callable(names):
            facts["datasets"].update(str(n) for n in names())
        for pipeline in facts["pipelines"].values():  # pattern-made datasets too
            for node in getattr(pipeline, "nodes", ()):
                facts["datasets"].update(getattr(node, "inputs", ()))
                facts["datasets"].update(getattr(node, "outputs", ()))
        if catalog is not None:
            facts["versions"] = _versions(catalog, facts["datasets"])
    return facts


def _versions(catalog: Any, names: Iterable[str]) -> dict[str, list[str]]:
    """The saved versions of each versioned dataset (``versions()``, newest last)."""
    found: dict[str, list[str]] = {}
    for name in sorted(names):
        if name == "parameters" or name.startswith("params:"):
            continue
        try:
            dataset = catalog.get(name)
            if getattr(dataset, "versioned", False):
                found[name] = [str(v) for v in dataset.versions()]
        except Exception:  # a dataset that cannot be built or listed is left out
            continue
    return found


def _nodes(ctx: click.Context) -> list[Any]:
    return [
        node
        for pipeline in _project_facts(ctx)["pipelines"].values()
        for node in getattr(pipeline, "nodes", ())
    ]


def _pipelines(ctx: click.Context, incomplete: str) -> Any:
    return complete_names(incomplete, _project_facts(ctx)["pipelines"])


def _node_names(ctx: click.Context, incomplete: str) -> Any:
    return complete_names(incomplete, (str(node.name) for node in _nodes(ctx)))


def _tags(ctx: click.Context, incomplete: str) -> Any:
    return complete_names(incomplete, (str(tag) for node in _nodes(ctx) for tag in node.tags))


def _namespaces(ctx: click.Context, incomplete: str) -> Any:
    spaces: set[str] = set()
    for node in _nodes(ctx):
        parts = str(getattr(node, "namespace", None) or "").split(".")
        spaces.update(".".join(parts[:i]) for i in range(1, len(parts) + 1) if parts[0])
    return complete_names(incomplete, spaces)


def _datasets(ctx: click.Context, incomplete: str) -> Any:
    names = (n for n in _project_facts(ctx)["datasets"] if not n.startswith("params:"))
    return complete_names(incomplete, (n for n in names if n != "parameters"))


def _load_versions(ctx: click.Context, incomplete: str) -> Any:
    """``dataset:`` for each versioned dataset, then the versions saved for it (newest first)."""
    from click.shell_completion import CompletionItem

    from drupe.cli.completion import COMPLETION_LIMIT

    head, sep, last = incomplete.rpartition(",")
    prefix = head + sep
    versions: dict[str, list[str]] = _project_facts(ctx)["versions"]
    name, colon, version = last.partition(":")
    if not colon:
        offered = [f"{prefix}{each}:" for each in sorted(versions) if each.startswith(last)]
    else:
        saved = reversed(versions.get(name, []))
        offered = [f"{prefix}{name}:{each}" for each in saved if each.startswith(version)]
    return [CompletionItem(value) for value in offered[:COMPLETION_LIMIT]]


def _runners(ctx: click.Context, incomplete: str) -> Any:
    from drupe_pipeline.runners import RUNNER_NAMES

    return complete_names(incomplete, RUNNER_NAMES)


#: What completes each kind of value (a `RunSelection` field's ``complete`` metadata).
COMPLETERS: dict[str, Callable[[click.Context, str], Any]] = {
    "pipelines": _pipelines,
    "nodes": _node_names,
    "tags": _tags,
    "namespaces": _namespaces,
    "datasets": _datasets,
    "versions": _load_versions,
    "runners": _runners,
}


def complete(what: str, ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    """Complete a ``what`` value (a key of `COMPLETERS`) for ``param``."""
    return quiet_completer(lambda c, p, i: COMPLETERS[what](c, i))(ctx, param, incomplete)
