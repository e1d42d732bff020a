"""Test helpers for drupe and its plugin authors: an opt-in pytest plugin.

Enable it in a ``conftest.py``::

    pytest_plugins = ["drupe.testing"]

Fixtures:

* ``make_project``: write a project (``pyproject.toml`` with ``[tool.drupe]``,
  a package under ``src/``, any extra files) into a temporary folder;
* ``hook_recorder``: a `HookRecorder` plugin to pass in ``plugins=[...]`` that
  records every hook call of a session, in order;
* ``session_factory``: create sessions (closed at teardown) with the plugins
  you choose.

Plain helpers usable without pytest: `write_project`, `write_distribution`
(a real ``.dist-info`` with ``drupe.plugins`` entry points), `HookRecorder`, `StaticConfig` (answers
``create_config_loader`` from a dict) and `FunctionExecutor` (answers
``execute_run`` by calling a function), so a test of a single plugin needs no
other plugin.
"""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pluggy
import pytest

from drupe.context import Context
from drupe.markers import hookimpl
from drupe.run_request import RunRequest
from drupe.session import AbstractSession, ServiceSession, Session


@attrs.frozen
class HookCall:
    """One recorded hook call."""

    name: str
    kwargs: Mapping[str, Any]
    thread: str


class HookRecorder:
    """Records every hook call of the session it is registered in.

    It attaches through ``add_hookspecs`` (which receives the plugin
    manager) with pluggy's hook-call monitoring, so it sees every call from
    ``before_session_create`` on and needs no implementation of each hook.
    `detach` stops recording (pluggy's undo).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[HookCall] = []
        self._undo: Callable[[], None] | None = None

    def detach(self) -> None:
        """Stop recording: remove the monitoring from the session's plugin manager."""
        undo, self._undo = self._undo, None
        if undo is not None:
            undo()

    @hookimpl
    def add_hookspecs(self, plugin_manager: pluggy.PluginManager) -> None:
        def before(name: str, impls: Any, kwargs: Mapping[str, Any]) -> None:
            with self._lock:
                self.calls.append(HookCall(name, dict(kwargs), threading.current_thread().name))

        def after(outcome: Any, name: str, impls: Any, kwargs: Mapping[str, Any]) -> None:
            return None

        self._undo = plugin_manager.add_hookcall_monitoring(before, after)

    def names(self, *, exclude: tuple[str, ...] = ("add_hookspecs", "cli_commands")) -> list[str]:
        """The names of the recorded calls, in order."""
        with self._lock:
            return [call.name for call in self.calls if call.name not in exclude]

    def named(self, name: str) -> list[HookCall]:
        """The recorded calls of one hook."""
        with self._lock:
            return [call for call in self.calls if call.name == name]


@attrs.define
class StaticConfigLoader:
    """A read-only mapping of configuration, with runtime params applied to ``parameters``."""

    config: Mapping[str, Any]
    runtime_params: Mapping[str, Any] = attrs.field(factory=dict)

    def __getitem__(self, key: str) -> Any:
        value = self.config[key]
        if key == "parameters":
            return _deep_merge(dict(value or {}), self.runtime_params)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self.config

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self.config else default

    def with_runtime_params(self, runtime_params: Mapping[str, Any]) -> StaticConfigLoader:
        return StaticConfigLoader(self.config, runtime_params)


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            base[key] = _deep_merge(dict(base[key]), value)
        else:
            base[key] = value
    return base


class StaticConfig:
    """A plugin answering ``create_config_loader`` from a dict (``{"parameters": {...}}``)."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config = dict(config or {"parameters": {}})

    @hookimpl
    def create_config_loader(self, runtime_params: Mapping[str, Any]) -> StaticConfigLoader:
        return StaticConfigLoader(self.config, dict(runtime_params))


class FunctionExecutor:
    """A plugin answering ``execute_run`` by calling ``function(context, run)``."""

    def __init__(self, function: Callable[[Context, RunRequest], dict[str, Any]]) -> None:
        self.function = function

    @hookimpl
    def execute_run(self, context: Context, run: RunRequest) -> dict[str, Any]:
        return self.function(context, run)


def write_project(
    root: Path,
    package_name: str = "demo_project",
    *,
    files: Mapping[str, str] | None = None,
    tool: Mapping[str, Any] | None = None,
) -> Path:
    """Write a minimal project at ``root`` and return ``root``.

    ``files`` maps relative paths to contents (dedented). ``tool`` adds keys
    to ``[tool.drupe]`` (strings, booleans and lists of strings).
    """
    root.mkdir(parents=True, exist_ok=True)
    table = {"package_name": package_name, **(tool or {})}
    lines = [
        "[project]",
        f'name = "{package_name.replace("_", "-")}"',
        'version = "0.1.0"',
        "",
        "[tool.drupe]",
    ]
    lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    package = root / "src" / package_name
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").touch()
    for relative, content in (files or {}).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def write_distribution(
    site: Path,
    name: str,
    *,
    version: str = "1.0",
    plugins: Mapping[str, str],
    modules: Mapping[str, str] | None = None,
) -> Path:
    """Install a real (tiny) distribution into the folder ``site``; return ``site``.

    ``plugins`` maps plugin names to entry-point values (``"module:attr"``)
    in the ``drupe.plugins`` group; ``modules`` maps file names (relative to
    ``site``) to source. Put ``site`` on ``sys.path`` (or ``PYTHONPATH``) and
    drupe finds the plugins exactly as it finds installed ones.
    """
    dist_info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = ["[drupe.plugins]", *(f"{k} = {v}" for k, v in plugins.items())]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for relative, source in (modules or {}).items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return site


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_project(package_name="demo", files={...}, tool={...}, name="proj")``."""
    counter = iter(range(1_000_000))

    def factory(
        package_name: str = "demo_project",
        *,
        files: Mapping[str, str] | None = None,
        tool: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> Path:
        root = tmp_path / (name or f"project{next(counter)}")
        return write_project(root, package_name, files=files, tool=tool)

    return factory


@pytest.fixture
def hook_recorder() -> HookRecorder:
    """A fresh `HookRecorder`; pass it in ``plugins=[hook_recorder]``."""
    return HookRecorder()


class SessionFactory:
    """Creates sessions and closes every one of them at teardown."""

    def __init__(self) -> None:
        self.sessions: list[AbstractSession] = []

    def session(self, *args: Any, **kwargs: Any) -> Session:
        session = Session.create(*args, **kwargs)
        self.sessions.append(session)
        return session

    def service(self, *args: Any, **kwargs: Any) -> ServiceSession:
        session = ServiceSession.create(*args, **kwargs)
        self.sessions.append(session)
        return session

    def close_all(self) -> None:
        for session in self.sessions:
            session.close()


@pytest.fixture
def session_factory() -> Iterator[SessionFactory]:
    """`SessionFactory`: ``session_factory.session(...)`` / ``.service(...)``."""
    factory = SessionFactory()
    yield factory
    factory.close_all()
