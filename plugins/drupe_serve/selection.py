"""Telling a bad selection (a client's mistake, 422) from a failed run (the server's, 500).

``POST /runs {"node_names": ["nope"]}`` names a node the pipeline does not
have: nothing ran, the client must fix its request, and the message (which
lists close matches) is safe and useful to send back. The rule works with
any executor, not only the bundled pipeline plugin: the error that
``session.run`` raised is a `drupe.UsageError`, or any `drupe.DrupeError`
whose ``exit_code`` is 2 (the CLI's "bad usage" status). An executor that
wraps what a node raises (the pipeline plugin wraps it in ``NodeError``,
exit status 1) therefore never turns a failing node into a 422.

Which field was wrong is the error's own ``field`` (drupe's errors carry
it); the service never parses a message for it. When the error does not
say and the request set exactly one selection field, that one.
"""

from __future__ import annotations

import drupe
from drupe_serve.run_body import RunBody


def is_selection_error(exc: BaseException) -> bool:
    """Whether ``session.run`` failed because the request selected something that is not there."""
    if isinstance(exc, drupe.UsageError):
        return True
    return isinstance(exc, drupe.DrupeError) and getattr(exc, "exit_code", 1) == 2


def selection_field(exc: BaseException, body: RunBody) -> str | None:
    """The request field the selection error is about, or ``None`` when it cannot be told."""
    field = getattr(exc, "field", None)
    if isinstance(field, str) and field:
        return field
    if len(body.selection) == 1:
        return next(iter(body.selection))
    return None
