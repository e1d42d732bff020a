"""The line magics: ``%reload_drupe``, ``%run_drupe`` and ``%load_node``.

Their flags are parsed by click exactly as the ``drupe`` command parses
them (``%run_drupe`` reuses the ``drupe run`` command's own options), and
every failure is one line in the cell, ``drupe: error: ...``, never a
traceback wall: a missing project, a broken ``settings.py``, a bad flag or a
failing node alike.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from IPython.core.magic import Magics, line_magic, magics_class

import drupe
from drupe.cli import merge_params, params_callback
from drupe_ipython.node_cell import find_node, node_cell
from drupe_ipython.notebook import DrupeNotebook, NotebookOptions
from drupe_ipython.progress import ProgressView, RunProgress, best_view

#: The options of ``%reload_drupe`` (the project folder is an argument).
RELOAD_COMMAND = click.Command(
    "%reload_drupe",
    params=[
        click.Argument(["path"], required=False, type=click.Path(file_okay=False, path_type=Path)),
        click.Option(["--env", "-e"], default=None, help="Configuration environment."),
        click.Option(
            ["--params", "runtime_params"],
            multiple=True,
            callback=params_callback,
            help="Runtime parameters: key=value,nested.key=value.",
        ),
        click.Option(["--conf-source"], default=None, help="Configuration folder or archive."),
    ],
    help="Close the notebook's drupe session and load the project again.",
)


#: The options of ``drupe run`` that belong to the session, not to the selection.
SESSION_OPTIONS = ("runtime_params", "env", "conf_source", "run_id", "as_json")


def parse_run(line: str, project_path: Path | None) -> dict[str, Any] | None:
    """``%run_drupe``'s options, parsed by the ``drupe run`` command itself.

    The command may take flags contributed by plugins, which it asks the
    CLI state's plugin manager for: the state gets the notebook's project.
    Selection flags left at their defaults are dropped, as ``drupe run`` does.
    """
    from click.core import ParameterSource

    from drupe.cli import CliState
    from drupe.cli.main import cli

    state = CliState()
    state.project_path = project_path
    parent = click.Context(cli, info_name="drupe", obj=state)
    command = cli.commands["run"]
    parsed = parse(command, "%run_drupe", line, parent=parent)
    if parsed is None:
        return None
    options, sources = parsed
    return {
        name: value
        for name, value in options.items()
        if name in SESSION_OPTIONS or sources.get(name) not in (None, ParameterSource.DEFAULT)
    }


def parse(
    command: click.Command, name: str, line: str, *, parent: click.Context | None = None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The options ``line`` gives ``command`` and where each came from (``None`` after --help)."""
    try:
        args = shlex.split(line)
    except ValueError as exc:
        raise drupe.UsageError(f"{name}: {exc} (check the quotes)") from exc
    try:
        with command.make_context(name, args, parent=parent) as ctx:
            sources = {key: ctx.get_parameter_source(key) for key in ctx.params}
            return dict(ctx.params), sources
    except click.exceptions.Exit:
        return None
    except click.ClickException as exc:
        raise drupe.UsageError(f"{name}: {exc.format_message()}") from exc


def one_line(error: BaseException) -> str:
    """The message shown in the cell for ``error``."""
    if isinstance(error, drupe.DrupeError):
        return str(error)
    return f"{type(error).__name__}: {error}"


@contextmanager
def errors_as_one_line(hint: str = "", *, label: str = "error: ") -> Iterator[None]:
    """Show any exception of the block as one line on stderr instead of a traceback.

    ``hint`` is added to project errors (no project found, a bad path).
    """
    try:
        yield
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        extra = hint if isinstance(exc, drupe.ProjectError) else ""
        print(f"drupe: {label}{one_line(exc)}{extra}", file=sys.stderr)


@magics_class
class DrupeMagics(Magics):
    """The magics of one shell, with that shell's `DrupeNotebook`."""

    def __init__(self, shell: Any, notebook: DrupeNotebook) -> None:
        super().__init__(shell)
        self.notebook = notebook
        self.view_factory: Callable[[], ProgressView] = best_view
        self.last_progress: RunProgress | None = None
        self.last_report: Any = None

    @line_magic
    def reload_drupe(self, line: str = "") -> None:
        """%reload_drupe [PATH] [--env ENV] [--params k=v,...] [--conf-source SRC]"""
        self.load_project(line)

    def load_project(self, line: str, *, label: str = "error: ") -> None:
        """What ``%reload_drupe LINE`` does (also called by ``%load_ext``)."""
        with errors_as_one_line(_reload_hint(self.notebook), label=label):
            parsed = parse(RELOAD_COMMAND, "%reload_drupe", line)
            if parsed is None:
                return
            options = parsed[0]
            self.notebook.reload(
                NotebookOptions(
                    project_path=options["path"],
                    env=options["env"],
                    runtime_params=options["runtime_params"],
                    conf_source=options["conf_source"],
                )
            )
            print(self.notebook.describe())
            for note in self.notebook.notes:
                print(f"drupe: {note}", file=sys.stderr)

    @line_magic
    def run_drupe(self, line: str = "") -> Any:
        """%run_drupe [drupe run flags]: run in a new session of the notebook's project."""
        with errors_as_one_line():
            project = self.notebook.project
            options = parse_run(line, project.root if project is not None else None)
            if options is None:
                return None
            return self._run(options)
        return None

    def _run(self, options: dict[str, Any]) -> Any:
        from drupe.cli.summary import RunWatch, summarise_run

        notebook = self.notebook
        notebook.require_session()
        base = notebook.options
        params = dict(base.runtime_params)
        merge_params(params, options.pop("runtime_params"))
        env = options.pop("env") or base.env
        conf_source = options.pop("conf_source") or base.conf_source
        run_id = options.pop("run_id")
        as_json = options.pop("as_json")
        progress = RunProgress(self.view_factory(), _node_count(notebook, options))
        self.last_progress = progress
        watch = RunWatch()
        project = notebook.project
        project_path = project.root if project is not None else base.project_path
        report = None
        try:
            with drupe.Session.create(
                project_path=project_path,
                env=env,
                conf_source=conf_source,
                runtime_params=params,
                plugins=[watch, progress],
            ) as session:
                try:
                    outputs = session.run(run_id=run_id, **options)
                except Exception as exc:
                    report = summarise_run(session, watch, outputs={}, error=exc)
                    raise  # the session records the run's own exception
                report = summarise_run(session, watch, outputs=outputs, error=None)
        except Exception as exc:
            if report is None or report.status == "succeeded":
                raise
            self.last_report = report
            raise drupe.RunError(_failure_line(report)) from exc
        self.last_report = report
        if as_json:
            return report.to_dict()
        for text in report.text_lines():
            print(click.unstyle(text))
        return outputs

    @line_magic
    def load_node(self, line: str = "") -> None:
        """%load_node NODE: the node's inputs, function and a call to it, in the next cell."""
        with errors_as_one_line():
            name = line.strip()
            if not name:
                raise drupe.UsageError("%load_node needs a node name, e.g. %load_node shout")
            self.notebook.require_session()
            if self.notebook.catalog is None:
                raise drupe.UsageError(
                    "%load_node needs the catalog, which is unavailable: "
                    + ("; ".join(self.notebook.notes) or "see %reload_drupe")
                )
            node = find_node(self.notebook.pipelines, name)
            shell = self.shell
            assert shell is not None
            shell.set_next_input(node_cell(node), replace=False)


def _node_count(notebook: DrupeNotebook, options: dict[str, Any]) -> int:
    """How many nodes the selected pipelines hold (a selection may run fewer)."""
    names = options.get("pipeline_names") or ("__default__",)
    pipelines = notebook.pipelines or {}
    nodes: set[str] = set()
    for name in names:
        for node in getattr(pipelines.get(name), "nodes", ()):
            nodes.add(node.name)
    return len(nodes)


def _failure_line(report: Any) -> str:
    parts = [report.error or "the run failed"]
    if report.location is not None:
        parts.append(f"raised at {report.location}")
    if report.history_command:
        parts.append(f"traceback: !{report.history_command}")
    return "; ".join(parts)


def _reload_hint(notebook: DrupeNotebook) -> str:
    if notebook.session is None:
        return "; load one with %reload_drupe PATH"
    return ""


def load(ipython: Any) -> None:
    """Register the magics on ``ipython`` and load the project from the working folder."""
    magics = DrupeMagics(ipython, DrupeNotebook(ipython.push))
    ipython.register_magics(magics)
    # Loading the extension worked even when no project is found from here: a note.
    magics.load_project("", label="")


def unload(ipython: Any) -> None:
    """Close the notebook's session (the magics stay until the shell ends)."""
    magics = ipython.magics_manager.registry.get("DrupeMagics")
    if magics is not None:
        magics.notebook.unload()
