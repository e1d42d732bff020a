"""`RunSelection`: what a run selects, defined once for the Python API, the CLI, serve and reruns.

The kernel forwards the keyword arguments of ``session.run()`` unread
(``run.selection``). This class gives them meaning: each field is one
keyword argument of ``run()``, and its metadata says which ``drupe run``
flags set it, so the flags (`run_options`), the checks (`from_mapping`,
called by the ``validate_selection`` hook before the run starts) and what
executes can never disagree. ``drupe serve``'s request body and ``drupe
sessions rerun`` pass the same keys to ``run()`` and are checked here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from drupe.frozen import Frozen
from drupe_pipeline.errors import SelectionError

#: Other spellings accepted for a field: Kedro's ``pipeline_name``, serve's ``pipelines``,
#: Kedro's runner switch ``is_async``.
ALIASES = {"pipeline_name": "pipeline_names", "pipelines": "pipeline_names", "is_async": "async_io"}


def _flags(
    *decls: str, help: str, kind: str = "names", complete: str | None = None
) -> dict[str, Any]:
    """A field's flags, help, value kind and what completes its values in the shell."""
    return {"flags": decls, "help": help, "kind": kind, "complete": complete}


def _names(field: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        names: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item:
                raise SelectionError(
                    f"{field}[{index}] must be a non-empty name, not {_kind(item)}", field=field
                )
            names.append(item)
        return tuple(dict.fromkeys(names))
    raise SelectionError(f"{field} must be a list of names, not {_kind(value)}", field=field)


def _versions(field: str, value: Any) -> Mapping[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SelectionError(
            f"{field} must map dataset names to versions, not {_kind(value)}", field=field
        )
    for name, version in value.items():
        if not isinstance(name, str) or not isinstance(version, str) or not version:
            raise SelectionError(
                f"{field}.{name} must be a version string, not {_kind(version)}",
                field=f"{field}.{name}",
            )
    return dict(value)


def _options(field: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SelectionError(
            f"{field} must map option names to values, not {_kind(value)}", field=field
        )
    for name in value:
        if not isinstance(name, str) or not name.isidentifier():
            raise SelectionError(
                f"{field} has an option named {name!r}: names are like address or workers",
                field=field,
            )
    return dict(value)


def _flag(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SelectionError(f"{field} must be true or false, not {_kind(value)}", field=field)
    return value


def _runner(field: str, value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise SelectionError(f"{field} must name a runner, not an empty string", field=field)
    return value  # a name, a dotted path, a runner class or object: resolved when the run starts


_CHECKS = {
    "names": _names,
    "versions": _versions,
    "flag": _flag,
    "runner": _runner,
    "options": _options,
}


#: Each field of a selection, in order: one keyword argument of ``run()``, with the
#: ``drupe run`` flags that set it, their help, the kind of value (which check and
#: which default apply) and what completes its values in the shell.
FIELDS: dict[str, dict[str, Any]] = {
    "pipeline_names": _flags(
        "--pipelines",
        "--pipeline",
        help="Pipelines to run (default: __default__).",
        complete="pipelines",
    ),
    "tags": _flags("--tags", "-t", help="Run only nodes with any of these tags.", complete="tags"),
    "node_names": _flags("--nodes", "-n", help="Run only these nodes.", complete="nodes"),
    "from_nodes": _flags("--from-nodes", help="Run from these nodes downstream.", complete="nodes"),
    "to_nodes": _flags("--to-nodes", help="Run up to these nodes.", complete="nodes"),
    "from_inputs": _flags(
        "--from-inputs",
        help="Run from the nodes that consume these datasets.",
        complete="datasets",
    ),
    "to_outputs": _flags(
        "--to-outputs",
        help="Run up to the nodes that produce these datasets.",
        complete="datasets",
    ),
    "namespaces": _flags(
        "--namespaces",
        "--namespace",
        help="Run only nodes in these namespaces.",
        complete="namespaces",
    ),
    "load_versions": _flags(
        "--load-versions",
        help="dataset:version to load a specific version (comma-separated, repeatable).",
        kind="versions",
        complete="versions",
    ),
    "runner": _flags(
        "--runner",
        "-r",
        help="sequential, thread, parallel, a runner a plugin adds (dask) or a dotted path.",
        kind="runner",
        complete="runners",
    ),
    "runner_options": _flags(
        "--runner-option",
        help="key=value for the runner, e.g. address=tcp://host:8786 (repeatable).",
        kind="options",
    ),
    "async_io": _flags(
        "--async",
        help="Load each node's inputs and save its outputs concurrently (Kedro's --async).",
        kind="flag",
    ),
    "only_missing_outputs": _flags(
        "--only-missing-outputs", help="Skip nodes whose outputs exist.", kind="flag"
    ),
}

#: A field's default, by its kind (a new empty mapping each time, never a shared one).
_DEFAULTS: dict[str, Any] = {
    "names": tuple,
    "versions": dict,
    "options": dict,
    "flag": bool,
    "runner": lambda: None,
}


class RunSelection(Frozen):
    """The pipeline plugin's selection: which pipelines, which of their nodes, which runner.

    Filters combine with AND, the names of one filter with OR, as in Kedro
    (``tags=("a", "b")`` selects nodes tagged a or b). An empty tuple means
    "no filter"; no pipeline name means ``__default__``. The fields, their
    flags and their defaults are `FIELDS`; ``RunSelection(tags=("a",))``
    takes them as keywords and does not check them (`from_mapping` does).
    """

    _fields = tuple(FIELDS)
    __slots__ = _fields

    pipeline_names: tuple[str, ...]
    tags: tuple[str, ...]
    node_names: tuple[str, ...]
    from_nodes: tuple[str, ...]
    to_nodes: tuple[str, ...]
    from_inputs: tuple[str, ...]
    to_outputs: tuple[str, ...]
    namespaces: tuple[str, ...]
    load_versions: Mapping[str, str]
    runner: Any
    runner_options: Mapping[str, Any]
    async_io: bool
    only_missing_outputs: bool

    def __init__(self, **values: Any) -> None:
        unknown = set(values).difference(FIELDS)
        if unknown:
            raise TypeError(f"RunSelection has no field(s) {', '.join(sorted(unknown))}")
        self._set(
            **{
                name: values[name] if name in values else _DEFAULTS[meta["kind"]]()
                for name, meta in FIELDS.items()
            }
        )

    @classmethod
    def from_mapping(cls, selection: Mapping[str, Any]) -> RunSelection:
        """Check ``run.selection`` (or ``run()``'s keyword arguments) and build the selection.

        Raises `SelectionError` (a usage error, exit status 2) with ``field``
        naming the first unknown key or badly typed value.
        """
        if not selection:
            return _EVERYTHING
        values: dict[str, Any] = {}
        for key, value in selection.items():
            name = ALIASES.get(key, key)
            spec = FIELDS.get(name)
            if spec is None:
                known = ", ".join(sorted(FIELDS))
                raise SelectionError(
                    f"unknown run selection {key!r}: the pipeline plugin understands {known}",
                    field=key,
                )
            if name in values:
                raise SelectionError(
                    f"{key!r} and {name!r} select the same thing: give one of them", field=key
                )
            values[name] = _CHECKS[spec["kind"]](key, value)
        return cls(**values)

    def to_mapping(self) -> dict[str, Any]:
        """The fields that differ from their defaults (what the run record keeps)."""
        return {
            name: getattr(self, name)
            for name in FIELDS
            if getattr(self, name) != getattr(_EVERYTHING, name)
        }

    def filters(self) -> dict[str, tuple[str, ...]]:
        """The node filters given, as `Pipeline.filter` keywords (empty: no filter)."""
        given = {
            "tags": self.tags,
            "from_nodes": self.from_nodes,
            "to_nodes": self.to_nodes,
            "node_names": self.node_names,
            "from_inputs": self.from_inputs,
            "to_outputs": self.to_outputs,
            "node_namespaces": self.namespaces,
        }
        return {name: value for name, value in given.items() if value}


#: The default selection (everything in ``__default__``, the default runner).
_EVERYTHING = RunSelection()


def run_options() -> list[Any]:
    """The ``drupe run`` flags, one per `RunSelection` field, built from its metadata.

    List flags take comma-separated values and may be repeated; the shell
    completes their values (`drupe_pipeline.completion`). Kedro's
    ``--config run.yml`` and a ``-p`` that names ``--pipeline`` follow
    (`drupe_pipeline.run_flags`).
    """
    import click

    from drupe.cli import split_names

    options: list[Any] = []
    for name, meta in FIELDS.items():
        decls = [*meta["flags"], name]
        kind = meta["kind"]
        common: dict[str, Any] = {"help": meta["help"]}
        if meta["complete"] is not None:
            common["shell_complete"] = _completer(meta["complete"])
        if kind == "names":
            option = click.Option(decls, multiple=True, callback=split_names, **common)
        elif kind == "versions":
            option = click.Option(decls, multiple=True, callback=_versions_callback, **common)
        elif kind == "options":
            option = click.Option(decls, multiple=True, callback=_options_callback, **common)
        elif kind == "flag":
            option = click.Option(decls, is_flag=True, **common)
        else:
            option = click.Option(decls, default=None, **common)
        options.append(option)
    from drupe_pipeline.run_flags import kedro_run_options

    return [*options, *kedro_run_options()]


def _completer(what: str) -> Any:
    """A ``shell_complete`` callback for ``what``, loading the completers when the shell asks."""

    def complete(ctx: Any, param: Any, incomplete: str) -> Any:
        from drupe_pipeline.completion import complete as complete_values

        return complete_values(what, ctx, param, incomplete)

    return complete


def _versions_callback(ctx: Any, param: Any, value: tuple[str, ...]) -> dict[str, str]:
    """``--load-versions dataset:version[,dataset:version]`` (repeatable) -> a dict."""
    import click

    from drupe.cli import split_names

    versions: dict[str, str] = {}
    for item in split_names(ctx, param, value):
        name, sep, version = item.partition(":")
        if not sep or not name.strip() or not version.strip():
            raise click.BadParameter(
                f"{item!r} is not dataset:version (e.g. --load-versions "
                f"model:2026-11-25T16.05.05.123456Z-3fa9c01b7e)",
                ctx,
                param,
            )
        versions[name.strip()] = version.strip()
    return versions


def _options_callback(ctx: Any, param: Any, values: tuple[str, ...]) -> dict[str, str]:
    """``--runner-option address=tcp://h:8786 --runner-option workers=2`` -> a dict."""
    import click

    options: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise click.BadParameter(
                f"{item!r} is not key=value (e.g. --runner-option workers=2)", ctx, param
            )
        options[name] = value.strip()
    return options


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__
