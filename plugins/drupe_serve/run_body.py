"""The body of ``POST /runs``: parsed and checked before anything runs.

A client deserves to learn *which* field is wrong, so every rejection names
it. Malformed JSON is a 400; a well-formed body with a wrong type, a bad value
or a field nobody knows is a 422. Nothing here imports the web framework, so
the rules are plain Python and the same for any server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from drupe_serve import limits

#: Selection fields: each is a list of names (a single string is one name).
NAME_LIST_FIELDS = (
    "pipelines",
    "tags",
    "node_names",
    "from_nodes",
    "to_nodes",
    "from_inputs",
    "to_outputs",
    "namespaces",
)
KNOWN_FIELDS = (
    *NAME_LIST_FIELDS,
    "runtime_params",
    "load_versions",
    "only_missing_outputs",
    "runner",
    "run_id",
    "timeout",
)
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

    pipelines: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    node_names: tuple[str, ...] = ()
    from_nodes: tuple[str, ...] = ()
    to_nodes: tuple[str, ...] = ()
    from_inputs: tuple[str, ...] = ()
    to_outputs: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    runtime_params: Mapping[str, Any] = attrs.field(factory=dict)
    load_versions: Mapping[str, str] = attrs.field(factory=dict)
    only_missing_outputs: bool = False
    runner: str | None = None
    run_id: str | None = None
    #: Seconds the client allows this run (capped by the server's ``--run-timeout``).
    timeout: float | None = None

    def run_kwargs(self, run_id: str) -> dict[str, Any]:
        """Keyword arguments for `drupe.ServiceSession.run`."""
        return {
            "pipeline_names": self.pipelines,
            "tags": self.tags,
            "node_names": self.node_names,
            "from_nodes": self.from_nodes,
            "to_nodes": self.to_nodes,
            "from_inputs": self.from_inputs,
            "to_outputs": self.to_outputs,
            "namespaces": self.namespaces,
            "runtime_params": self.runtime_params,
            "load_versions": self.load_versions,
            "only_missing_outputs": self.only_missing_outputs,
            "runner": self.runner,
            "run_id": run_id,
        }


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
    unknown = sorted(set(data) - set(KNOWN_FIELDS))
    if unknown:
        raise RequestError(
            422,
            f"unknown field {unknown[0]!r}; known fields: {', '.join(KNOWN_FIELDS)}",
            unknown[0],
        )
    for name, value in data.items():
        try:
            limits.check_field(name, value, dotted_keys=name == "runtime_params")
        except limits.LimitError as exc:
            raise RequestError(422, str(exc), exc.field) from None
    values: dict[str, Any] = {}
    for name in NAME_LIST_FIELDS:
        if name in data:
            values[name] = _names(name, data[name])
    if "runtime_params" in data:
        values["runtime_params"] = _object(
            "runtime_params", data["runtime_params"], "an object of parameters"
        )
    if "load_versions" in data:
        versions = _object("load_versions", data["load_versions"], "an object dataset -> version")
        for dataset, version in versions.items():
            if not isinstance(version, str) or not version:
                raise RequestError(
                    422,
                    f"load_versions.{dataset} must be a version string, not {_json_type(version)}",
                    f"load_versions.{dataset}",
                )
        values["load_versions"] = versions
    if "only_missing_outputs" in data:
        flag = data["only_missing_outputs"]
        if not isinstance(flag, bool):
            raise RequestError(
                422,
                f"only_missing_outputs must be true or false, not {_json_type(flag)}",
                "only_missing_outputs",
            )
        values["only_missing_outputs"] = flag
    if data.get("runner") is not None:
        values["runner"] = _runner(data["runner"], tuple(allowed_runners))
    if data.get("run_id") is not None:
        values["run_id"] = _run_id(data["run_id"])
    if data.get("timeout") is not None:
        values["timeout"] = _timeout(data["timeout"])
    return RunBody(**values)


def _names(field: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item:
                raise RequestError(
                    422,
                    f"{field}[{index}] must be a non-empty string, not {_json_type(item)}",
                    field,
                )
        return tuple(dict.fromkeys(value))
    raise RequestError(422, f"{field} must be a list of strings, not {_json_type(value)}", field)


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
