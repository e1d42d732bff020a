"""The ``drupe`` command group: global options, ``info``, ``run`` and plugin commands.

Plugin commands come from the ``cli_commands`` hook and are only looked up
when a command name is not a built-in one or when the help lists commands,
so ``drupe run`` imports plugins once, for its session.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from drupe import __version__
from drupe.cli.lazy import LazyCommand
from drupe.cli.options import list_option, load_versions_callback, params_callback
from drupe.cli.state import CliState, pass_state
from drupe.errors import DrupeError, PluginError

if TYPE_CHECKING:
    from drupe.session import Session


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
        state = ctx.ensure_object(CliState)
        manager = state.plugin_manager()
        found: dict[str, click.Command] = {}
        for impl in reversed(manager.hook.cli_commands.get_hookimpls()):
            try:
                contribution: Any = impl.function()
            except Exception as exc:
                raise PluginError(
                    f"plugin {impl.plugin_name!r} failed to list its commands: "
                    f"{type(exc).__name__}: {exc}; disable it with -p no:{impl.plugin_name}"
                ) from exc
            for command in contribution or ():
                if not isinstance(command, click.Command) or not command.name:
                    raise PluginError(
                        f"a plugin's cli_commands returned {command!r}, which is not a named "
                        f"click command"
                    )
                if command.name in self.commands or command.name in found:
                    raise PluginError(
                        f"two commands are named {command.name!r}; disable one of the plugins "
                        f"that add it with -p no:NAME"
                    )
                found[command.name] = command
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(self.commands)
        try:
            names.update(self._plugin_commands(ctx))
        except DrupeError as exc:
            ctx.meta["drupe.plugin_error"] = exc
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
        error = ctx.meta.get("drupe.plugin_error")
        if error is not None:
            with formatter.section("Plugin commands unavailable"):
                formatter.write_text(str(error))

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
            error = DrupeError(
                f"unexpected {type(exc).__name__}: {exc} (raised by a plugin or by project "
                f"code; run with --verbose for the traceback)"
            )
            raise DrupeClickError(error) from exc

    @staticmethod
    def _show_traceback(ctx: click.Context) -> None:
        state = ctx.find_object(CliState)
        if state is not None and state.verbose:
            import traceback

            traceback.print_exc()


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
                f"{item!r}: only `-p no:NAME` (disable a plugin) is supported", ctx, param
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
@pass_state
def cli(state: CliState) -> None:
    """drupe: create a session, load its context, run pipelines, keep the history."""
    _configure_logging(state.verbose)


def _configure_logging(verbose: bool) -> None:
    import logging

    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("drupe").setLevel(logging.DEBUG if verbose else logging.INFO)


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
    settings_error: str | None = None
    try:
        manager.hook.load_settings(project=project, plugin_manager=manager)
    except DrupeError as exc:
        settings_error = str(exc)
    manager.validate()
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
                },
                indent=2,
            )
        )
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


@cli.command()
@list_option(
    "--pipelines", "--pipeline", "pipeline_names", help="Pipelines to run (default: __default__)."
)
@list_option("--tags", "-t", "tags", help="Run only nodes with any of these tags.")
@list_option("--nodes", "-n", "node_names", help="Run only these nodes.")
@list_option("--from-nodes", "from_nodes", help="Run from these nodes downstream.")
@list_option("--to-nodes", "to_nodes", help="Run up to these nodes.")
@list_option("--from-inputs", "from_inputs", help="Run from the nodes that consume these datasets.")
@list_option("--to-outputs", "to_outputs", help="Run up to the nodes that produce these datasets.")
@list_option(
    "--namespaces", "--namespace", "namespaces", help="Run only nodes in these namespaces."
)
@click.option(
    "--load-versions",
    "load_versions",
    multiple=True,
    callback=load_versions_callback,
    help="dataset:version to load a specific version (comma-separated, repeatable).",
)
@click.option("--runner", "-r", default=None, help="sequential, thread, parallel or a dotted path.")
@click.option(
    "--params",
    "runtime_params",
    multiple=True,
    callback=params_callback,
    help="Runtime parameters: key=value,nested.key=value (quote values with commas).",
)
@click.option("--env", "-e", default=None, help="Configuration environment.")
@click.option("--conf-source", default=None, help="Configuration folder or archive.")
@click.option("--only-missing-outputs", is_flag=True, help="Skip nodes whose outputs exist.")
@click.option("--run-id", default=None, help="Use this run id instead of a generated one.")
@pass_state
def run(
    state: CliState,
    /,
    runtime_params: dict[str, Any],
    env: str | None,
    conf_source: str | None,
    run_id: str | None,
    **selection: Any,
) -> None:
    """Run pipelines in a new session and record it."""
    started = time.perf_counter()
    session: Session
    with state.create_session(
        env=env, conf_source=conf_source, runtime_params=runtime_params
    ) as session:
        outputs: dict[str, Any] = session.run(run_id=run_id, **selection)
    elapsed = time.perf_counter() - started
    names = ", ".join(sorted(outputs)) if outputs else "none"
    click.echo(
        f"drupe: session {session.session_id} finished in {elapsed:.2f} s; free outputs: {names}",
        err=True,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``drupe`` console script."""
    cli.main(args=argv, prog_name="drupe")
