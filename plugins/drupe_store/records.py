"""The records the store keeps: one per session, one per run, as JSON-friendly dicts.

Field names are the store's public format (documented in docs/store.md);
every backend keeps them as given. Times are ISO 8601 in UTC with
microseconds, so they sort as text.
"""

from __future__ import annotations

import os
import platform
import traceback
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import drupe
from drupe_store.liveness import owner
from drupe_store.masking import SecretMask

STATUSES = ("open", "closed", "failed", "interrupted")
RUN_STATUSES = ("running", "succeeded", "failed", "interrupted")


def number_or_none(value: Any) -> float | None:
    """A duration as a float; ``None`` for anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return round(delta.total_seconds(), 6)


def add_seconds(total: float | None, more: float | None) -> float | None:
    """``total + more`` for durations that may be unknown (``None``)."""
    if more is None:
        return total
    return round((total or 0.0) + more, 6)


def username() -> str | None:
    """The user, as getpass.getuser() finds it, without importing getpass (and termios)."""
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        name = os.environ.get(variable)
        if name:
            return name
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, AttributeError):  # no passwd entry (some containers)
        return None


def error_record(error: BaseException) -> dict[str, Any]:
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    return {
        "type": name,
        "message": str(error),
        "traceback": "".join(traceback.format_exception(kind, error, error.__traceback__)),
    }


def plugin_records(session: drupe.AbstractSession) -> tuple[list[dict[str, Any]], list[str]]:
    """The enabled plugins (name, distribution, version, source) and the disabled names."""
    enabled, disabled = [], []
    manager = session.plugin_manager
    for info in manager.plugin_infos():
        if info.enabled:
            name = info.name
            if name.isdigit():  # an unnamed explicit plugin object: name it by its class
                name = type(manager.get_plugin(name)).__qualname__
            enabled.append(
                {
                    "name": name,
                    "distribution": info.distribution,
                    "version": info.version,
                    "source": info.source,
                }
            )
        else:
            disabled.append(info.name)
    return enabled, disabled


def cli_record(metadata: Mapping[str, Any], mask: SecretMask) -> dict[str, Any] | None:
    cli = metadata.get("cli")
    if not isinstance(cli, Mapping):
        return None
    return {
        "command": cli.get("command"),
        "args": mask.args([str(a) for a in cli.get("args") or ()]),
        "params": mask.params(cli.get("params") or {}),
    }


def session_record(
    session: drupe.AbstractSession, mask: SecretMask, git: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The record written at create (status ``open``); ``git`` as `GitProbe` found it."""
    project = session.project
    project_path: Path = session.project_path
    plugins, disabled = plugin_records(session)
    runtime_params = getattr(session, "runtime_params", None) or {}
    session_id = session.session_id
    return {
        "session_id": session_id,
        "short_id": short_id(session_id),
        "kind": session.kind,
        "status": "open",
        "created_at": now(),
        "closed_at": None,
        "duration_s": None,
        "run_time_s": None,
        "project_path": str(project_path),
        "package_name": project.package_name if project else None,
        "project_name": project.project_name if project else None,
        "env": session.env,
        "conf_source": session.conf_source,
        "cwd": _cwd(),
        "runtime_params": mask.params(runtime_params),
        "username": username(),
        **owner(),
        "python_version": platform.python_version(),
        "drupe_version": drupe.__version__,
        "plugins": plugins,
        "disabled_plugins": disabled,
        "git": dict(git) if git is not None else None,
        "cli": cli_record(session.metadata, mask),
        "rerun_of": session.metadata.get("rerun_of"),
        "error": None,
    }


def _cwd() -> str | None:
    """The working folder, against which a relative ``conf_source`` is resolved on rerun."""
    try:
        return os.getcwd()
    except OSError:  # the folder was deleted under the process
        return None


def recorded_conf_source(record: Mapping[str, Any]) -> str | None:
    """A session's ``conf_source`` as it resolved then: relative ones against the recorded cwd."""
    source = record.get("conf_source")
    if source is None:
        return None
    text = str(source)
    cwd = record.get("cwd")
    if "://" in text or not cwd or os.path.isabs(os.path.expanduser(text)):
        return text
    return os.path.join(str(cwd), text)


def short_id(session_id: str) -> str:
    """The random tail of a kernel id (``...Z-3fa9c01b7e`` -> ``3fa9c01b7e``), else the id."""
    head, sep, tail = session_id.rpartition("Z-")
    return tail if sep and head else session_id


def closed_record(record: Mapping[str, Any], exception: BaseException | None) -> dict[str, Any]:
    """The session record rewritten at close."""
    closed_at = now()
    return {
        **record,
        "status": "failed" if exception is not None else "closed",
        "closed_at": closed_at,
        "duration_s": seconds_between(record.get("created_at"), closed_at),
        "error": error_record(exception) if exception is not None else None,
    }


def run_record(run: drupe.RunRequest, mask: SecretMask, started_at: str) -> dict[str, Any]:
    """The record written when a run starts (status ``running``)."""
    request = run.to_dict()
    request["runtime_params"] = mask.params(request.get("runtime_params") or {})
    return {
        "run_id": run.run_id,
        "session_id": run.session_id,
        "status": "running",
        "request": request,
        "runtime_params": request["runtime_params"],
        "started_at": started_at,
        "finished_at": None,
        "duration_s": None,
        "error": None,
        "outputs": [],
        "runner": None,
        **owner(),
    }


def finished_run(
    record: Mapping[str, Any],
    *,
    outputs: Mapping[str, Any] | None = None,
    error: BaseException | None = None,
) -> dict[str, Any]:
    finished_at = now()
    return {
        **record,
        "status": run_status(error),
        "finished_at": finished_at,
        "duration_s": seconds_between(record.get("started_at"), finished_at),
        "error": error_record(error) if error is not None else None,
        "outputs": sorted(str(name) for name in (outputs or {})),
    }


def run_status(error: BaseException | None) -> str:
    """``succeeded``, ``failed``, or ``interrupted``: Ctrl-C (or a SIGTERM a runner made one)."""
    if error is None:
        return "succeeded"
    return "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"


def with_runner(
    record: Mapping[str, Any], runner: str, details: Mapping[str, Any]
) -> dict[str, Any]:
    """The run record once its runner said where nodes run: ``{"name": "dask", ...}``."""
    return {**record, "runner": {"name": runner, **details}}


class RunIdTakenError(drupe.StoreError):
    """A run id the store already holds: refused before the run starts, nothing overwritten."""

    def __init__(self, run_id: str, session_id: str | None) -> None:
        owner = f" (by session {session_id})" if session_id else ""
        super().__init__(
            f"run id {run_id!r} is already recorded in the session store{owner}; run ids are "
            f"unique per store: choose another --run-id (or leave it out for a fresh one)"
        )
        self.run_id = run_id
        self.field = "run_id"


def claim_run(store: drupe.SessionStore, record: Mapping[str, Any]) -> None:
    """Write a run's first record, refusing a run id the store already holds.

    Backends with an atomic ``add_run`` (both bundled ones) decide; for any
    other store, a ``get_run`` check before ``save_run`` is the best it offers.
    """
    add_run = getattr(store, "add_run", None)
    if callable(add_run):
        add_run(record)
        return
    get_run = getattr(store, "get_run", None)
    if callable(get_run):
        found = get_run(str(record["run_id"]))
        if found is not None:
            raise RunIdTakenError(str(record["run_id"]), found.get("session_id"))
    store.save_run(record)


def scrubbed(record: dict[str, Any], scrubber: drupe.SecretScrubber) -> dict[str, Any]:
    """``record`` with every known secret value replaced, its ids kept as they are."""
    if not scrubber:
        return record
    ids = {k: record[k] for k in ("run_id", "session_id", "short_id") if k in record}
    return {**scrubber.data(record), **ids}


def with_hook_error(record: Mapping[str, Any], hook: str, error: BaseException) -> dict[str, Any]:
    """``record`` noting that another plugin's ``hook`` raised ``error``.

    The status is left as it was: a plugin failing in ``after_run`` or
    ``after_close`` does not make a successful run failed, nor a closed
    session interrupted. ``hook_errors`` says what happened.
    """
    source = getattr(error, "drupe_source", None)
    note = {"hook": hook, "plugin": source.plugin if source else None, **error_record(error)}
    return {**record, "hook_errors": [*record.get("hook_errors", ()), note]}


def check_status(status: str | None) -> None:
    """Refuse a status filter that no record can have."""
    if status is not None and status not in STATUSES:
        raise drupe.UsageError(
            f"unknown session status {status!r}: use one of {', '.join(STATUSES)}"
        )
