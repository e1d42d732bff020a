"""The body of ``POST /runs``: parsed and checked before anything runs.

A client deserves to learn *which* field is wrong, so every rejection names
it. Malformed JSON is a 400; a well-formed body with a wrong type, a bad value
or a field nobody knows is a 422. Nothing here imports the web framework, so
the rules are plain Python and the same for any server.

The service owns only ``runtime_params`` and ``run_id``. Every other field is
the run's selection and goes to ``session.run()`` as a keyword argument,
unread: the plugin that executes runs defines and checks it (the bundled
pipeline plugin's `RunSelection`: ``pipelines``, ``tags``, ``node_names``,
...), so the body accepts exactly what ``run()`` accepts. The one rule the
service adds is a policy: a ``runner`` must be one it allows.

Before any of that, every field passes the limits of limits.py (nesting,
number of values, integer length, key names), so a hostile body is a 422
naming its field, whoever reads the field afterwards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from drupe_serve import limits

#: The fields the service itself reads; the rest of the body is the run's selection.
SERVICE_FIELDS = ("runtime_params", "run_id", "timeout")
# Run ids become store keys and log fields: keep them to a safe, printable alphabet.
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class RequestError(Exception):
    """A request the service refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


@attrs.frozen
class RunBody:
    """A checked ``POST /runs`` body."""

    selection: Mapping[str, Any] = attrs.field(factory=dict)
    runtime_params: Mapping[str, Any] = attrs.field(factory=dict)
    run_id: str | None = None
    #: Seconds the client allows this run (capped by the server's ``--run-timeout``).
    timeout: float | None = None

    @property
    def pipelines(self) -> list[str]:
        """The pipeline names asked for (for records; the executor checks them): under
        ``pipeline_names`` once the executor normalised the selection, else as sent."""
        value = self.selection.get("pipeline_names") or self.selection.get("pipelines")
        if isinstance(value, str):
            return [value]
        if isinstance(value, (list, tuple)):
            return [str(name) for name in value]
        return []

    def run_kwargs(self, run_id: str) -> dict[str, Any]:
        """Keyword arguments for `drupe.ServiceSession.run`."""
        return {**self.selection, "runtime_params": self.runtime_params, "run_id": run_id}


def parse_run_body(raw: bytes, *, allowed_runners: Iterable[str]) -> RunBody:
    """Parse and check a request body; an empty body means "the default pipeline, no params"."""
    if not raw.strip():
        return RunBody()
    try:
        data = limits.loads(raw)
    except RecursionError:
        field = limits.field_too_deep(raw)
        raise RequestError(
            422, f"the request body nests deeper than {limits.MAX_DEPTH} levels", field
        ) from None
    except UnicodeDecodeError:
        raise RequestError(400, "the request body is not UTF-8 encoded JSON") from None
    except json.JSONDecodeError as exc:
        raise RequestError(
            400,
            f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno}",
        ) from None
    if not isinstance(data, dict):
        raise RequestError(
            422, f"the request body must be a JSON object, not {_json_type(data)}", None
        )
    for name, value in data.items():
        try:
            limits.check_field(name, value, dotted_keys=name == "runtime_params")
        except limits.LimitError as exc:
            raise RequestError(422, str(exc), exc.field) from None
    values: dict[str, Any] = {}
    if "runtime_params" in data:
        values["runtime_params"] = _object(
            "runtime_params", data["runtime_params"], "an object of parameters"
        )
    if data.get("run_id") is not None:
        values["run_id"] = _run_id(data["run_id"])
    if data.get("timeout") is not None:
        values["timeout"] = _timeout(data["timeout"])
    selection = {k: v for k, v in data.items() if k not in SERVICE_FIELDS and v is not None}
    if "runner" in selection:
        selection["runner"] = _runner(selection["runner"], tuple(allowed_runners))
    return RunBody(selection=selection, **values)


def _object(field: str, value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RequestError(422, f"{field} must be {what}, not {_json_type(value)}", field)
    return value


def _runner(value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise RequestError(422, f"runner must be a string, not {_json_type(value)}", "runner")
    if value not in allowed:
        raise RequestError(
            422,
            f"runner {value!r} is not allowed over HTTP; choose one of: {', '.join(allowed)}",
            "runner",
        )
    return value


def _run_id(value: Any) -> str:
    if not isinstance(value, str) or not RUN_ID_PATTERN.fullmatch(value):
        raise RequestError(
            422,
            "run_id must be 1 to 128 characters of letters, digits and . _ : - "
            "(starting with a letter or digit)",
            "run_id",
        )
    return value


def _timeout(value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value < float("inf")
    ):
        raise RequestError(
            422, f"timeout must be a positive number of seconds, not {value!r}", "timeout"
        )
    return float(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, limits.BigInt)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
