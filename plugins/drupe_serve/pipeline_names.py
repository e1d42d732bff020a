"""Which pipeline names a client may ask for, so an unknown one is a 404 before anything runs.

The names come from the project's own contract,
``<package>.pipeline_registry.register_pipelines()`` (the same function the
pipeline plugin reads), once, when the app is built: like every other
run-independent thing in a service session, they are prepared once.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

import drupe
from drupe_serve.errors import ServeError


def registered_pipeline_names(session: drupe.AbstractSession) -> tuple[str, ...] | None:
    """The registry's pipeline names, or ``None`` when the project has no registry."""
    project = session.project
    if project is None:
        return None
    module_name = f"{project.package_name}.pipeline_registry"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name in {project.package_name, module_name}:
            return None
        raise ServeError(
            f"{module_name} failed to import: {type(exc).__name__}: {exc}; fix the project's "
            f"pipeline registry"
        ) from exc
    register = getattr(module, "register_pipelines", None)
    if not callable(register):
        return None
    try:
        pipelines = register()
    except Exception as exc:
        raise ServeError(
            f"{module_name}.register_pipelines() raised {type(exc).__name__}: {exc}; fix the "
            f"project's pipeline registry"
        ) from exc
    return tuple(sorted(str(name) for name in pipelines))


def pipeline_names(
    session: drupe.AbstractSession, explicit: Iterable[str] | None
) -> tuple[str, ...] | None:
    """Explicit names win; otherwise the registry's; ``None`` means "do not check"."""
    if explicit is not None:
        return tuple(explicit)
    return registered_pipeline_names(session)
