"""Which pipeline names a client may ask for, so an unknown one is a 404 before anything runs.

The names come from the ``register_pipelines`` hook (the pipeline plugin
answers it with the project's ``pipeline_registry``; an embedding may answer
it with pipelines of its own), asked once, when the app is built: like every
other run-independent thing in a service session, they are prepared once.
The service never imports the project's registry itself, nor the pipeline
plugin: with another executor (or none), it does not check names.
"""

from __future__ import annotations

from collections.abc import Iterable

import drupe
from drupe_serve.errors import ServeError


def registered_pipeline_names(session: drupe.AbstractSession) -> tuple[str, ...] | None:
    """The session's pipeline names, or ``None`` when no plugin provides pipelines."""
    caller = getattr(session.hook, "register_pipelines", None)
    if caller is None or not caller.get_hookimpls():
        return None
    try:
        pipelines = session.plugin_manager.call("register_pipelines", session=session)
    except drupe.ProjectError:
        return None  # no project: nothing to check against
    except drupe.DrupeError as exc:
        raise ServeError(f"the session's pipelines could not be loaded: {exc}") from exc
    if pipelines is None:
        return None
    return tuple(sorted(str(name) for name in pipelines))


def pipeline_names(
    session: drupe.AbstractSession, explicit: Iterable[str] | None
) -> tuple[str, ...] | None:
    """Explicit names win; otherwise the session's; ``None`` means "do not check"."""
    if explicit is not None:
        return tuple(explicit)
    return registered_pipeline_names(session)
