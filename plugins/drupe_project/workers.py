"""Worker processes: repeat the parent's project setup where ``fork`` does not copy it.

Under ``spawn`` and ``forkserver`` (the default start method from Python
3.14) a worker starts from a fresh interpreter: the configured project is
unset, the project's source folder may be missing from ``sys.path``, and no
plugin is loaded. `WorkerBootstrap` is the small, picklable description of
what the parent had; pass it to the pool's initializer::

    bootstrap = WorkerBootstrap.from_session(session)
    ProcessPoolExecutor(initializer=init_worker, initargs=(bootstrap,))

and call ``bootstrap.plugin_manager()`` inside a task to fire hooks there.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

import attrs

from drupe import AbstractSession, PluginManager, Project, build_plugin_manager


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


_managers_lock = threading.Lock()
_managers: dict[tuple[int, WorkerBootstrap], PluginManager] = {}


@attrs.frozen
class WorkerBootstrap:
    """What a worker needs to rebuild the parent's project and plugins (picklable, hashable).

    Attributes:
        package_name: the project's package (``None``: no project).
        project_root: the root folder in project mode, ``None`` in packaged mode.
        source_dir: the folder that holds the package, when known.
        disabled_plugins: plugins disabled in the parent's session, by name.
        entry_points: whether the parent's session loaded entry-point plugins.
    """

    package_name: str | None
    project_root: str | None = None
    source_dir: str | None = None
    disabled_plugins: tuple[str, ...] = attrs.field(default=(), converter=_names)
    entry_points: bool = True

    @classmethod
    def from_project(
        cls,
        project: Project | None,
        *,
        disabled_plugins: tuple[str, ...] = (),
        entry_points: bool = True,
    ) -> WorkerBootstrap:
        """Describe ``project`` (``None`` is allowed: the worker then only loads plugins)."""
        return cls(
            package_name=project.package_name if project else None,
            project_root=str(project.root) if project and project.root else None,
            source_dir=str(project.source_dir) if project and project.source_dir else None,
            disabled_plugins=disabled_plugins,
            entry_points=entry_points,
        )

    @classmethod
    def from_session(cls, session: AbstractSession) -> WorkerBootstrap:
        """Describe ``session``'s project and plugin choices.

        Plugins passed to ``create(plugins=[...])`` are objects of the parent
        process and are not carried over; entry-point plugins and the
        project's settings ``HOOKS`` are.
        """
        from drupe_project.bootstrap import configured_project

        manager = session.plugin_manager
        infos = manager.plugin_infos()
        return cls.from_project(
            session.project or configured_project(),
            disabled_plugins=manager.disabled_names(),
            entry_points=any(info.source == "entry point" for info in infos),
        )

    def apply(self) -> Project | None:
        """Bootstrap (project mode) or configure (packaged mode) the project here. Idempotent."""
        from drupe_project.bootstrap import (
            activate,
            configure_project,
            configured_project,
            put_first_on_path,
        )
        from drupe_project.metadata import read_project

        if self.package_name is None:
            return configured_project()
        if self.project_root is not None and (Path(self.project_root) / "pyproject.toml").is_file():
            return activate(read_project(Path(self.project_root)))
        if self.source_dir is not None:
            put_first_on_path(Path(self.source_dir))
        return configure_project(self.package_name)

    def plugin_manager(self) -> PluginManager:
        """The worker's plugin manager: the parent's entry-point plugins and settings ``HOOKS``.

        Built once per process (and per bootstrap): the enabled entry-point
        plugins minus those disabled in the parent, finalized, then the
        project's settings loaded into it (which registers ``HOOKS`` and
        applies ``DISABLE_HOOKS_FOR_PLUGINS``).
        """
        key = (os.getpid(), self)
        manager = _managers.get(key)
        if manager is not None:
            return manager
        with _managers_lock:
            manager = _managers.get(key)
            if manager is None:
                manager = self._build_manager()
                _managers[key] = manager
        return manager

    def _build_manager(self) -> PluginManager:
        project = self.apply()
        start = Path(self.project_root) if self.project_root else Path.cwd()
        manager = build_plugin_manager(
            start=start,
            entry_points=self.entry_points,
            disable_plugins=self.disabled_plugins,
        )
        manager.hook.load_settings(project=project, plugin_manager=manager)
        manager.validate()
        return manager


def init_worker(bootstrap: WorkerBootstrap) -> None:
    """Process-pool initializer: ``initializer=init_worker, initargs=(bootstrap,)``."""
    bootstrap.apply()
