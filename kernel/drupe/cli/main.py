"""The ``drupe`` command group: global options, ``info``, ``run`` and plugin commands.

Plugin commands come from the ``cli_commands`` hook and are only looked up
when a command name is not a built-in one or when the help lists commands,
so ``drupe run`` imports plugins once, for its session.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from drupe import __version__
from drupe.cli.lazy import LazyCommand
from drupe.cli.logging_setup import configure_default_logging
from drupe.cli.options import params_callback
from drupe.cli.state import CliState, pass_state
from drupe.errors import DrupeError, PluginError


class DrupeClickError(click.ClickException):
    """A `DrupeError` shown as one line with the error's exit code."""

    def __init__(self, error: DrupeError) -> None:
        super().__init__(str(error))
        # click declares exit_code on the class; each error carries its own status.
        setattr(self, "exit_code", error.exit_code)  # noqa: B010


class DrupeGroup(click.Group):
    """A group that adds plugin commands lazily and prints `DrupeError`s as one line."""

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        cached: dict[str, click.Command] | None = ctx.meta.get("drupe.plugin_commands")
        if cached is None:
            cached = ctx.meta["drupe.plugin_commands"] = self._collect_plugin_commands(ctx)
        return cached

    def _collect_plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        """Every enabled plugin's commands; a plugin that fails is named, the others still work."""
        state = ctx.ensure_object(CliState)
        manager = state.plugin_manager()
        problems: list[str] = [str(error) for error in manager.broken.values()]
        try:
            contributions: list[Any] = manager.hook.cli_commands()
        except Exception:
            # One plugin failed: ask each on its own, so the others' commands stay usable.
            contributions = []
            for impl in reversed(manager.hook.cli_commands.get_hookimpls()):
                try:
                    contributions.append(impl.function())
                except Exception as exc:
                    problems.append(
                        f"plugin {impl.plugin_name!r} failed to list its commands: "
                        f"{type(exc).__name__}: {exc}; disable it with -p no:{impl.plugin_name}"
                    )
        found: dict[str, click.Command] = {}
        for contribution in contributions:
            for command in contribution or ():
                if not isinstance(command, click.Command) or not command.name:
                    problems.append(
                        f"a plugin's cli_commands returned {command!r}, which is not a named "
                        f"click command"
                    )
                elif command.name in self.commands or command.name in found:
                    problems.append(
                        f"two commands are named {command.name!r}; disable one of the plugins "
                        f"that add it with -p no:NAME"
                    )
                else:
                    found[command.name] = command
        if problems:
            ctx.meta["drupe.plugin_problems"] = problems
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(self.commands)
        try:
            names.update(self._plugin_commands(ctx))
        except DrupeError as exc:
            ctx.meta["drupe.plugin_problems"] = [str(exc)]
        return sorted(names)

    def _find(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is not None:
            return command
        return self._plugin_commands(ctx).get(cmd_name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self._find(ctx, cmd_name)
        return command.load() if isinstance(command, LazyCommand) else command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short helps come from the placeholders: listing imports no command module.
        rows = []
        for name in self.list_commands(ctx):
            command = self._find(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=formatter.width - 6 - 12)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
        problems = ctx.meta.get("drupe.plugin_problems")
        if problems:
            with formatter.section("Plugins that failed to load"):
                for problem in problems:
                    formatter.write_text(problem)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except DrupeError as exc:
            self._show_traceback(ctx)
            raise DrupeClickError(exc) from exc
        except Exception as exc:
            # Not one of ours: a bug in a plugin or in project code (a hook, a
            # node outside a run). Still one line; the traceback is a flag away.
            self._show_traceback(ctx)
            raise DrupeClickError(DrupeError(_unexpected(ctx, exc))) from exc

    @staticmethod
    def _show_traceback(ctx: click.Context) -> None:
        state = ctx.find_object(CliState)
        if state is not None and state.verbose:
            import traceback

            traceback.print_exc()


def _unexpected(ctx: click.Context, exc: Exception) -> str:
    """One line for an exception that is not drupe's own, naming the plugin when it can."""
    source = getattr(exc, "drupe_source", None)
    state = ctx.find_object(CliState)
    if source is None and state is not None and state._manager is not None:
        source = state._manager.hook_source(exc)
    if source is None:
        return (
            f"unexpected {type(exc).__name__}: {exc} (raised by a plugin or by project code; "
            f"run with --verbose for the traceback)"
        )
    return (
        f"unexpected {type(exc).__name__}: {exc} (raised by {source.describe()}; run with "
        f"--verbose for the traceback, or disable the plugin with -p no:{source.plugin})"
    )


class RunCommand(click.Command):
    """``drupe run``: the session's own flags, plus the selection flags of the enabled plugins.

    The executor plugin contributes the flags that select what runs through
    the ``run_options`` hook, so ``drupe run --help`` lists exactly the flags
    of what will execute (none with ``-p no:pipeline``).
    """

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        extra: list[click.Parameter] | None = ctx.meta.get("drupe.run_options")
        if extra is None:
            extra = ctx.meta["drupe.run_options"] = self._plugin_options(ctx)
        return [*params[:-1], *extra, params[-1]] if params else extra

    def _plugin_options(self, ctx: click.Context) -> list[click.Parameter]:
        state = ctx.find_object(CliState)
        if state is None:
            return []
        manager = state.plugin_manager()
        taken = {param.name for param in self.params}
        options: list[click.Parameter] = []
        try:
            contributions = manager.call("run_options")
        except Exception as exc:
            source = getattr(exc, "drupe_source", None)
            who = source.plugin if source else "a plugin"
            raise PluginError(
                f"{who} failed to contribute its drupe run options: {type(exc).__name__}: {exc}",
                plugin=source.plugin if source else None,
                hook="run_options",
            ) from exc
        for contribution in contributions:
            for option in contribution or ():
                if not isinstance(option, click.Parameter) or not option.name:
                    raise PluginError(f"run_options returned {option!r}, not a click option")
                if option.name in taken:
                    raise PluginError(
                        f"two drupe run options are named {option.name!r}: the kernel's "
                        f"session flags and each plugin's flags must differ",
                        field=option.name,
                        hook="run_options",
                    )
                taken.add(option.name)
                options.append(option)
        return options


def _values_from_plugins(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    """Shell completion of a kernel option whose values a plugin knows (``complete_option``)."""
    from drupe.cli.completion import complete_from_plugins

    return complete_from_plugins(ctx, param, incomplete)


def _given(ctx: click.Context, values: dict[str, Any]) -> dict[str, Any]:
    """The plugin flags the user gave (a flag left at its default is not passed on)."""
    from click.core import ParameterSource

    return {
        name: value
        for name, value in values.items()
        if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)
    }


# The global options are stored on the CliState by their callbacks, while click
# parses them: a plugin command is looked up (its plugin imported) before the
# group's own callback runs, and `-p no:NAME` must already apply to that lookup.
# They are eager so that `drupe -p no:x --help` applies them to the help too.


def _disable_option(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> list[str]:
    names: list[str] = []
    for item in value:
        if not item.startswith("no:") or not item[3:].strip():
            raise click.BadParameter(
                f"{item!r}: only `-p no:NAME` (disable a plugin) is supported; to choose "
                f"pipelines (Kedro's -p), write `drupe run --pipeline {item}`",
                ctx,
                param,
            )
        names.extend(n.strip() for n in item[3:].split(",") if n.strip())
    ctx.ensure_object(CliState).disable_plugins = names
    return names


def _project_option(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    ctx.ensure_object(CliState).project_path = value
    return value


def _verbose_option(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.ensure_object(CliState).verbose = value
    return value


def _quiet_option(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.ensure_object(CliState).quiet = value
    return value


@click.group(cls=DrupeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="drupe")
@click.option(
    "-p",
    "plugin_flags",
    multiple=True,
    metavar="no:NAME",
    callback=_disable_option,
    is_eager=True,
    expose_value=False,
    help="Disable a plugin by plugin or distribution name (repeatable).",
)
@click.option(
    "--project",
    "project_path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    callback=_project_option,
    is_eager=True,
    expose_value=False,
    help="The project folder (default: found from the current folder).",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    callback=_verbose_option,
    is_eager=True,
    expose_value=False,
    help="Show tracebacks and debug logs.",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    callback=_quiet_option,
    is_eager=True,
    expose_value=False,
    help="Show only warnings and errors in the logs.",
)
@pass_state
def cli(state: CliState) -> None:
    """drupe: create a session, load its context, run pipelines, keep the history."""
    configure_default_logging(state.verbose, state.quiet)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@pass_state
def info(state: CliState, /, as_json: bool) -> None:
    """Show drupe's version, the project found and every plugin."""
    manager = state.plugin_manager()
    start = (state.project_path or Path.cwd()).resolve()
    project = manager.hook.find_project(start=start)
    # Settings may register the project's own hooks or disable plugins: show those too.
    # Broken settings are reported, not fatal: info is what one runs to find out why.
    settings: Any = None
    settings_error: str | None = None
    try:
        settings = manager.hook.load_settings(project=project, plugin_manager=manager)
    except DrupeError as exc:
        settings_error = str(exc)
    manager.validate()
    from drupe.cli.providers import providers, store_location

    answers = providers(manager)
    store = store_location(manager, project, settings) if answers.get("open_store") else None
    plugins: list[dict[str, Any]] = [
        {
            "name": p.name,
            "distribution": p.distribution,
            "version": p.version,
            "source": p.source,
            "enabled": p.enabled,
            "disabled_by": p.disabled_by,
            "hooks": list(p.hooks),
        }
        for p in manager.plugin_infos()
    ]
    project_info = None
    if project is not None:
        project_info = {
            "package_name": project.package_name,
            "project_name": project.project_name,
            "root": str(project.root) if project.root else None,
        }
    if as_json:
        click.echo(
            json.dumps(
                {
                    "drupe": __version__,
                    "project": project_info,
                    "settings_error": settings_error,
                    "plugins": plugins,
                    "providers": answers,
                    "store": store,
                },
                indent=2,
            )
        )
        for error in manager.broken.values():
            raise error
        return
    click.echo(f"drupe {__version__} (Python {sys.version.split()[0]})")
    if project_info:
        click.echo(
            f"project: {project_info['project_name']} "
            f"(package {project_info['package_name']}) at {project_info['root']}"
        )
    else:
        click.echo(f"project: none found from {start}")
    if settings_error:
        click.echo(f"settings: NOT LOADED: {settings_error}")
    click.echo("plugins:")
    for p in plugins:
        origin = f"{p['distribution']} {p['version']}" if p["distribution"] else p["source"]
        if p["enabled"]:
            click.echo(f"  {p['name']:<12} {origin}  hooks: {', '.join(p['hooks']) or '-'}")
        else:
            click.echo(f"  {p['name']:<12} {origin}  disabled ({p['disabled_by']})")
    click.echo("provider hooks (the first plugin listed answers unless it passes):")
    for hook_name, names in answers.items():
        click.echo(f"  {hook_name:<21} {', '.join(names) or 'nobody'}")
    where = (store or {}).get("location")
    if store and store.get("error"):
        click.echo(f"session store: NOT OPENED: {store['error']}")
    elif store and where:
        empty = "; no sessions yet" if store.get("has_sessions") is False else ""
        click.echo(f"session store: {where} ({store['type']}{empty})")
    else:
        click.echo("session store: none (sessions are not recorded)")
    for error in manager.broken.values():
        raise error  # after the report: one line naming the plugin and how to disable it


@cli.command(cls=RunCommand)
@click.option(
    "--params",
    "runtime_params",
    multiple=True,
    callback=params_callback,
    help="Runtime parameters: key=value,nested.key=value (quote values with commas).",
)
@click.option(
    "--env",
    "-e",
    default=None,
    shell_complete=_values_from_plugins,
    help="Configuration environment.",
)
@click.option("--conf-source", default=None, help="Configuration folder or archive.")
@click.option("--run-id", default=None, help="Use this run id instead of a generated one.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's result as JSON.")
@pass_state
def run(
    state: CliState,
    /,
    runtime_params: dict[str, Any],
    env: str | None,
    conf_source: str | None,
    run_id: str | None,
    as_json: bool,
    **selection: Any,
) -> None:
    """Run pipelines in a new session, record it and summarise what it did.

    The flags that select what runs (pipelines, nodes, tags, runner...) come
    from the plugin that executes runs; see them below.
    """
    from drupe.cli.summary import run_with_summary

    run_with_summary(
        state,
        as_json=as_json,
        run_id=run_id,
        selection=_given(click.get_current_context(), selection),
        env=env,
        conf_source=conf_source,
        runtime_params=runtime_params,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``drupe`` console script."""
    cli.main(args=argv, prog_name="drupe")
