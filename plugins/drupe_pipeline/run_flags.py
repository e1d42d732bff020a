"""Kedro's ``run`` flags that a user types from habit, for ``drupe run``.

* ``--config run.yml``: the run options from a YAML file (top-level key
  ``run``, Kedro's format; Kedro's option names are understood, e.g.
  ``pipeline``, ``node_names``); flags given on the command line win. The
  file's values become the command's defaults (click's ``default_map``),
  which is why this option is eager: it is read before any other.
* ``-p``: drupe's global plugin switch (``drupe -p no:NAME run``), not
  Kedro's ``--pipeline`` short form; ``drupe run -p x`` says so and names
  the long flag, instead of a bare "no such option".

``--async`` is a field of `drupe_pipeline.selection.RunSelection` (it
reaches the runner); ``--runner ParallelRunner`` (class names),
``-n/--nodes``, ``-t/--tags`` and ``-e/--env`` are drupe's own flags.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

#: Kedro's names for run options (in ``run.yml``) that are no flag of ``drupe run``;
#: a key may also be any flag's long name (``pipeline``, ``nodes``, ``params``,
#: ``async``) or its parameter name (``pipeline_names``, ``runtime_params``).
KEDRO_NAMES: Mapping[str, str] = {
    "pipeline_name": "pipeline_names",
    "nodes_names": "node_names",
    "tag": "tags",
    "is_async": "async_io",
    "load_version": "load_versions",
}

_MAX_CONFIG_BYTES = 1_000_000


def config_option() -> click.Option:
    return click.Option(
        ["--config", "run_config"],
        type=click.Path(dir_okay=False, path_type=Path),
        is_eager=True,
        expose_value=False,
        callback=_apply_config,
        help="A YAML file of run options under a top-level 'run' key (Kedro's format); "
        "flags on the command line override it.",
    )


def plugin_switch_guard() -> click.Option:
    return click.Option(
        ["-p", "pipeline_short_flag"],
        hidden=True,
        expose_value=False,
        callback=_refuse_short_pipeline,
    )


def kedro_run_options() -> list[click.Option]:
    """The options above, added to the pipeline plugin's ``drupe run`` flags."""
    return [config_option(), plugin_switch_guard()]


def _refuse_short_pipeline(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is None:
        return
    raise click.UsageError(
        f"-p is drupe's plugin switch (drupe -p no:NAME run), not Kedro's short --pipeline: "
        f"write --pipeline {value}",
        ctx,
    )


def _apply_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is None:
        return
    options = _read_run_options(value, ctx, param)
    by_name: dict[str, click.Parameter] = {}
    for option in ctx.command.get_params(ctx):
        if not option.name or not option.expose_value or option.name == "help":
            continue
        by_name[option.name] = option
        for flag in option.opts:
            if flag.startswith("--"):
                by_name.setdefault(flag[2:].replace("-", "_"), option)
    defaults: dict[str, Any] = {}
    for key, raw in options.items():
        name = str(key).replace("-", "_")
        target = by_name.get(KEDRO_NAMES.get(name, name))
        if target is None or target.name is None:
            known = sorted(
                flag[2:] for p in set(by_name.values()) for flag in p.opts if flag.startswith("--")
            )
            raise click.BadParameter(
                f"{value}: run.{key} is not a drupe run option; the options are: "
                f"{', '.join(known)}",
                ctx,
                param,
            )
        defaults[target.name] = _as_default(target, raw, f"{value}: run.{key}", ctx, param)
    ctx.default_map = {**(ctx.default_map or {}), **defaults}


def _read_run_options(path: Path, ctx: click.Context, param: click.Parameter) -> dict[str, Any]:
    import yaml

    try:
        if path.stat().st_size > _MAX_CONFIG_BYTES:
            raise click.BadParameter(f"{path} is larger than 1 MB: not a run options file")
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}", ctx, param) from None
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise click.BadParameter(f"{path} is not a YAML file: {problem}", ctx, param) from None
    run = data.get("run") if isinstance(data, dict) else None
    if not isinstance(run, dict):
        raise click.BadParameter(
            f"{path} must hold a mapping under a top-level 'run' key, e.g. "
            "'run:\\n  pipeline: data_science\\n  tags: [training]'",
            ctx,
            param,
        )
    return run


def _as_default(
    option: click.Parameter, raw: Any, where: str, ctx: click.Context, param: click.Parameter
) -> Any:
    """The YAML value as the command line would have given it, for click to convert."""
    if isinstance(option, click.Option) and option.is_flag:
        if not isinstance(raw, bool):
            raise click.BadParameter(f"{where} must be true or false, got {raw!r}", ctx, param)
        return raw
    if isinstance(raw, Mapping):
        items = []
        for key, leaf in _leaves(raw):
            if isinstance(leaf, (Mapping, list)) or "," in str(leaf):
                raise click.BadParameter(
                    f'{where}: write {key} as a string, e.g. "{key}=..."', ctx, param
                )
            items.append(f"{key}={'null' if leaf is None else _scalar_text(leaf)}")
        values: list[str] = [",".join(items)] if items else []
    elif isinstance(raw, list):
        values = [_scalar_text(item) for item in raw]
    elif raw is None:
        values = []
    else:
        values = [_scalar_text(raw)]
    if option.multiple:
        return values
    if len(values) > 1:
        return ",".join(values)
    return values[0] if values else None


def _leaves(tree: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.extend(_leaves(value, dotted + "."))
        else:
            out.append((dotted, value))
    return out


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
