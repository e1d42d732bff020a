"""What ``drupe run`` tells the user once the run is over.

On success: what the plugins report through the ``run_summary`` hook (the
pipeline plugin: the datasets saved, with path and version; the kernel only
prints the entries), the free outputs' values (short reprs) and the run's
duration. On failure: the error, the file and line of the user's code that
raised, and the exact ``drupe sessions show ID`` command for the traceback.

The duration is measured once: the store's record of the run when the
session has a store (so ``drupe sessions list`` shows the same figure), else
the time between the ``before_run`` and ``after_run`` hooks. ``--json``
prints all of it as one JSON document on stdout; the text goes to stderr,
styled on a terminal and plain when piped.
"""

from __future__ import annotations

import json
import reprlib
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from drupe.errors import DrupeError
from drupe.markers import hookimpl

if TYPE_CHECKING:
    from drupe.cli.state import CliState
    from drupe.run_request import RunRequest
    from drupe.session import AbstractSession, Session

#: Longest repr of a free output shown in the text summary.
REPR_LIMIT = 80

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = _short.maxtuple = _short.maxset = _short.maxdict = 6


def short_repr(value: Any, limit: int = REPR_LIMIT) -> str:
    """A one-line repr of ``value``, at most ``limit`` characters."""
    try:
        text = _short.repr(value)
    except Exception as exc:  # a broken __repr__ must not hide the run's result
        text = f"<{type(value).__name__}: repr failed: {type(exc).__name__}>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RunWatch:
    """A plugin for one ``drupe run``: keeps the `RunRequest` and times the run."""

    def __init__(self) -> None:
        self.run: RunRequest | None = None
        self._started: float | None = None
        self.elapsed: float | None = None

    @hookimpl
    def before_run(self, run: RunRequest) -> None:
        self.run = run
        self._started = time.perf_counter()

    @hookimpl
    def after_run(self) -> None:
        self._stop()

    @hookimpl
    def on_run_error(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._started is not None and self.elapsed is None:
            self.elapsed = time.perf_counter() - self._started


class ErrorLocation(NamedTuple):
    """Where in the user's code an exception was raised."""

    path: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} in {self.function}"


def error_location(error: BaseException, project_root: Path | None) -> ErrorLocation | None:
    """The innermost frame of ``error`` (or what caused it) in the project's own files.

    Without a project root, the innermost frame outside drupe and the Python
    installation. Paths inside the project are shown relative to it.
    """
    import traceback  # error path only

    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for exc in reversed(chain):  # the original exception first
        frames = traceback.extract_tb(exc.__traceback__)
        for frame in reversed(frames):
            shown = _user_path(Path(frame.filename), project_root)
            if shown is not None:
                return ErrorLocation(shown, frame.lineno or 0, frame.name)
    return None


def _user_path(path: Path, project_root: Path | None) -> str | None:
    if project_root is not None:
        try:
            return str(path.resolve().relative_to(project_root.resolve()))
        except ValueError:
            return None
    text = str(path)
    if "site-packages" in text or text.startswith(("<", sys.prefix, sys.base_prefix)):
        return None
    if any(part == "drupe" or part.startswith("drupe_") for part in path.parts):
        return None
    return text


def error_message(error: BaseException) -> str:
    """A `DrupeError`'s own message; anything else as ``unexpected Type: message``."""
    if isinstance(error, DrupeError):
        return str(error)
    return f"unexpected {type(error).__name__}: {error}"


def _json_value(value: Any) -> dict[str, Any]:
    """``{"value": v}`` when ``v`` is small plain JSON, else ``{"repr": "..."}``."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        return {"type": type(value).__name__, "repr": short_repr(value, 400)}
    if len(text) > 10_000:
        return {"type": type(value).__name__, "repr": short_repr(value, 400)}
    return {"type": type(value).__name__, "value": value}


class RunReport(NamedTuple):
    """Everything the summary shows, as data (``--json`` prints `to_dict`)."""

    session_id: str | None
    run_id: str | None
    status: str
    duration_s: float | None
    outputs: Mapping[str, Any]
    sections: Mapping[str, Sequence[Mapping[str, Any]]]
    error: str | None = None
    location: ErrorLocation | None = None
    recorded: bool = False

    @property
    def history_command(self) -> str | None:
        return f"drupe sessions show {self.session_id}" if self.recorded else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "run_id": self.run_id,
            "status": self.status,
            "duration_s": self.duration_s,
            "outputs": {name: _json_value(v) for name, v in sorted(self.outputs.items())},
            **{name: list(entries) for name, entries in self.sections.items()},
            "error": (
                None
                if self.error is None
                else {
                    "message": self.error,
                    "location": self.location._asdict() if self.location else None,
                }
            ),
            "history_command": self.history_command,
        }

    def text_lines(self) -> list[str]:
        """The summary for people; styles vanish when stderr is not a terminal."""
        took = f" in {self.duration_s:.2f} s" if self.duration_s is not None else ""
        ok = self.status == "succeeded"
        status = click.style(self.status, fg="green" if ok else "red", bold=True)
        lines = [f"drupe: run {status}{took} (session {self.session_id})"]
        for section, entries in self.sections.items():
            for entry in entries:
                lines.append(f"  {section:<7}{_entry_text(entry)}")
        for name, value in sorted(self.outputs.items()):
            lines.append(f"  output {name} = {short_repr(value)}")
        if ok and not self.outputs and not any(self.sections.values()):
            lines.append("  nothing saved and no free outputs")
        if self.location is not None:
            lines.append(f"  raised at {self.location}")
        if self.history_command:
            hint = "traceback" if not ok else "details"
            lines.append(f"  {hint}: {self.history_command}")
        return lines


def _entry_text(entry: Mapping[str, Any]) -> str:
    name = str(entry.get("name", "?"))
    path, version = entry.get("path"), entry.get("version")
    text = name + (f" -> {path}" if path else "")
    if version:
        text += f" (version {version})"
    shown = {"name", "path", "version", "type", "file"}
    rest = {k: v for k, v in entry.items() if k not in shown and v is not None}
    if rest:
        text += "  " + "  ".join(f"{k}={v}" for k, v in rest.items())
    return text


def _sections(session: AbstractSession, run: RunRequest | None, result: Any) -> dict[str, Any]:
    if run is None:
        return {}
    caller = getattr(session.plugin_manager.hook, "run_summary", None)
    if caller is None:
        return {}
    merged: dict[str, list[Any]] = {}
    for contribution in caller(session=session, run=run, result=result):
        for section, entries in (contribution or {}).items():
            merged.setdefault(str(section), []).extend(entries or ())
    return merged


def _recorded_duration(session: AbstractSession, run_id: str | None) -> tuple[bool, float | None]:
    store = session.store
    if store is None or run_id is None:
        return False, None
    try:
        record = store.get_session(session.session_id)
    except Exception:  # the summary never fails a run that succeeded
        return False, None
    if not record:
        return False, None
    for run in record.get("runs") or ():
        if run.get("run_id") == run_id:
            duration = run.get("duration_s")
            return True, float(duration) if duration is not None else None
    return True, None


def summarise_run(
    session: AbstractSession,
    watch: RunWatch,
    *,
    outputs: Mapping[str, Any],
    error: BaseException | None,
) -> RunReport:
    """The `RunReport` of the run ``watch`` saw in ``session`` (call it before the session closes).

    ``outputs`` are the run's free outputs (empty when it failed), ``error``
    what it raised. Shared by ``drupe run`` and the notebook's ``%run_drupe``.
    """
    run = watch.run
    run_id = run.run_id if run is not None else None
    recorded, duration = _recorded_duration(session, run_id)
    if duration is None and watch.elapsed is not None:
        duration = round(watch.elapsed, 6)
    message = location = None
    if error is not None:
        message = error_message(error)
        root = session.project.root if session.project is not None else None
        location = error_location(error, root)
    return RunReport(
        session_id=session.session_id,
        run_id=run_id,
        status="failed" if error is not None else "succeeded",
        duration_s=duration,
        outputs=outputs,
        sections=_sections(session, run, None if error is not None else outputs),
        error=message,
        location=location,
        recorded=recorded,
    )


class RunFailedError(DrupeError):
    """The run failed; the message says where and how to see the traceback."""

    def __init__(self, report: RunReport, exit_code: int) -> None:
        parts = [report.error or "the run failed"]
        if report.location is not None:
            parts.append(f"raised at {report.location}")
        if report.history_command:
            parts.append(f"traceback: {report.history_command} (or run again with --verbose)")
        else:
            parts.append("run again with --verbose for the traceback")
        super().__init__("; ".join(parts))
        self.exit_code = exit_code
        self.report = report


def run_with_summary(
    state: CliState,
    *,
    as_json: bool,
    run_id: str | None,
    selection: Mapping[str, Any],
    plugins: Iterable[Any] = (),
    **create_kwargs: Any,
) -> None:
    """Create a session, run it once, print the summary (or the JSON document).

    What ``drupe run`` does, and plugin commands that run a session too
    (``drupe sessions rerun``): ``plugins`` and ``create_kwargs`` go to
    `CliState.create_session`, ``run_id`` and ``selection`` to ``run()``.
    """
    watch = RunWatch()
    session: Session | None = None
    report: RunReport | None = None
    try:
        with state.create_session(plugins=[watch, *plugins], **create_kwargs) as session:
            try:
                outputs: dict[str, Any] = session.run(run_id=run_id, **selection)
            except Exception as exc:
                if watch.run is not None:  # else nothing ran: the error says it all
                    report = summarise_run(session, watch, outputs={}, error=exc)
                raise  # the session closes as failed, recording this very exception
            report = summarise_run(session, watch, outputs=outputs, error=None)
    except Exception as exc:
        if report is None:
            if as_json:  # scripts still get one document saying what went wrong
                _print(_not_run(session, exc), as_json)
            raise
        _print(report, as_json)
        if report.status == "succeeded":
            raise  # the run worked; closing the session failed, and says why
        raise RunFailedError(report, getattr(exc, "exit_code", 1)) from exc
    _print(report, as_json)


def _not_run(session: AbstractSession | None, error: BaseException) -> RunReport:
    """The report of a run that never started (no project, a bad selection, a broken plugin)."""
    return RunReport(
        session_id=session.session_id if session is not None else None,
        run_id=None,
        status="failed",
        duration_s=None,
        outputs={},
        sections={},
        error=error_message(error),
        recorded=session is not None and session.store is not None,
    )


def _print(report: RunReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
        return
    if report.status != "succeeded":
        # The error line itself comes from the command's error handler.
        return
    for line in report.text_lines():
        click.echo(line, err=True)
