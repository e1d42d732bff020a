"""Telling a bad selection (a client's mistake, 422) from a failed run (the server's, 500).

``POST /runs {"node_names": ["nope"]}`` names a node the pipeline does not
have: nothing ran, the client must fix its request, and the message (which
lists close matches) is safe and useful to send back. The rule that decides
it works with any executor, not only the bundled pipeline plugin: the error
that ``session.run`` raised is itself a `drupe.UsageError`, or any
`drupe.DrupeError` whose ``exit_code`` is 2 (the CLI's "bad usage" status).
An executor that wraps what a node raises (the pipeline plugin wraps it in
``NodeError``, exit status 1) therefore never turns a failing node into a 422.

Which field was wrong is read from the error when it says so (a ``field``
attribute, ``tags=[...]`` in the message, or an unknown name quoted in the
message that the request put in exactly one field); otherwise, when the
request set exactly one selection field, that one.
"""

from __future__ import annotations

import re
from typing import Any

import drupe
from drupe_serve.run_body import RunBody

#: The request's selection fields, in the order the pipeline plugin applies them.
SELECTION_FIELDS = (
    "pipelines",
    "tags",
    "from_nodes",
    "to_nodes",
    "node_names",
    "from_inputs",
    "to_outputs",
    "namespaces",
)
# Names other layers use for the same fields.
_ALIASES = {"node_namespaces": "namespaces", "pipeline_names": "pipelines", "pipeline": "pipelines"}
_FIELD_IN_MESSAGE = re.compile(
    r"\b(" + "|".join([*SELECTION_FIELDS, *_ALIASES]) + r")\s*=",
)
_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")


def is_selection_error(exc: BaseException) -> bool:
    """Whether ``session.run`` failed because the request selected something that is not there."""
    if isinstance(exc, drupe.UsageError):
        return True
    return isinstance(exc, drupe.DrupeError) and getattr(exc, "exit_code", 1) == 2


def _canonical(name: Any) -> str | None:
    if not isinstance(name, str):
        return None
    name = _ALIASES.get(name, name)
    return name if name in SELECTION_FIELDS else None


def selection_field(exc: BaseException, body: RunBody) -> str | None:
    """The request field the selection error is about, or ``None`` when it cannot be told."""
    for attribute in ("field", "selection_field", "filter_name"):
        named = _canonical(getattr(exc, attribute, None))
        if named is not None:
            return named
    message = str(exc)
    match = _FIELD_IN_MESSAGE.search(message)
    if match is not None:
        named = _canonical(match.group(1))
        if named is not None:
            return named
    given = {field: getattr(body, field) for field in SELECTION_FIELDS if getattr(body, field)}
    # The unknown names come before the suggestions ("... Did you mean 'x'?").
    head = re.split(r"did you mean", message, maxsplit=1, flags=re.IGNORECASE)[0]
    quoted = {a or b for a, b in _QUOTED.findall(head)}
    holding = [field for field, names in given.items() if quoted & set(names)]
    if len(holding) == 1:
        return holding[0]
    if len(given) == 1:
        return next(iter(given))
    return None
