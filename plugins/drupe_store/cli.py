"""``drupe sessions``: list, show and rerun recorded sessions."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import click

import drupe
from drupe.cli import CliState, merge_params, params_callback, pass_state
from drupe_store.masking import masked_paths
from drupe_store.records import STATUSES, recorded_conf_source

STATUS_COLOURS = {"open": "cyan", "closed": "green", "failed": "red", "interrupted": "yellow"}
RUN_COLOURS = {"running": "cyan", "succeeded": "green", "failed": "red", "interrupted": "yellow"}


def _history(state: CliState) -> Any:
    from drupe_store.history import history_for

    start = (state.project_path or Path.cwd()).resolve()
    return history_for(state.plugin_manager(), start)


def complete_session_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    """Shell completion: ``latest``, ``last`` and the recorded session ids, newest first."""
    from click.shell_completion import CompletionItem

    state = ctx.find_root().find_object(CliState) or CliState()
    try:
        with _history(state) as history:
            records = history.list_sessions(limit=100)
    except Exception:  # completion never prints an error
        records = []
    ids = ["latest", "last", *(str(r["session_id"]) for r in records)]
    return [CompletionItem(i) for i in ids if i.startswith(incomplete)]


@click.group("sessions")
def sessions() -> None:
    """Query the recorded history of sessions and runs (drupe_store)."""


@sessions.command("list")
@click.option(
    "--limit",
    "-n",
    default=20,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many sessions to show (0: all).",
)
@click.option(
    "--status", type=click.Choice(STATUSES), default=None, help="Only sessions with this status."
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@pass_state
def list_command(state: CliState, /, limit: int, status: str | None, as_json: bool) -> None:
    """List sessions, newest first."""
    with _history(state) as history:
        if as_json:
            _echo_json_list(history.iter_session_texts(limit=limit, status=status))
            return
        rows = map(_cells, history.iter_session_rows(limit=limit, status=status))
        first = list(itertools.islice(rows, TABLE_CHUNK))
        if not first:
            click.echo(f"no sessions with status {status}" if status else "no sessions yet")
            return
        widths = _widths(first)
        out = sys.stdout  # a chunk of rows per write, not one echo per row
        out.write(_table(first, widths) + "\n")
        while chunk := list(itertools.islice(rows, TABLE_CHUNK)):
            out.write(_table(chunk, widths, header=False) + "\n")
        out.flush()


#: Rows formatted at a time: a long listing streams in chunks, columns sized by the first.
TABLE_CHUNK = 500


def _echo_json_list(texts: Iterator[str]) -> None:
    """A JSON array written a chunk of records (one line each) at a time: memory stays flat."""
    out = sys.stdout
    opened = False
    while chunk := list(itertools.islice(texts, TABLE_CHUNK)):
        out.write(("[\n" if not opened else ",\n") + ",\n".join(chunk))
        opened = True
    out.write("\n]\n" if opened else "[]\n")
    out.flush()


@sessions.command("show")
@click.argument("session_id", required=False, default="latest", shell_complete=complete_session_ids)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@pass_state
def show_command(state: CliState, /, session_id: str, as_json: bool) -> None:
    """Show everything recorded about one session, or about one run.

    SESSION_ID is an id, a unique prefix of it or of its random tail, or
    "latest" (alias "last", the default); or the exact id of a run (as
    `drupe serve` returns it).
    """
    run: Mapping[str, Any] | None = None
    with _history(state) as history:
        try:
            record = history.get_session(session_id)
        except drupe.StoreError:
            run = history.find_run(session_id)
            if run is None:
                raise
    if run is not None:
        click.echo(json.dumps(run, indent=2, default=str) if as_json else _run_details(run))
        return
    if as_json:
        click.echo(json.dumps(record, indent=2, default=str))
        return
    click.echo(_details(record))


@sessions.command("rerun")
@click.argument("session_id", shell_complete=complete_session_ids)
@click.option(
    "--run",
    "run_id",
    default=None,
    help="Which run to repeat when the session had several (a service session).",
)
@click.option(
    "--params",
    "runtime_params",
    multiple=True,
    callback=params_callback,
    help="Runtime parameters to change (key=value,...); needed for masked ones.",
)
@pass_state
def rerun_command(
    state: CliState, /, session_id: str, run_id: str | None, runtime_params: dict[str, Any]
) -> None:
    """Run a recorded session again: same env, conf_source, runtime params and selection.

    SESSION_ID is as for `drupe sessions show`. Warns when the code's git
    commit differs from the one the session ran at.
    """
    from drupe_store.gitinfo import git_info

    with _history(state) as history:
        record = history.get_session(session_id)
    run = _pick_run(record, run_id)
    request = run["request"]
    params = dict(run.get("runtime_params") or record.get("runtime_params") or {})
    merge_params(params, runtime_params)
    _refuse_masked(str(record["session_id"]), params)
    recorded = Path(str(record.get("project_path") or "."))
    project_path = state.project_path or (recorded if recorded.is_dir() else Path.cwd())
    _warn_about_code(record.get("git"), git_info(project_path.resolve()))
    from drupe.cli.summary import run_with_summary

    click.echo(f"drupe: rerunning session {record['session_id']}", err=True)
    run_with_summary(
        state,
        as_json=False,
        run_id=None,
        selection=recorded_selection(request),
        plugins=[RerunOf(str(record["session_id"]))],
        project_path=project_path,
        env=record.get("env"),
        conf_source=recorded_conf_source(record),
        runtime_params=params,
    )


def _refuse_masked(session_id: str, params: Mapping[str, Any]) -> None:
    """A rerun never replays ``***`` as a value: name each masked key and how to give it."""
    paths = masked_paths(params)
    if not paths:
        return
    names = ", ".join(".".join(map(str, p)) for p in paths)
    in_list = sorted({str(p[0]) for p in paths if any(isinstance(k, int) for k in p)})
    how = (
        f"pass their values again, e.g. --params {'.'.join(map(str, paths[0]))}=..."
        if not in_list
        else f"they sit inside a list ({', '.join(in_list)}), which --params cannot rebuild: "
        f"run `drupe run` again giving the whole value (e.g. from a parameters file)"
    )
    raise drupe.UsageError(
        f"session {session_id} had masked runtime params ({names}), recorded as '***' and "
        f"never replayed: {how}"
    )


def recorded_selection(request: Mapping[str, Any]) -> dict[str, Any]:
    """The selection a run was recorded with, to pass back to ``run()`` unchanged.

    The executor plugin that runs the rerun checks it again, as for any run.
    Records written before the selection had its own field kept it at the
    top level of the request: everything there but the ids and the params.
    """
    selection = request.get("selection")
    if isinstance(selection, Mapping):
        return dict(selection)
    ids = {"run_id", "session_id", "runtime_params"}
    return {key: value for key, value in request.items() if key not in ids and value}


class RerunOf:
    """Marks the new session as a rerun (recorded as ``rerun_of``)."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id

    @drupe.hookimpl
    def before_session_create(self, spec: drupe.SessionSpec) -> None:
        spec.metadata["rerun_of"] = self.session_id


def _pick_run(record: Mapping[str, Any], run_id: str | None) -> Mapping[str, Any]:
    runs: Sequence[Mapping[str, Any]] = record.get("runs") or []
    if run_id is not None:
        chosen = [r for r in runs if str(r["run_id"]).startswith(run_id)]
        if len(chosen) != 1:
            raise drupe.UsageError(
                f"--run {run_id!r} matches {len(chosen)} runs of session {record['session_id']}"
                f" (runs: {', '.join(str(r['run_id']) for r in runs) or 'none'})"
            )
        return chosen[0]
    if len(runs) == 1:
        return runs[0]
    if not runs:
        raise drupe.UsageError(
            f"session {record['session_id']} recorded no run, so there is nothing to rerun"
        )
    raise drupe.UsageError(
        f"session {record['session_id']} has {len(runs)} runs: choose one with --run RUN_ID "
        f"(see `drupe sessions show {record['session_id']}`)"
    )


def _warn_about_code(before: Mapping[str, Any] | None, now: Mapping[str, Any] | None) -> None:
    if not before or not before.get("commit"):
        return
    current = (now or {}).get("commit")
    if current != before["commit"]:
        click.echo(
            f"drupe: warning: the session ran at git commit {before['commit'][:12]}, the code is "
            f"now at {str(current)[:12] if current else 'no commit'}; results may differ",
            err=True,
        )
    if before.get("dirty"):
        click.echo(
            "drupe: warning: the session ran with uncommitted changes; results may differ",
            err=True,
        )


# -- formatting ---------------------------------------------------------------


def _when(value: str | None) -> str:
    from drupe_store.history import local_time

    return local_time(value) or "-"


def _duration(value: Any) -> str:
    if value is None:
        return "-"
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return "?"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)}m{int(seconds):02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)}h{int(minutes):02d}m"


def _commit(commit: Any, dirty: Any) -> str:
    if not commit:
        return "-"
    return str(commit)[:8] + ("*" if dirty else "")


HEADER = ("ID", "STATUS", "KIND", "CREATED", "DURATION", "RUNS", "RUN TIME", "ENV", "COMMIT")


def _cells(row: tuple[Any, ...]) -> tuple[str, ...]:
    """The text of each column of a summary row (`drupe_store.history.summary_row`)."""
    session_id, status, kind, created, duration, runs, run_time, env, commit, dirty = row
    return (
        str(session_id),
        str(status),
        str(kind or "-"),
        created or "-",
        _duration(duration),
        str(runs),
        _duration(run_time),
        str(env or "-"),
        _commit(commit, dirty),
    )


def _widths(rows: Sequence[tuple[str, ...]]) -> list[int]:
    return [max(len(row[i]) for row in (HEADER, *rows)) for i in range(len(HEADER))]


def _table(rows: Sequence[tuple[str, ...]], widths: Sequence[int], *, header: bool = True) -> str:
    """Rows padded to ``widths`` (sized by the first chunk: a longer cell widens its row only)."""
    lines = []
    if header:
        lines.append("  ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)).rstrip())
    if sys.stdout.isatty():
        for row in rows:
            cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=True)]
            cells[1] = click.style(cells[1], fg=STATUS_COLOURS.get(row[1]))
            lines.append("  ".join(cells).rstrip())
    else:  # one format call per row: what a long listing into a pipe or file costs
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        lines.extend(line.format(*row).rstrip() for row in rows)
    return "\n".join(lines)


def _command_line(cli: Mapping[str, Any] | None) -> str:
    if not cli:
        return "-"
    program = str(cli.get("command") or "drupe").split(" ")[0]
    return " ".join([program, *map(str, cli.get("args") or ())])


def _details(record: Mapping[str, Any]) -> str:
    git = record.get("git")
    cli = record.get("cli")
    plugins = ", ".join(
        f"{p['name']} {p.get('version') or ''}".strip() for p in record.get("plugins") or ()
    )
    lines = [
        f"session      {record['session_id']}",
        f"status       {record.get('status')}",
        f"kind         {record.get('kind')}",
        f"created      {_when(record.get('created_at'))}",
        f"closed       {_when(record.get('closed_at'))}",
        f"duration     {_duration(record.get('duration_s'))}",
        f"project      {record.get('project_path')} (package {record.get('package_name')})",
        f"env          {record.get('env') or '-'}",
        f"conf_source  {record.get('conf_source') or '-'}",
        f"params       {json.dumps(record.get('runtime_params') or {})}",
        f"user         {record.get('username')}@{record.get('hostname')} (pid {record.get('pid')})",
        f"versions     Python {record.get('python_version')}, drupe {record.get('drupe_version')}",
        f"plugins      {plugins or '-'}",
        "git          "
        + (
            f"{git.get('commit') or 'no commit'} on {git.get('branch') or 'detached HEAD'}"
            f"{', dirty' if git.get('dirty') else ''}"
            if git
            else "not a git repository"
        ),
        f"command      {_command_line(cli)}",
    ]
    if record.get("rerun_of"):
        lines.append(f"rerun of     {record['rerun_of']}")
    error = record.get("error")
    if error:
        lines.append(f"error        {error['type']}: {error['message']}")
    runs = record.get("runs") or []
    lines.append(f"runs         {len(runs)}")
    for run in runs:
        lines += _run_lines(run)
    if error and error.get("traceback"):
        lines += ["", error["traceback"].rstrip()]
    return "\n".join(lines)


def _selection(run: Mapping[str, Any]) -> dict[str, Any]:
    """What a run's request chose, without its ids and params (shown on their own)."""
    request = recorded_selection(run.get("request") or {})
    hidden = ("run_id", "session_id", "runtime_params")
    return {k: v for k, v in request.items() if v and k not in hidden}


def _run_lines(run: Mapping[str, Any]) -> list[str]:
    selection = _selection(run)
    lines = [
        f"  run {run['run_id']}  {run.get('status')}  {_duration(run.get('duration_s'))}",
        f"    request  {json.dumps(selection) if selection else 'everything (defaults)'}",
        f"    params   {json.dumps(run.get('runtime_params') or {})}",
        f"    outputs  {', '.join(run.get('outputs') or ()) or '-'}",
    ]
    if run.get("error"):
        lines.append(f"    error    {run['error']['type']}: {run['error']['message']}")
    return lines


def _run_details(run: Mapping[str, Any]) -> str:
    """One run (``drupe sessions show RUN_ID``): its session, times, request and outcome."""
    selection = _selection(run)
    lines = [
        f"run          {run['run_id']}",
        f"session      {run.get('session_id')}",
        f"status       {run.get('status')}",
        f"started      {_when(run.get('started_at'))}",
        f"finished     {_when(run.get('finished_at'))}",
        f"duration     {_duration(run.get('duration_s'))}",
        f"request      {json.dumps(selection) if selection else 'everything (defaults)'}",
        f"params       {json.dumps(run.get('runtime_params') or {})}",
        f"outputs      {', '.join(run.get('outputs') or ()) or '-'}",
    ]
    error = run.get("error")
    if error:
        lines.append(f"error        {error['type']}: {error['message']}")
        if error.get("traceback"):
            lines += ["", error["traceback"].rstrip()]
    return "\n".join(lines)
