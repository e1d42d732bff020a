"""Worker processes: the session's plugins, re-created in another process.

A runner that sends nodes to other processes (a process pool under ``fork``,
``spawn`` or ``forkserver``, a Dask worker on another machine) needs the
session's plugins there too, so that node and dataset hooks fire where the
node runs, and the project's code must be importable before a task is
unpickled. The kernel cannot know how a project is made importable (that is
the project plugin's business), so it only carries the facts across:

* in the parent, ``session.worker_spec()`` returns a small, picklable
  `WorkerSpec`: the project, whether entry points were loaded, which plugins
  were disabled;
* in the worker, `worker_plugin_manager` builds the plugin manager from that
  spec, calls the ``setup_worker`` hook (the project plugin puts the project
  on ``sys.path`` there) and loads the settings (which registers the
  project's ``settings.HOOKS``); `init_worker` is the same call, shaped as a
  process-pool initializer.

Managers are cached per process and per session (a small, bounded LRU), so a
pool worker that runs a thousand nodes of one session builds one manager.
Plugins given to ``create(plugins=[...])`` are objects of the parent process
and are not carried over.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from drupe.frozen import Frozen
from drupe.plugin_manager import PluginManager, build_plugin_manager
from drupe.project import Project

#: How many sessions' worker managers one process keeps (least recently used goes first).
WORKER_CACHE_SIZE = 8


class WorkerSpec(Frozen):
    """What a worker process needs to re-create a session's plugins (picklable).

    Attributes:
        session_id: the session the worker serves (its managers are cached by it).
        project: the session's project, or ``None``.
        entry_points: whether the session loaded entry-point plugins.
        disabled_plugins: the plugins disabled in the session, by name.
        start: the folder the session started from (``[tool.drupe]`` is read there).
    """

    _fields = ("session_id", "project", "entry_points", "disabled_plugins", "start")
    __slots__ = _fields
    __match_args__ = _fields

    session_id: str
    project: Project | None
    entry_points: bool
    disabled_plugins: tuple[str, ...]
    start: str | None

    def __init__(
        self,
        session_id: str,
        project: Project | None = None,
        entry_points: bool = True,
        disabled_plugins: Iterable[str] = (),
        start: str | None = None,
    ) -> None:
        self._set(
            session_id=session_id,
            project=project,
            entry_points=entry_points,
            disabled_plugins=tuple(disabled_plugins),
            start=start,
        )

    def cache_key(self) -> tuple[object, ...]:
        project = self.project
        return (
            self.session_id,
            project.package_name if project else None,
            str(project.root) if project and project.root else None,
            self.entry_points,
            self.disabled_plugins,
            self.start,
        )


_lock = threading.Lock()
_managers: OrderedDict[tuple[object, ...], PluginManager] = OrderedDict()


def _after_fork_in_child() -> None:
    """A lock held by another thread at ``fork`` would stay held forever in the child."""
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def worker_plugin_manager(spec: WorkerSpec) -> PluginManager:
    """The session's plugins in this process, built once per process and session.

    Safe to call from several threads at once (a Dask worker runs tasks in
    threads). The cache is keyed by process id too, so a manager inherited
    through ``fork`` is never reused by the child.
    """
    key = (os.getpid(), *spec.cache_key())
    with _lock:
        manager = _managers.get(key)
        if manager is not None:
            _managers.move_to_end(key)
            return manager
    manager = _build(spec)
    with _lock:
        existing = _managers.get(key)
        if existing is not None:
            return existing
        _managers[key] = manager
        while len(_managers) > WORKER_CACHE_SIZE:
            _managers.popitem(last=False)
    return manager


def init_worker(spec: WorkerSpec | None) -> None:
    """Process-pool initializer: ``initializer=drupe.init_worker, initargs=(spec,)``.

    Builds the manager up front, so the project is importable before the
    first task (whose node function lives in the project) is unpickled.
    """
    if spec is not None:
        worker_plugin_manager(spec)


def _build(spec: WorkerSpec) -> PluginManager:
    start = Path(spec.start) if spec.start else Path.cwd()
    manager = build_plugin_manager(
        start=start, entry_points=spec.entry_points, disable_plugins=spec.disabled_plugins
    )
    manager.hook.setup_worker(spec=spec, plugin_manager=manager)
    manager.hook.load_settings(project=spec.project, plugin_manager=manager)
    manager.validate()
    return manager
