"""`DrupeNotebook`: the drupe session of one IPython shell and what it puts in the namespace.

One per shell (kept on the shell's magics object, never in a module), so two
shells in one process never share a session. The session it opens is an
ordinary `drupe.Session`, recorded in the store like any other; it is
closed when the notebook reloads, unloads the extension or exits.
"""

from __future__ import annotations

import atexit
import importlib
import linecache
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

import drupe
from drupe.cli.logging_setup import configure_project_logging

#: The names ``%load_ext drupe_ipython`` and ``%reload_drupe`` define in the user namespace.
NAMESPACE_NAMES = ("session", "context", "catalog", "params", "pipelines")


@attrs.frozen
class NotebookOptions:
    """What ``%reload_drupe`` was given: the project folder and the session's arguments."""

    project_path: Path | None = None
    env: str | None = None
    runtime_params: Mapping[str, Any] = attrs.field(factory=dict)
    conf_source: str | None = None


def forget_modules(package_name: str) -> list[str]:
    """Drop ``package_name`` and its submodules from ``sys.modules``; return their names.

    The next import reads the files again, so a node edited in the
    project's code is the one the next run uses.
    """
    gone = [
        name
        for name in list(sys.modules)
        if name == package_name or name.startswith(package_name + ".")
    ]
    for name in gone:
        del sys.modules[name]
    importlib.invalidate_caches()
    linecache.checkcache()
    return gone


class DrupeNotebook:
    """The session of one shell, and how to rebuild and run it."""

    def __init__(self, push: Callable[[dict[str, Any]], None]) -> None:
        self._push = push
        self.options = NotebookOptions()
        self.session: drupe.Session | None = None
        self.context: drupe.Context | None = None
        self.catalog: Any = None
        self.pipelines: Mapping[str, Any] | None = None
        self.notes: list[str] = []

    @property
    def project(self) -> drupe.Project | None:
        return self.session.project if self.session is not None else None

    def reload(self, options: NotebookOptions) -> None:
        """Close the current session and build a new one from ``options``.

        The project path defaults to the one found last time, else the
        working folder (a Jupyter kernel starts in the notebook's folder).
        The project's ``conf/logging.yml`` (or ``$DRUPE_LOGGING_CONFIG``)
        configures logging, as for the ``drupe`` command; without one the
        notebook's logging is left as it is.
        """
        project = self.project
        if options.project_path is None and project is not None and project.root is not None:
            options = attrs.evolve(options, project_path=project.root)
        self.close()
        if project is not None:
            forget_modules(project.package_name)
        session = drupe.Session.create(
            project_path=options.project_path,
            env=options.env,
            runtime_params=dict(options.runtime_params),
            conf_source=options.conf_source,
        )
        try:
            if session.project is None:
                start = Path(options.project_path or Path.cwd()).resolve()
                raise drupe.ProjectError(
                    f"no drupe project found from {start} (a folder with a pyproject.toml "
                    f"that has a [tool.drupe] table, or inside one)"
                )
            context = session.load_context()
            configure_project_logging(session.project.root, verbose=False, quiet=False)
        except BaseException:
            session.close()
            raise
        # Registered after the session's store: atexit runs last-in first-out, so
        # the session is closed (and recorded) before the store shuts its files.
        atexit.unregister(self.close)
        atexit.register(self.close)
        self.options = options
        self.session, self.context = session, context
        self.notes = []
        self.catalog = self._ask("catalog", "get_catalog", session=session, context=context)
        self.pipelines = self._ask("pipelines", "get_pipelines", session=session)
        self._push(self.namespace())

    def _ask(self, label: str, hook_name: str, **kwargs: Any) -> Any:
        """A provider hook's answer, or ``None`` with a note saying why it is missing.

        The hooks are the pipeline plugin's own: with that plugin disabled
        they do not exist, and the call says so (`drupe.MissingProviderError`
        for ``hook_name`` itself, raised by no plugin).
        """
        assert self.session is not None
        try:
            answer = self.session.plugin_manager.call(hook_name, **kwargs)
        except drupe.DrupeError as exc:
            unspecified = isinstance(exc, drupe.MissingProviderError) and exc.plugin is None
            if not (unspecified and exc.hook == hook_name):
                self.notes.append(f"{label} unavailable: {exc}")
                return None
            answer = None
        if answer is None:
            self.notes.append(
                f"{label} unavailable: no plugin answers {hook_name} "
                f"(is the bundled 'pipeline' plugin disabled?)"
            )
        return answer

    def namespace(self) -> dict[str, Any]:
        """``session``, ``context``, ``catalog``, ``params`` and ``pipelines``."""
        params = self.context.params if self.context is not None else None
        return {
            "session": self.session,
            "context": self.context,
            "catalog": self.catalog,
            "params": params,
            "pipelines": self.pipelines,
        }

    def describe(self) -> str:
        """One line: what was loaded, from where."""
        project = self.project
        if project is None:
            return "drupe: session loaded without a project"
        where = project.root or "an installed package"
        pipelines = ", ".join(sorted(self.pipelines)) if self.pipelines else "none"
        env = self.options.env or (self.session.env if self.session else None)
        return (
            f"drupe: loaded project {project.project_name or project.package_name} from {where} "
            f"(env {env or 'default'}); defined {', '.join(NAMESPACE_NAMES)}; "
            f"pipelines: {pipelines}"
        )

    def require_session(self) -> drupe.Session:
        if self.session is None:
            raise drupe.SessionError(
                "no drupe session in this notebook: run %reload_drupe [PATH] first"
            )
        return self.session

    def unload(self) -> None:
        """Close the session and stop watching for the interpreter's exit."""
        atexit.unregister(self.close)
        self.close()

    def close(self) -> None:
        """Close the session (recording it); harmless when there is none."""
        session, self.session = self.session, None
        self.context = self.catalog = self.pipelines = None
        if session is not None:
            session.close()
