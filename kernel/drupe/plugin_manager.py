"""The plugin manager: one per session, loaded from entry points or given explicitly.

Rules it enforces (see docs/plugins.md):

* one name everywhere: an entry point's name is the plugin's registration
  name, the name ``drupe info`` shows and the name that disables it;
* a disabled plugin is never imported;
* every registration is validated, and an implementation of a hook nobody
  specified is an error, never a silent no-op;
* a provider hook that nobody answers fails with an error naming the hook
  and the bundled plugin that normally answers it.

The entry-point scan is the only process-wide state here, and it is a cache
keyed by ``sys.path``: a test that puts a distribution on the path sees it.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
import types
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pluggy

from drupe import hookspecs
from drupe.errors import MissingProviderError, PluginError
from drupe.markers import PROJECT_NAME

ENTRY_POINT_GROUP = "drupe.plugins"
DISABLE_ENV_VAR = "DRUPE_DISABLE_PLUGINS"
TRACE_ENV_VAR = "DRUPE_TRACE_HOOKS"

#: Which bundled plugin normally answers each provider hook (for error messages only).
BUNDLED_PROVIDERS: Mapping[str, str] = {
    "find_project": "project",
    "load_settings": "settings",
    "create_config_loader": "config",
    "execute_run": "pipeline",
    "open_store": "store",
    "get_pipelines": "pipeline",
    "get_catalog": "pipeline",
}


def canonical_name(name: str) -> str:
    """Fold a plugin or distribution name so that ``drupe-X``, ``drupe_x`` and ``Drupe.x`` match."""
    return re.sub(r"[-_.]+", "_", name.strip()).lower()


class EntryPointPlugin(NamedTuple):
    """One entry point of the ``drupe.plugins`` group, not yet imported."""

    name: str
    value: str
    distribution: str | None
    version: str | None


class PluginInfo(NamedTuple):
    """What ``drupe info`` shows about one plugin (an immutable record)."""

    name: str
    distribution: str | None
    version: str | None
    source: str  # "entry point", "explicit" or "settings"
    enabled: bool
    hooks: tuple[str, ...] = ()
    disabled_by: str | None = None


_scan_lock = threading.Lock()
_scan_cache: dict[str, tuple[EntryPointPlugin, ...]] = {}
CACHE_ENV_VAR = "DRUPE_CACHE_DIR"
NO_CACHE_ENV_VAR = "DRUPE_NO_CACHE"


def entry_point_plugins() -> tuple[EntryPointPlugin, ...]:
    """The ``drupe.plugins`` entry points on the current ``sys.path``, sorted by name.

    Scanning every installed distribution costs tens of milliseconds, more
    than the rest of ``drupe --help``, so the result is cached in the process
    and on disk. The key is the interpreter, ``sys.path`` and the modification
    time of every folder on it: installing, removing or upgrading a
    distribution changes its folder's time, so a stale answer is not served.
    Two distributions claiming the same plugin name is an error: the name
    must mean one thing.
    """
    key = _scan_key()
    cached = _scan_cache.get(key)
    if cached is not None:
        return cached
    with _scan_lock:
        cached = _scan_cache.get(key)
        if cached is None:
            cached = _read_disk_cache(key)
            if cached is None:
                cached = _scan()
                _write_disk_cache(key, cached)
            _scan_cache[key] = cached
    return cached


def _scan_key() -> str:
    parts = [sys.executable, sys.version]
    cwd = os.getcwd()
    for entry in sys.path:
        if entry in ("", cwd):
            # The working folder (python -c / -m) changes all the time and holds no
            # installed distributions; its time would only defeat the cache.
            parts.append(f"{entry}\0cwd")
            continue
        try:
            parts.append(f"{entry}\0{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            parts.append(f"{entry}\0-")
    return "\n".join(parts)


def _cache_file(key: str) -> Path | None:
    if os.environ.get(NO_CACHE_ENV_VAR, "").strip() not in {"", "0"}:
        return None
    folder = os.environ.get(CACHE_ENV_VAR) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "drupe",
    )
    import zlib

    return Path(folder) / f"entry-points-{zlib.crc32(key.encode()):08x}.json"


def _read_disk_cache(key: str) -> tuple[EntryPointPlugin, ...] | None:
    path = _cache_file(key)
    if path is None:
        return None
    try:
        import json

        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        return tuple(EntryPointPlugin(**item) for item in data["plugins"])
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _write_disk_cache(key: str, plugins: tuple[EntryPointPlugin, ...]) -> None:
    path = _cache_file(key)
    if path is None:
        return
    try:
        import json

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        payload = {"key": key, "plugins": [p._asdict() for p in plugins]}
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, path)
        _prune_disk_cache(path.parent, keep=path)
    except OSError:
        pass  # a read-only home only costs the next process a scan


#: The disk cache keeps at most this many scans (one per interpreter and sys.path).
CACHE_MAX_FILES = 16


def _prune_disk_cache(folder: Path, keep: Path) -> None:
    """Remove the least recently written scans beyond `CACHE_MAX_FILES` (a few kB each)."""
    files = sorted(folder.glob("entry-points-*.json"), key=lambda f: f.stat().st_mtime_ns)
    for old in files[: max(0, len(files) - CACHE_MAX_FILES)]:
        if old != keep:
            old.unlink(missing_ok=True)


def _scan() -> tuple[EntryPointPlugin, ...]:
    import importlib_metadata

    found: dict[str, EntryPointPlugin] = {}
    for ep in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        plugin = EntryPointPlugin(
            name=ep.name,
            value=ep.value,
            distribution=dist.name if dist is not None else None,
            version=dist.version if dist is not None else None,
        )
        other = found.get(ep.name)
        if other is not None and other != plugin:
            raise PluginError(
                f"two distributions register the drupe plugin {ep.name!r}: "
                f"{other.distribution} ({other.value}) and {plugin.distribution} "
                f"({plugin.value}); uninstall one of them"
            )
        found[ep.name] = plugin
    return tuple(sorted(found.values(), key=lambda p: p.name))


class Blocklist:
    """Plugin names (or distribution names) that must not be loaded, and why."""

    def __init__(self) -> None:
        self.reasons: dict[str, str] = {}
        self.matched: set[str] = set()

    def add(self, names: Iterable[str], reason: str) -> None:
        for name in names:
            if name and name.strip():
                self.reasons.setdefault(canonical_name(name), reason)

    @classmethod
    def from_sources(
        cls,
        explicit: Iterable[str] = (),
        environ: Mapping[str, str] | None = None,
        project_list: Iterable[str] = (),
    ) -> Blocklist:
        """Combine the three routes that act before import: CLI/argument, environment, pyproject."""
        blocklist = cls()
        blocklist.add(explicit, "-p no:NAME / disable_plugins")
        env = os.environ if environ is None else environ
        blocklist.add(env.get(DISABLE_ENV_VAR, "").split(","), DISABLE_ENV_VAR)
        blocklist.add(project_list, "[tool.drupe] disable_plugins")
        return blocklist

    def reason_for(self, name: str, distribution: str | None = None) -> str | None:
        """Why this plugin is blocked, or ``None`` if it is not."""
        for candidate in (name, distribution):
            if candidate:
                key = canonical_name(candidate)
                reason = self.reasons.get(key)
                if reason is not None:
                    self.matched.add(key)
                    return reason
        return None

    def unmatched(self) -> dict[str, str]:
        """Blocked names that matched no plugin so far (likely typos), with their route."""
        return {name: why for name, why in self.reasons.items() if name not in self.matched}

    def names(self) -> tuple[str, ...]:
        return tuple(self.reasons)


def _warn_unmatched(unmatched: Mapping[str, str], plugins: Sequence[EntryPointPlugin]) -> None:
    import difflib
    import logging

    known = sorted(
        {p.name for p in plugins} | {canonical_name(p.distribution or "") for p in plugins}
    )
    for name, route in unmatched.items():
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        logging.getLogger("drupe").warning(
            "%s names %r, which is no installed plugin or distribution%s; plugins: %s",
            route,
            name,
            hint,
            ", ".join(sorted(p.name for p in plugins)),
        )


def _disable_hint(name: str) -> str:
    return f"disable it with `-p no:{name}` or {DISABLE_ENV_VAR}={name}"


class PluginManager(pluggy.PluginManager):
    """drupe's pluggy manager: validated registration, provider calls, plugin records."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self._infos: dict[str, PluginInfo] = {}
        self._finalized = False
        if os.environ.get(TRACE_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}:
            self._enable_tracing()

    # -- loading ----------------------------------------------------------

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> pluggy.HookimplOpts | None:
        """Look only at what a module plugin really defines.

        pluggy inspects every name ``dir(plugin)`` lists. A plugin package that
        loads its public API lazily (module ``__getattr__`` listing names in
        ``__dir__``) would then import everything at registration, which is
        on every command's start-up path.
        """
        if name.startswith("__") or (
            isinstance(plugin, types.ModuleType) and name not in vars(plugin)
        ):
            return None  # dunders are never hooks; a lazy module attribute stays unloaded
        return super().parse_hookimpl_opts(plugin, name)

    def load_entry_points(self, blocklist: Blocklist) -> None:
        """Import and register every entry-point plugin that is not blocked.

        A blocked name that matches no plugin is most likely a typo: it is
        logged as a warning with the close matches, since the user believes
        something is disabled that is not.
        """
        plugins = entry_point_plugins()
        for ep in plugins:
            reason = blocklist.reason_for(ep.name, ep.distribution)
            if reason is not None:
                self._infos[ep.name] = PluginInfo(
                    ep.name, ep.distribution, ep.version, "entry point", False, (), reason
                )
                continue
            plugin = self._import(ep)
            self.register_plugin(
                plugin,
                name=ep.name,
                distribution=ep.distribution,
                version=ep.version,
                source="entry point",
            )

        unmatched = blocklist.unmatched()
        if unmatched:
            _warn_unmatched(unmatched, plugins)

    def _import(self, ep: EntryPointPlugin) -> Any:
        import importlib

        module_name, _, attr = ep.value.partition(":")
        try:
            obj: Any = importlib.import_module(module_name.strip())
            for part in filter(None, attr.strip().split(".")):
                obj = getattr(obj, part)
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} ({_origin(ep.distribution, ep.version)}) failed to import "
                f"{ep.value!r}: {type(exc).__name__}: {exc}; {_disable_hint(ep.name)}"
            ) from exc
        return obj

    def register_plugin(
        self,
        plugin: Any,
        name: str | None = None,
        *,
        distribution: str | None = None,
        version: str | None = None,
        source: str = "explicit",
    ) -> Any:
        """Register ``plugin`` (a module, an object, or a class to instantiate) under ``name``.

        A class is instantiated once for this manager, so a plugin written as
        a class gets per-session state for free.
        """
        if isinstance(plugin, type):
            try:
                plugin = plugin()
            except Exception as exc:
                raise PluginError(
                    f"plugin {name or plugin.__name__!r} ({_origin(distribution, version)}) "
                    f"could not be instantiated: {type(exc).__name__}: {exc}"
                ) from exc
        name = name or self._default_name(plugin)
        try:
            self.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(
                f"plugin {name!r} ({_origin(distribution, version)}) is invalid: "
                f"{'; '.join(line.strip() for line in str(exc).splitlines() if line.strip())}; "
                f"{_disable_hint(name)}"
            ) from exc
        except ValueError as exc:
            raise PluginError(f"plugin {name!r} could not be registered: {exc}") from exc
        self._infos[name] = PluginInfo(
            name, distribution, version, source, True, self._hook_names(plugin)
        )
        return plugin

    def _default_name(self, plugin: Any) -> str:
        """A readable name for a plugin given without one: its module or class name."""
        if isinstance(plugin, types.ModuleType):
            base = plugin.__name__
        else:
            base = type(plugin).__qualname__
        name, number = base, 1
        while self.has_plugin(name) or name in self._infos:
            number += 1
            name = f"{base}-{number}"
        return name

    def finalize(self) -> None:
        """Let plugins add their hook specs, then reject implementations of unknown hooks."""
        if self._finalized:
            return
        self._finalized = True
        self.hook.add_hookspecs(plugin_manager=self)
        self.validate()

    def validate(self) -> None:
        """Fail on any implementation whose hook has no specification."""
        for hook_name in dir(self.hook):
            if hook_name.startswith("_"):
                continue
            caller = getattr(self.hook, hook_name)
            if not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                info = self._infos.get(impl.plugin_name)
                origin = _origin(info.distribution, info.version) if info else "explicit plugin"
                raise PluginError(
                    f"plugin {impl.plugin_name!r} ({origin}) implements unknown hook "
                    f"{hook_name!r}: check the name against drupe.hookspecs (or the plugin "
                    f"that adds it); {_disable_hint(impl.plugin_name)}"
                )
        # Refresh the recorded hook names now that every spec is known.
        for name, info in list(self._infos.items()):
            plugin = self.get_plugin(name)
            if plugin is not None:
                self._infos[name] = info._replace(hooks=self._hook_names(plugin))

    def disable(self, name: str, reason: str) -> bool:
        """Unregister a plugin by plugin or distribution name; return whether one matched."""
        wanted = canonical_name(name)
        matched = False
        for plugin_name, info in list(self._infos.items()):
            if not info.enabled:
                continue
            if wanted in {canonical_name(plugin_name), canonical_name(info.distribution or "")}:
                plugin = self.get_plugin(plugin_name)
                if plugin is not None:
                    self.unregister(plugin)
                self._infos[plugin_name] = info._replace(enabled=False, disabled_by=reason)
                matched = True
        return matched

    # -- queries ----------------------------------------------------------

    def plugin_infos(self) -> list[PluginInfo]:
        """Every plugin seen by this manager, enabled or not, in registration order."""
        return list(self._infos.values())

    def disabled_names(self) -> tuple[str, ...]:
        """Names of the plugins that are disabled (for worker processes to repeat)."""
        return tuple(name for name, info in self._infos.items() if not info.enabled)

    def provide(self, hook_name: str, /, **kwargs: Any) -> Any:
        """Call a provider hook and insist on an answer.

        Raises `MissingProviderError` naming the hook and the bundled plugin
        that normally answers it when no implementation returned a value.
        """
        result = getattr(self.hook, hook_name)(**kwargs)
        if result is None:
            bundled = BUNDLED_PROVIDERS.get(hook_name)
            suggestion = (
                f": is the bundled {bundled!r} plugin (drupe_{bundled}) disabled?"
                if bundled
                else ""
            )
            raise MissingProviderError(f"no plugin answers {hook_name}{suggestion}")
        return result

    def _hook_names(self, plugin: Any) -> tuple[str, ...]:
        callers = self.get_hookcallers(plugin) or []
        return tuple(sorted(caller.name for caller in callers))

    # -- tracing ----------------------------------------------------------

    def _enable_tracing(self) -> None:
        import logging

        log = logging.getLogger("drupe.hooks")
        local = threading.local()

        def before(
            hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]
        ) -> None:
            stack = getattr(local, "stack", None)
            if stack is None:
                stack = local.stack = []
            stack.append(time.perf_counter())
            log.info("hook %s -> [%s]", hook_name, ", ".join(impl.plugin_name for impl in impls))

        def after(
            outcome: Any,
            hook_name: str,
            impls: Sequence[pluggy.HookImpl],
            kwargs: Mapping[str, Any],
        ) -> None:
            started = local.stack.pop()
            failed = outcome.exception is not None
            log.info(
                "hook %s done in %.3f ms%s",
                hook_name,
                (time.perf_counter() - started) * 1000,
                " (raised)" if failed else "",
            )

        self.add_hookcall_monitoring(before, after)


def build_plugin_manager(
    *,
    start: Path,
    plugins: Iterable[Any] = (),
    entry_points: bool = True,
    disable_plugins: Iterable[str] = (),
) -> PluginManager:
    """A validated manager with the entry-point plugins (unless blocked) and ``plugins``.

    Blocking acts before import, from three routes: ``disable_plugins`` (the
    CLI's ``-p no:NAME``), the ``DRUPE_DISABLE_PLUGINS`` environment variable
    and ``[tool.drupe] disable_plugins`` of the project containing ``start``.
    """
    from drupe._pyproject import project_disable_list

    manager = PluginManager()
    if entry_points:
        blocklist = Blocklist.from_sources(
            explicit=disable_plugins, project_list=project_disable_list(start)
        )
        manager.load_entry_points(blocklist)
    for plugin in plugins:
        manager.register_plugin(plugin)
    manager.finalize()
    return manager


def _origin(distribution: str | None, version: str | None) -> str:
    if distribution is None:
        return "explicit plugin"
    return f"distribution {distribution} {version or ''}".rstrip()
