"""Sessions: the lifecycle the kernel owns.

A `Session` is one run: create, load its context, run once, close. A
`ServiceSession` prepares everything that does not depend on a run once, at
create, and then runs any number of times, from any number of threads, each
run with its own `RunRequest`, runtime parameters and `Context`.

The kernel never knows who finds the project, reads settings, loads config,
executes pipelines or persists history: it asks through provider hooks and
announces through lifecycle hooks (see `drupe.hookspecs`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar, Token
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from drupe.config import ConfigLoader, RuntimeParamsAware
from drupe.context import Context
from drupe.errors import MissingProviderError, ProjectError, SessionError
from drupe.frozen import Record
from drupe.ids import new_id
from drupe.plugin_manager import PluginManager, build_plugin_manager
from drupe.project import Project
from drupe.run_request import RunRequest, freeze
from drupe.session_secrets import SessionSecrets
from drupe.stash import Stash
from drupe.store import SessionStore

if TYPE_CHECKING:
    from drupe.workers import WorkerSpec

_current_session: ContextVar[AbstractSession | None] = ContextVar(
    "drupe_current_session", default=None
)

S = TypeVar("S", bound="AbstractSession")


def get_current_session() -> AbstractSession:
    """The session active in this thread or asyncio task.

    A session is active inside ``with Session.create() as session:`` and, for
    the code of the nodes, during ``session.run()``. Worker threads started by
    a runner inherit it when the runner copies the context (the bundled ones do).
    """
    session = _current_session.get()
    if session is None:
        raise SessionError(
            "no drupe session is active here: call get_current_session() inside "
            "`with Session.create(...) as session:` or from code that session.run() runs"
        )
    return session


class SessionSpec(Record):
    """The mutable draft of a session that ``before_session_create`` hooks may complete.

    A `drupe.frozen.Record`, not a `drupe.frozen.Frozen`: hooks set its fields.
    Two drafts are equal when all their fields are.
    """

    _fields = (
        "kind",
        "session_id",
        "project_path",
        "project",
        "env",
        "conf_source",
        "runtime_params",
        "save_on_close",
        "metadata",
    )
    __slots__ = _fields
    __match_args__ = _fields

    def __init__(
        self,
        kind: str,
        session_id: str,
        project_path: Path,
        project: Project | None = None,
        env: str | None = None,
        conf_source: str | None = None,
        runtime_params: dict[str, Any] | None = None,
        save_on_close: bool = True,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.session_id = session_id
        self.project_path = project_path
        self.project = project
        self.env = env
        self.conf_source = conf_source
        self.runtime_params: dict[str, Any] = {} if runtime_params is None else runtime_params
        self.save_on_close = save_on_close
        self.metadata: dict[str, Any] = {} if metadata is None else metadata


def _conf_source(value: str | os.PathLike[str] | None) -> str | None:
    return None if value is None else os.fspath(value)


class AbstractSession(ABC):
    """What every session offers: ``create()``, ``load_context()``, ``run()``, ``close()``.

    Use a session as a context manager: leaving the ``with`` block records
    the exception that ended it (if any) and closes the session.
    """

    kind: ClassVar[str]

    def __init__(
        self,
        *,
        spec: SessionSpec,
        plugin_manager: PluginManager,
        settings: Any,
        store: SessionStore | None,
    ) -> None:
        self._spec = spec
        self._plugin_manager = plugin_manager
        self._settings = settings
        self._store = store
        self._metadata: Mapping[str, Any] = MappingProxyType(dict(spec.metadata))
        self._lock = threading.RLock()
        self._closed = False
        self._exception: BaseException | None = None
        self._tokens: list[Token[AbstractSession | None]] = []
        self._stash = Stash()
        self._secrets = SessionSecrets(plugin_manager.hook)

    # -- construction -------------------------------------------------------

    @classmethod
    def _build(
        cls: type[S],
        *,
        spec: SessionSpec,
        plugins: Iterable[Any],
        entry_points: bool,
        disable_plugins: Iterable[str],
        open_store: bool,
    ) -> S:
        manager = build_plugin_manager(
            start=spec.project_path,
            plugins=plugins,
            entry_points=entry_points,
            disable_plugins=disable_plugins,
        )

        settings: Any = None
        try:
            manager.call("before_session_create", spec=spec)
            project = spec.project
            if project is None:
                project = manager.call("find_project", start=spec.project_path)
                spec.project = project
            settings = manager.call("load_settings", project=project, plugin_manager=manager)
            manager.validate()  # settings may have registered the project's own hooks
            store = (
                manager.call("open_store", project=project, settings=settings)
                if open_store
                else None
            )
        except BaseException as exc:
            _scrub_early(manager, spec, settings, exc)  # no session yet: the params alone
            raise
        session = cls(spec=spec, plugin_manager=manager, settings=settings, store=store)
        try:
            # Before any plugin records or logs anything about the session.
            session._secrets.learn_params(**_params_of(spec), settings=settings)
            manager.call("after_session_created", session=session)
        except BaseException as exc:
            # Part of the session may be recorded already: close it as failed.
            session._exception = session._secrets.scrub(exc)
            with contextlib.suppress(Exception):  # the original error matters more
                session.close()
            raise
        return session

    @classmethod
    @abstractmethod
    def create(cls: type[S], *args: Any, **kwargs: Any) -> S:
        """Build a session: load plugins, find the project, read settings, open the store."""

    # -- read-only state ----------------------------------------------------

    @property
    def session_id(self) -> str:
        return self._spec.session_id

    @property
    def project(self) -> Project | None:
        return self._spec.project

    @property
    def project_path(self) -> Path:
        """The folder the session started from (the project root when one was found)."""
        if self._spec.project is not None and self._spec.project.root is not None:
            return self._spec.project.root
        return self._spec.project_path

    @property
    def env(self) -> str | None:
        return self._spec.env

    @property
    def conf_source(self) -> str | None:
        return self._spec.conf_source

    @property
    def settings(self) -> Any:
        return self._settings

    @property
    def store(self) -> SessionStore | None:
        """Where this session's history is kept, or ``None`` (``save_on_close=False``, no store)."""
        return self._store

    @property
    def plugin_manager(self) -> PluginManager:
        return self._plugin_manager

    @property
    def hook(self) -> Any:
        """Shortcut for ``session.plugin_manager.hook``."""
        return self._plugin_manager.hook

    @property
    def stash(self) -> Stash:
        """Per-session state that plugins share on purpose, by `drupe.StashKey`."""
        return self._stash

    @property
    def secrets(self) -> SessionSecrets:
        """The secret values this session knows (``secret_values`` of each context, kept).

        ``session.secrets.scrubber()`` is what its errors, records and, while it
        is open, every log record of the process are scrubbed with.
        """
        return self._secrets

    def require_project(self) -> Project:
        """The session's project, for a plugin that cannot work without one.

        A project configured in this process after the session was created is
        found too. Otherwise: `MissingProviderError` when no plugin answers
        ``find_project`` (the project plugin is disabled), else `ProjectError`
        with Kedro's "Package name not found" and what to do.
        """
        if self._spec.project is not None:
            return self._spec.project
        start = self._spec.project_path
        manager = self._plugin_manager
        if not manager.hook.find_project.get_hookimpls():
            raise MissingProviderError(
                "no plugin answers find_project, so this session has no project: is the "
                "bundled 'project' plugin (drupe_project) disabled?",
                hook="find_project",
            )
        found: Project | None = manager.call("find_project", start=start)
        if found is not None:
            return found
        explained = manager.call("explain_missing_project", start=start)
        raise ProjectError(
            explained
            or f"no project was found from {start}: run from inside a project, or pass "
            f"--project / project_path"
        )

    @property
    def metadata(self) -> Mapping[str, Any]:
        """Free-form data plugins put on the draft in ``before_session_create`` (CLI context)."""
        return self._metadata

    def worker_spec(self) -> WorkerSpec:
        """What a worker process needs to re-create this session's plugins (picklable).

        Pass it to `drupe.init_worker` as a process pool's initializer and call
        `drupe.worker_plugin_manager` inside a task to fire hooks there.
        """
        from drupe.workers import WorkerSpec  # only sessions with workers pay for the class

        manager = self._plugin_manager
        return WorkerSpec(
            session_id=self.session_id,
            project=self.project,
            entry_points=manager.loaded_entry_points,
            disabled_plugins=manager.disabled_names(),
            start=str(self._spec.project_path),
        )

    @property
    def exception(self) -> BaseException | None:
        """The exception that ended the ``with`` block, if any."""
        return self._exception

    @property
    def closed(self) -> bool:
        return self._closed

    # -- lifecycle ----------------------------------------------------------

    @abstractmethod
    def load_context(self) -> Context:
        """Build (or return) the `Context`."""

    def run(
        self,
        pipeline_names: str | Iterable[str] | None = None,
        tags: str | Iterable[str] | None = None,
        runner: Any = None,
        node_names: str | Iterable[str] | None = None,
        from_nodes: str | Iterable[str] | None = None,
        to_nodes: str | Iterable[str] | None = None,
        from_inputs: str | Iterable[str] | None = None,
        to_outputs: str | Iterable[str] | None = None,
        load_versions: Mapping[str, str] | None = None,
        namespaces: str | Iterable[str] | None = None,
        only_missing_outputs: bool | None = None,
        *,
        pipeline_name: str | None = None,
        run_id: str | None = None,
        runtime_params: Mapping[str, Any] | None = None,
        **selection: Any,
    ) -> dict[str, Any]:
        """Run what the arguments select and return the run's free outputs.

        The named arguments are the bundled ``pipeline`` plugin's selection
        (Kedro's ``run()`` signature; ``pipeline_name`` is Kedro's single-name
        spelling); further keyword arguments are accepted for other
        executors. The kernel passes every argument given (``None`` means
        "not given") unread to the executor plugin, which checks them
        (``validate_selection``) before anything starts and gives them
        meaning (``execute_run``). ``run_id`` names the run (default: a new
        id); ``runtime_params`` is for a `ServiceSession`, whose runs each
        have their own.
        """
        arguments = dict(locals())
        extra = arguments.pop("selection")
        given = {
            name: value
            for name, value in arguments.items()
            if name not in _NOT_SELECTION and value is not None
        }
        given.update(extra)
        return self._run(given, run_id=run_id, runtime_params=runtime_params)

    @abstractmethod
    def _run(
        self,
        selection: dict[str, Any],
        *,
        run_id: str | None,
        runtime_params: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Run once: what `run` does after gathering its arguments."""

    def _request(
        self, selection: Mapping[str, Any], run_id: str | None, params: Mapping[str, Any]
    ) -> RunRequest:
        """The run's `RunRequest`, its selection checked by the executor plugin first."""
        frozen = freeze(selection)
        checked = self._plugin_manager.call("validate_selection", session=self, selection=frozen)
        return RunRequest(
            run_id=run_id or new_id(),
            session_id=self.session_id,
            runtime_params=params,
            selection=frozen if checked is None else checked,
        )

    def _new_context(
        self,
        runtime_params: Mapping[str, Any],
        loader: ConfigLoader,
        run_id: str | None,
        *,
        slot: object = None,
    ) -> Context:
        """A new `Context`; its secrets are learnt (under ``slot``) before any hook sees it."""
        context = Context(
            session_id=self.session_id,
            project=self.project,
            env=self.env,
            conf_source=self.conf_source,
            runtime_params=runtime_params,
            config_loader=loader,
            settings=self._settings,
            run_id=run_id,
        )
        self._secrets.learn(context, slot)
        self._plugin_manager.call("after_context_created", context=context)
        return context

    def _create_loader(self, runtime_params: Mapping[str, Any]) -> ConfigLoader:
        loader: ConfigLoader = self._plugin_manager.provide(
            "create_config_loader",
            project=self.project,
            env=self.env,
            conf_source=self.conf_source,
            runtime_params=MappingProxyType(dict(runtime_params)),
            settings=self._settings,
            plugin_manager=self._plugin_manager,
        )
        return loader

    def _execute(self, context: Context, run: RunRequest) -> dict[str, Any]:
        """Call the run hooks around ``execute_run``; the session is current meanwhile.

        An exception raised by an ``on_run_error`` implementation is logged
        and attached to the run's own error as a note: it never replaces it.
        """
        token = _current_session.set(self)
        manager = self._plugin_manager
        try:
            try:
                manager.call("before_run", session=self, run=run)
                result: dict[str, Any] = manager.provide(
                    "execute_run", session=self, context=context, run=run
                )
            except BaseException as error:
                self._secrets.scrub(error)  # before anyone reports it
                try:
                    manager.call("on_run_error", session=self, run=run, error=error)
                except BaseException as hook_error:
                    manager.report_secondary(error, hook_error, "on_run_error")
                raise
            try:
                manager.call("after_run", session=self, run=run, result=result)
            except BaseException as error:
                self._secrets.scrub(error)
                raise
            return result
        finally:
            _current_session.reset(token)

    def _check_open(self) -> None:
        if self._closed:
            raise SessionError(f"session {self.session_id} is closed; create a new one")

    def close(self, timeout: float | None = None) -> None:
        """Close the session: ``after_close`` hooks, then the store. Closing twice is harmless.

        New runs are refused from here on. A service session first waits up to
        ``timeout`` seconds (default: as long as it takes) for runs in flight;
        if some are still running then, ``close()`` returns and the session
        finishes closing when the last of them ends, so their records are
        never cut off.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if not self._wait_for_runs(timeout):
                return
        self._finish_close()

    def _finish_close(self) -> None:
        try:
            self._plugin_manager.call("after_close", session=self)
        except BaseException as error:
            self._secrets.scrub(error)
            raise
        finally:
            try:
                if self._store is not None:
                    self._store.close()
            finally:
                self._secrets.close()

    def _wait_for_runs(self, timeout: float | None) -> bool:
        """Called with the lock held once closing starts; True when no run is in flight."""
        return True

    def __enter__(self: S) -> S:
        self._tokens.append(_current_session.set(self))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self._exception = self._secrets.scrub(exc)  # before the store or the CLI shows it
        try:
            self.close()
        finally:
            if self._tokens:
                _current_session.reset(self._tokens.pop())

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<{type(self).__name__} {self.session_id} {state}>"


def _params_of(spec: SessionSpec) -> dict[str, Any]:
    """What a context made before any configuration is read is built from."""
    return {
        "session_id": spec.session_id,
        "project": spec.project,
        "env": spec.env,
        "conf_source": spec.conf_source,
        "runtime_params": spec.runtime_params,
    }


def _scrub_early(
    manager: PluginManager, spec: SessionSpec, settings: Any, error: BaseException
) -> None:
    """Scrub an error raised before the session exists, with what its runtime params tell."""
    if spec.runtime_params:
        secrets = SessionSecrets(manager.hook)
        secrets.scrub(error, extra=secrets.params_scrubber(**_params_of(spec), settings=settings))


def _start(project_path: str | os.PathLike[str] | None) -> Path:
    if not project_path:
        return Path.cwd()
    path = Path(project_path).expanduser().resolve()
    if not path.exists():
        raise ProjectError(
            f"project path {path} does not exist: pass the folder of a project "
            f"(the one with pyproject.toml) or a folder inside it"
        )
    return path


#: The arguments of ``run()`` that are not part of the selection.
_NOT_SELECTION = frozenset({"self", "run_id", "runtime_params"})


class Session(AbstractSession):
    """One run per session, as Kedro's ``KedroSession``.

    A second ``run()`` after a successful one raises `SessionError`; a run
    that failed may be retried in the same session.
    """

    kind = "session"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._context: Context | None = None
        self._run_state = "ready"  # ready -> running -> done (or back to ready on failure)

    @classmethod
    def create(
        cls,
        project_path: str | os.PathLike[str] | None = None,
        save_on_close: bool = True,
        env: str | None = None,
        runtime_params: Mapping[str, Any] | None = None,
        conf_source: str | os.PathLike[str] | None = None,
        *,
        plugins: Iterable[Any] = (),
        entry_points: bool = True,
        disable_plugins: Iterable[str] = (),
    ) -> Session:
        """Create a session.

        Args:
            project_path: where to look for the project (default: the current folder).
            save_on_close: ``False`` keeps no history at all (no store is opened).
            env: configuration environment (default: the config plugin's choice).
            runtime_params: parameters that override the project's ``parameters``.
            conf_source: a configuration folder or archive instead of the project's.
            plugins: plugin objects (modules, instances or classes) to register.
            entry_points: ``False`` registers only ``plugins`` (embedding).
            disable_plugins: plugin or distribution names not to load (like ``-p no:NAME``).
        """
        spec = SessionSpec(
            kind=cls.kind,
            session_id=new_id(),
            project_path=_start(project_path),
            env=env,
            conf_source=_conf_source(conf_source),
            runtime_params=dict(runtime_params or {}),
            save_on_close=save_on_close,
        )
        return cls._build(
            spec=spec,
            plugins=plugins,
            entry_points=entry_points,
            disable_plugins=disable_plugins,
            open_store=save_on_close,
        )

    @property
    def runtime_params(self) -> Mapping[str, Any]:
        return MappingProxyType(self._spec.runtime_params)

    @property
    def save_on_close(self) -> bool:
        return self._spec.save_on_close

    def load_context(self) -> Context:
        """Build the session's `Context` once; later calls return the same object."""
        with self._lock:
            self._check_open()
            if self._context is None:
                params = self._spec.runtime_params
                try:
                    self._context = self._new_context(params, self._create_loader(params), None)
                except BaseException as error:
                    self._secrets.scrub(error)  # before the store or the command line shows it
                    raise
            return self._context

    def _run(
        self,
        selection: dict[str, Any],
        *,
        run_id: str | None,
        runtime_params: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        if runtime_params is not None:
            raise SessionError(
                "a Session takes its runtime params at create: Session.create(runtime_params="
                "...); ServiceSession.run(runtime_params=...) gives each run its own"
            )
        with self._lock:
            self._check_open()
            if self._run_state == "running":
                raise SessionError(f"session {self.session_id} is already running")
            if self._run_state == "done":
                raise SessionError(
                    "this Session has already completed a run: a Session maps to exactly one "
                    "run; create a new Session, or use ServiceSession to run many times"
                )
            self._run_state = "running"
        succeeded = False
        try:
            context = self.load_context()
            run = self._request(selection, run_id, self._spec.runtime_params)
            result = self._execute(context, run)
            succeeded = True
            return result
        finally:
            with self._lock:
                self._run_state = "done" if succeeded else "ready"


class ServiceSession(AbstractSession):
    """Many runs per session, from many threads at once: a session to put behind a service.

    Project, settings, plugins and the parsed configuration are prepared once
    at create. Each run builds only its own `RunRequest`, runtime parameters
    and `Context`. ``close()`` refuses new runs and waits for those in flight.
    """

    kind = "service"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._base_loader: ConfigLoader | None = None
        # How a run's loader is made from its runtime params, decided once at create.
        self._loader_for: Callable[[Mapping[str, Any]], ConfigLoader] = self._create_loader
        self._in_flight: set[str] = set()
        self._close_when_idle = False
        self._idle = threading.Condition(self._lock)

    @classmethod
    def create(
        cls,
        session_id: str | None = None,
        project_path: str | os.PathLike[str] | None = None,
        env: str | None = None,
        conf_source: str | os.PathLike[str] | None = None,
        *,
        plugins: Iterable[Any] = (),
        entry_points: bool = True,
        disable_plugins: Iterable[str] = (),
    ) -> ServiceSession:
        """Create a service session; the arguments mean what they mean for `Session.create`."""
        spec = SessionSpec(
            kind=cls.kind,
            session_id=session_id or new_id(),
            project_path=_start(project_path),
            env=env,
            conf_source=_conf_source(conf_source),
        )
        session = cls._build(
            spec=spec,
            plugins=plugins,
            entry_points=entry_points,
            disable_plugins=disable_plugins,
            open_store=True,
        )
        try:
            base = session._base_loader = session._create_loader({})
            if isinstance(base, RuntimeParamsAware):
                session._loader_for = base.with_runtime_params  # derive, do not re-read
        except BaseException as exc:
            session._exception = session._secrets.scrub(exc)
            session.close()
            raise
        return session

    def load_context(
        self, runtime_params: Mapping[str, Any] | None = None, *, run_id: str | None = None
    ) -> Context:
        """Build a fresh `Context` for these runtime parameters (nothing is re-read from disk
        when the config loader supports ``with_runtime_params``)."""
        self._check_open()
        return self._build_context(dict(runtime_params or {}), run_id, slot=None)

    def _build_context(
        self, params: dict[str, Any], run_id: str | None, *, slot: object
    ) -> Context:
        """The body of `load_context`, without the open check: a run admitted before
        ``close()`` began must finish even when the session closes meanwhile.

        Its secrets are kept under ``slot``: the run's id for a run (forgotten
        when it ends), ``None`` for ``load_context()`` (the last one counts).
        """
        try:
            base = self._base_loader
            loader = self._loader_for(params) if params or base is None else base
            return self._new_context(params, loader, run_id, slot=slot)
        except BaseException as error:
            # The run's context may not exist: what its parameters alone tell, too.
            self._secrets.scrub(error, extra=self._secrets.params_scrubber(**self._params(params)))
            raise

    def _params(self, runtime_params: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **_params_of(self._spec),
            "runtime_params": runtime_params,
            "settings": self._settings,
        }

    def _run(
        self,
        selection: dict[str, Any],
        *,
        run_id: str | None,
        runtime_params: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """One run with its own runtime parameters; safe to call from many threads at once."""
        run_id = run_id or new_id()
        with self._lock:
            self._check_open()
            if run_id in self._in_flight:
                raise SessionError(f"a run with id {run_id!r} is already in flight")
            self._in_flight.add(run_id)
        try:
            params = dict(runtime_params or {})
            run = self._request(selection, run_id, params)
            context = self._build_context(params, run_id, slot=run_id)
            return self._execute(context, run)
        finally:
            self._secrets.forget(run_id)  # after the hooks: the store scrubbed the run's records
            with self._lock:
                self._in_flight.discard(run_id)
                finish_close = False
                if not self._in_flight:
                    self._idle.notify_all()
                    finish_close, self._close_when_idle = self._close_when_idle, False
            if finish_close:
                self._finish_close()  # close() timed out while this run was going

    async def arun(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """``run()`` for asyncio callers: the work runs in a worker thread, off the event loop."""
        import asyncio

        return await asyncio.to_thread(self.run, *args, **kwargs)

    @property
    def runs_in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def _wait_for_runs(self, timeout: float | None) -> bool:
        idle = self._idle.wait_for(lambda: not self._in_flight, timeout=timeout)
        self._close_when_idle = not idle
        return idle
