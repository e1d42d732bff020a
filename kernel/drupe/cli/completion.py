"""Shell completion of values: pipeline, node, tag, dataset and environment names.

Click completes commands and flags by itself (see docs/cli.md for the
one-line setup per shell). This module adds the values of ``drupe run``'s
flags, found the way a run would find them: a session of the project
(``save_on_close=False``, so nothing is recorded) asked through the
``get_pipelines`` and ``get_catalog`` hooks. Completion never prints an
error: anything that goes wrong completes nothing.

`attach_value_completion` wires the completers to ``drupe run``'s options
by their parameter names, the selection flags the executor plugin
contributes (``run_options``) included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem

#: How many names a completion offers at most.
COMPLETION_LIMIT = 200

#: The runners every drupe knows by name (a dotted path completes nothing).
RUNNER_NAMES = ("sequential", "thread", "parallel")


@contextmanager
def _silenced() -> Iterator[None]:
    """No log line may reach the terminal while the shell completes."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


def _project_facts(ctx: click.Context) -> dict[str, Any]:
    """Pipelines and catalog names of the project the command line points at (cached per ctx)."""
    root = ctx.find_root()
    cached: dict[str, Any] | None = root.meta.get("drupe.completion")
    if cached is not None:
        return cached
    facts: dict[str, Any] = {"pipelines": {}, "datasets": set(), "versions": {}, "root": None}
    root.meta["drupe.completion"] = facts
    from drupe.cli.state import CliState
    from drupe.session import Session

    state = root.find_object(CliState) or CliState()
    try:
        with (
            _silenced(),
            Session.create(
                project_path=state.project_path,
                save_on_close=False,
                disable_plugins=state.disable_plugins,
                env=ctx.params.get("env"),
            ) as session,
        ):
            project = session.project
            facts["root"] = project.root if project is not None else None
            hook = session.plugin_manager.hook
            facts["pipelines"] = dict(hook.get_pipelines(session=session) or {})
            catalog = hook.get_catalog(session=session, context=session.load_context())
            names = getattr(catalog, "names", None)
            if callable(names):
                facts["datasets"].update(str(n) for n in names())
            for pipeline in facts["pipelines"].values():  # pattern-made datasets too
                for node in getattr(pipeline, "nodes", ()):
                    facts["datasets"].update(getattr(node, "inputs", ()))
                    facts["datasets"].update(getattr(node, "outputs", ()))
            if catalog is not None:
                facts["versions"] = _versions(catalog, facts["datasets"])
    except Exception:  # a broken project completes nothing rather than printing a traceback
        pass
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


def _items(incomplete: str, names: Iterable[str]) -> list[CompletionItem]:
    """Complete the last comma-separated part of ``incomplete`` (list flags take ``a,b``)."""
    head, sep, last = incomplete.rpartition(",")
    prefix = head + sep
    chosen = set(head.split(",")) if sep else set()
    found = sorted({n for n in names if n.startswith(last) and n not in chosen})
    return [CompletionItem(prefix + name) for name in found[:COMPLETION_LIMIT]]


def complete_pipelines(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    return _items(incomplete, _project_facts(ctx)["pipelines"])


def complete_nodes(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    return _items(incomplete, (str(node.name) for node in _nodes(ctx)))


def complete_tags(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    return _items(incomplete, (str(tag) for node in _nodes(ctx) for tag in node.tags))


def complete_namespaces(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    spaces: set[str] = set()
    for node in _nodes(ctx):
        parts = str(getattr(node, "namespace", None) or "").split(".")
        spaces.update(".".join(parts[:i]) for i in range(1, len(parts) + 1) if parts[0])
    return _items(incomplete, spaces)


def complete_datasets(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    names = (n for n in _project_facts(ctx)["datasets"] if not n.startswith("params:"))
    return _items(incomplete, (n for n in names if n != "parameters"))


def complete_load_versions(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    """``dataset:`` for each versioned dataset, then the versions saved for it (newest first)."""
    head, sep, last = incomplete.rpartition(",")
    prefix = head + sep
    versions: dict[str, list[str]] = _project_facts(ctx)["versions"]
    name, colon, version = last.partition(":")
    if not colon:
        return [
            CompletionItem(f"{prefix}{each}:") for each in sorted(versions) if each.startswith(last)
        ][:COMPLETION_LIMIT]
    saved = list(reversed(versions.get(name, [])))
    return [CompletionItem(f"{prefix}{name}:{each}") for each in saved if each.startswith(version)][
        :COMPLETION_LIMIT
    ]


def complete_envs(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    """The folders of the project's ``conf/`` except ``base`` (the usual layout)."""
    from drupe.cli.state import CliState

    state = ctx.find_root().find_object(CliState) or CliState()
    start = (state.project_path or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "conf").is_dir():
            envs = [p.name for p in (folder / "conf").iterdir() if p.is_dir() and p.name != "base"]
            return _items(incomplete, envs)
    return []


def complete_runners(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    return _items(incomplete, RUNNER_NAMES)


#: Which completer serves which parameter of ``drupe run`` (by parameter name).
RUN_COMPLETERS: dict[str, Callable[..., Any]] = {
    "pipeline_names": complete_pipelines,
    "tags": complete_tags,
    "node_names": complete_nodes,
    "from_nodes": complete_nodes,
    "to_nodes": complete_nodes,
    "from_inputs": complete_datasets,
    "to_outputs": complete_datasets,
    "namespaces": complete_namespaces,
    "load_versions": complete_load_versions,
    "env": complete_envs,
    "runner": complete_runners,
}


def attach_value_completion(
    params: Iterable[click.Parameter], completers: dict[str, Callable[..., Any]] = RUN_COMPLETERS
) -> None:
    """Give the options among ``params`` their value completers, by parameter name.

    ``drupe run`` calls it when the shell asks for completions, on its own
    options and those the executor plugin contributed; an option that has a
    completer of its own keeps it.
    """
    for param in params:
        completer = completers.get(param.name or "")
        if completer is not None and getattr(param, "_custom_shell_complete", None) is None:
            param._custom_shell_complete = completer
