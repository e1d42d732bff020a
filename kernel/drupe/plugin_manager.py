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

import contextlib
import fnmatch
import os
import re
import sys
import threading
import time
import types
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import pluggy

from drupe import hookspecs
from drupe.cache_dir import cache_folder, store_file
from drupe.errors import DrupeError, MissingProviderError, PluginError
from drupe.hook_markers import ASK_PLUGGY, marker_options
from drupe.markers import PROJECT_NAME

if TYPE_CHECKING:
    from drupe.plugin_template import CallerPlan

ENTRY_POINT_GROUP = "drupe.plugins"
DISABLE_ENV_VAR = "DRUPE_DISABLE_PLUGINS"
TRACE_ENV_VAR = "DRUPE_TRACE_HOOKS"
#: The attributes pluggy's markers set on a decorated function (``PROJECT_NAME`` + suffix).
IMPL_MARKER = f"{PROJECT_NAME}_impl"
SPEC_MARKER = f"{PROJECT_NAME}_spec"

#: Which bundled plugin normally answers each provider hook (for error messages only).
BUNDLED_PROVIDERS: Mapping[str, str] = {
    "find_project": "project",
    "load_settings": "settings",
    "create_config_loader": "config",
    "execute_run": "pipeline",
    "open_store": "store",
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


class HookSource(NamedTuple):
    """Which plugin's implementation of which hook raised an exception."""

    plugin: str
    distribution: str | None
    version: str | None
    hook: str

    def describe(self) -> str:
        origin = _origin(self.distribution, self.version)
        return f"plugin {self.plugin!r} ({origin}) in hook {self.hook}"


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
#: Scans by key, the most recent few (a long-lived process sees one or two keys).
_scan_cache: dict[str, tuple[EntryPointPlugin, ...]] = {}
SCAN_CACHE_SIZE = 8


def _after_fork_in_child() -> None:
    """A lock held by another thread at ``fork`` would stay held forever in the child."""
    global _scan_lock
    _scan_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


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
            while len(_scan_cache) > SCAN_CACHE_SIZE:
                del _scan_cache[next(iter(_scan_cache))]
    return cached


def entry_point_scan_key() -> str:
    """What the entry-point scan depends on (interpreter, ``sys.path``, folder times)."""
    return _scan_key()


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
    folder = cache_folder()
    if folder is None:
        return None
    import zlib

    return folder / f"entry-points-{zlib.crc32(key.encode()):08x}.json"


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
    import json

    payload = {"key": key, "plugins": [p._asdict() for p in plugins]}
    store_file(
        path, json.dumps(payload).encode(), pattern="entry-points-*.json", max_files=CACHE_MAX_FILES
    )


#: The disk cache keeps at most this many scans (one per interpreter and sys.path).
CACHE_MAX_FILES = 16


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
        #: Whether every registration so far has been validated (`validate` then costs nothing).
        self._validated = False
        #: Hook-name families claimed by spec modules (``HOOK_NAME_PATTERNS``), with their owner.
        self._families: list[tuple[tuple[str, ...], str]] = []
        #: Entry-point plugins that failed to load in a tolerant manager, by name.
        self.broken: dict[str, PluginError] = {}
        #: Plugins registered from a class, by name: a session's copy makes new instances.
        self._classes: dict[str, type] = {}
        #: Whether this manager loaded the ``drupe.plugins`` entry points (workers repeat it).
        self.loaded_entry_points = False
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
        if name.startswith("_") or (
            isinstance(plugin, types.ModuleType) and name not in vars(plugin)
        ):
            return None  # hook names never start with _; a lazy module attribute stays unloaded
        options = marker_options(plugin, name, IMPL_MARKER)
        if options is ASK_PLUGGY:
            return super().parse_hookimpl_opts(plugin, name)
        return cast("pluggy.HookimplOpts | None", options)

    def parse_hookspec_opts(self, module_or_class: Any, name: str) -> pluggy.HookspecOpts | None:
        """pluggy's answer, read from the namespace when it is plain (`drupe.hook_markers`)."""
        options = marker_options(module_or_class, name, SPEC_MARKER)
        if options is ASK_PLUGGY:
            return super().parse_hookspec_opts(module_or_class, name)
        return cast("pluggy.HookspecOpts | None", options)

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        self._validated = False
        return super().register(plugin, name)

    def add_hookspecs(self, module_or_class: Any) -> None:
        """Add hook specifications, and the hook-name family they claim, if any."""
        self._validated = False
        super().add_hookspecs(module_or_class)
        patterns = getattr(module_or_class, "HOOK_NAME_PATTERNS", ())
        if patterns:
            owner = getattr(module_or_class, "__name__", repr(module_or_class))
            self._families.append((tuple(patterns), owner))

    def load_entry_points(self, blocklist: Blocklist, *, tolerant: bool = False) -> None:
        """Import and register every entry-point plugin that is not blocked.

        A blocked name that matches no plugin is most likely a typo: it is
        logged as a warning with the close matches, since the user believes
        something is disabled that is not. ``tolerant`` (the ``drupe``
        command's own manager, which lists commands) keeps a plugin that
        fails to load in `broken` instead of failing: the others still work.
        """
        self.loaded_entry_points = True
        plugins = entry_point_plugins()
        for ep in plugins:
            reason = blocklist.reason_for(ep.name, ep.distribution)
            if reason is not None:
                self._infos[ep.name] = PluginInfo(
                    ep.name, ep.distribution, ep.version, "entry point", False, (), reason
                )
                continue
            try:
                plugin = self._import(ep)
                self.register_plugin(
                    plugin,
                    name=ep.name,
                    distribution=ep.distribution,
                    version=ep.version,
                    source="entry point",
                )
            except PluginError as exc:
                if not tolerant:
                    raise
                self.broken[ep.name] = exc
                self._infos[ep.name] = PluginInfo(
                    ep.name, ep.distribution, ep.version, "entry point", False, (), "broken"
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
                f"{ep.value!r}: {type(exc).__name__}: {exc}; {_disable_hint(ep.name)}",
                plugin=ep.name,
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
        plugin_class = plugin if isinstance(plugin, type) else None
        if plugin_class is not None:
            try:
                plugin = plugin_class()
            except Exception as exc:
                raise PluginError(
                    f"plugin {name or plugin.__name__!r} ({_origin(distribution, version)}) "
                    f"could not be instantiated: {type(exc).__name__}: {exc}",
                    plugin=name or plugin.__name__,
                ) from exc
        name = name or self._default_name(plugin)
        try:
            self.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(
                f"plugin {name!r} ({_origin(distribution, version)}) is invalid: "
                f"{'; '.join(line.strip() for line in str(exc).splitlines() if line.strip())}; "
                f"{_disable_hint(name)}",
                plugin=name,
            ) from exc
        except ValueError as exc:
            raise PluginError(
                f"plugin {name!r} could not be registered: {exc}", plugin=name
            ) from exc
        hooks = self._hook_names(plugin)
        if not hooks and source == "explicit" and isinstance(plugin, types.ModuleType):
            self.unregister(plugin)
            raise PluginError(
                f"plugin {name!r} ({_origin(distribution, version)}) is the module "
                f"{plugin.__name__}, which implements no hook: if the package names a plugin "
                f"class (drupe_config.ConfigPlugin, say), register the class",
                plugin=name,
            )
        self._infos[name] = PluginInfo(name, distribution, version, source, True, hooks)
        if plugin_class is not None:
            self._classes[name] = plugin_class
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
        """Let plugins add their hook specs, then reject implementations of unknown hooks.

        Plugins registered after this (settings ``HOOKS``, the explicit
        plugins of a session copied from a template) get ``add_hookspecs``
        at registration, since the call is historic; `validate` checks them.
        """
        if self._finalized:
            return
        self._finalized = True
        # Historic: a plugin registered later (settings.HOOKS) gets the call at once.
        self.hook.add_hookspecs.call_historic(kwargs={"plugin_manager": self})
        self.validate()

    def validate(self) -> None:
        """Fail on any implementation whose hook has no specification.

        ``optionalhook`` implementations are allowed for hooks that may not
        exist (the plugin that specifies them is disabled), except in a
        family of names claimed by a registered spec module: there a name
        without a spec is a typo.
        """
        if self._validated:
            return  # nothing was registered or specified since the last check
        for hook_name in dir(self.hook):
            if hook_name.startswith("_"):
                continue
            caller = getattr(self.hook, hook_name)
            if not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
                continue
            owner = self._family_owner(hook_name)
            for impl in caller.get_hookimpls():
                if impl.optionalhook and owner is None:
                    continue
                info = self._infos.get(impl.plugin_name)
                origin = _origin(info.distribution, info.version) if info else "explicit plugin"
                where = owner or "drupe.hookspecs (or the plugin that adds it)"
                raise PluginError(
                    f"plugin {impl.plugin_name!r} ({origin}) implements unknown hook "
                    f"{hook_name!r}: no hook of {where} has that name"
                    f"{self._did_you_mean(hook_name)}; {_disable_hint(impl.plugin_name)}",
                    plugin=impl.plugin_name,
                    hook=hook_name,
                )
        # Refresh the recorded hook names now that every spec is known: one walk
        # over the callers for all plugins (pluggy's get_hookcallers walks them all per plugin).
        from drupe.plugin_template import implementing_plugins

        hooks_of: dict[int, list[str]] = {}
        for caller in vars(self.hook).values():
            if isinstance(caller, pluggy.HookCaller):
                for plugin in implementing_plugins(caller):  # binds nothing
                    hooks_of.setdefault(id(plugin), []).append(caller.name)
        for name, info in list(self._infos.items()):
            plugin = self.get_plugin(name)
            if plugin is not None:
                hooks = tuple(sorted(set(hooks_of.get(id(plugin), ()))))
                self._infos[name] = info._replace(hooks=hooks)
        self._validated = True

    # -- per-session copies (see drupe.plugin_template) -----------------------

    def plugin_factories(self) -> dict[str, type]:
        """The plugins registered from a class, by name (each copy instantiates them anew)."""
        return dict(self._classes)

    def copy_for_session(
        self, factories: Mapping[str, Any], plan: Sequence[CallerPlan] | None = None
    ) -> PluginManager:
        """A new manager with this one's plugins, specs and validation, without inspecting again.

        Plugins named in ``factories`` get a new instance and their hook
        implementations are bound to it; other plugins (modules, objects) are
        shared. Every hook caller and implementation list is new, so what the
        copy registers, disables or monitors never reaches this manager.
        ``plan`` is `drupe.plugin_template.caller_plan` of this manager and
        ``factories``, when the caller worked it out once for many copies.
        """
        from drupe.plugin_template import caller_plan, renewed, session_caller

        if plan is None:
            plan = caller_plan(self, factories)

        new = PluginManager.__new__(PluginManager)
        # pluggy's own state (what pluggy.PluginManager.__init__ sets).
        new.project_name = self.project_name  # type: ignore[misc]
        new._name2plugin = {}  # type: ignore[misc]
        new._plugin_distinfo = []  # type: ignore[misc]
        new.hook = pluggy.HookRelay()  # type: ignore[misc]
        new.trace = self.trace.root.get("pluginmanage")  # type: ignore[misc]
        new._inner_hookexec = self._inner_hookexec
        # drupe's.
        new._infos = dict(self._infos)
        new._finalized = self._finalized
        new._validated = self._validated
        new.loaded_entry_points = self.loaded_entry_points
        new._families = list(self._families)
        new.broken = dict(self.broken)
        new._classes = dict(self._classes)
        # The template's plugins that get a new instance here, by id: their
        # implementations are rebound to it (on first use, see `session_caller`).
        rebind: dict[int, Any] = {}
        for name, plugin in self._name2plugin.items():
            factory = factories.get(name)
            if factory is None:
                new._name2plugin[name] = plugin
                continue
            instance = factory()
            new._name2plugin[name] = instance
            rebind[id(plugin)] = renewed(instance)
        callers = vars(new.hook)
        for entry in plan:
            copied = session_caller(entry, new._hookexec, rebind)
            if entry.history is not None:
                copied._call_history = [
                    ({k: new if v is self else v for k, v in kwargs.items()}, result)
                    for kwargs, result in entry.history
                ]
            callers[entry.name] = copied
        return new

    def _family_owner(self, hook_name: str) -> str | None:
        for patterns, owner in self._families:
            if any(fnmatch.fnmatchcase(hook_name, pattern) for pattern in patterns):
                return owner
        return None

    def _did_you_mean(self, hook_name: str) -> str:
        import difflib

        known = [
            name
            for name in dir(self.hook)
            if not name.startswith("_") and getattr(self.hook, name).has_spec()
        ]
        close = difflib.get_close_matches(hook_name, known, n=2, cutoff=0.75)
        return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""

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

    def call(self, hook_name: str, /, **kwargs: Any) -> Any:
        """Call a hook through ``self.hook`` (so tracing sees it), naming the source of a failure.

        An exception an implementation raises propagates unchanged, marked
        with the plugin and hook it came from (`attribute`). A hook that no
        enabled plugin specifies (the plugin that adds it is disabled) raises
        `MissingProviderError` naming it.
        """
        caller = getattr(self.hook, hook_name, None)
        if caller is None or not caller.has_spec():
            disabled = ", ".join(self.disabled_names()) or "none"
            raise MissingProviderError(
                f"no enabled plugin specifies the hook {hook_name}: is the plugin that adds "
                f"it disabled? (disabled plugins: {disabled})",
                hook=hook_name,
            )
        try:
            return caller(**kwargs)
        except Exception as exc:
            self.attribute(exc, hook_name)
            raise

    def provide(self, hook_name: str, /, **kwargs: Any) -> Any:
        """Call a provider hook and insist on an answer.

        Raises `MissingProviderError` naming the hook and the bundled plugin
        that normally answers it when no implementation returned a value.
        """
        result = self.call(hook_name, **kwargs)
        if result is None:
            bundled = BUNDLED_PROVIDERS.get(hook_name)
            suggestion = (
                f": is the bundled {bundled!r} plugin (drupe_{bundled}) disabled?"
                if bundled
                else ""
            )
            raise MissingProviderError(f"no plugin answers {hook_name}{suggestion}", hook=hook_name)
        return result

    # -- naming the source of an error ------------------------------------

    def hook_source(self, exc: BaseException) -> HookSource | None:
        """The innermost hook implementation on ``exc``'s traceback, if any.

        Found by matching the traceback's code objects against the
        implementations registered here, so it costs nothing until an
        exception is being reported.
        """
        codes: dict[types.CodeType, tuple[str, str]] = {}
        for hook_name in dir(self.hook):
            caller = getattr(self.hook, hook_name)
            if hook_name.startswith("_") or not isinstance(caller, pluggy.HookCaller):
                continue
            for impl in caller.get_hookimpls():
                code = getattr(impl.function, "__code__", None)
                if code is not None:
                    codes[code] = (impl.plugin_name, hook_name)
        found: tuple[str, str] | None = None
        tb = exc.__traceback__
        while tb is not None:
            found = codes.get(tb.tb_frame.f_code, found)
            tb = tb.tb_next
        if found is None:
            return None
        info = self._infos.get(found[0])
        return HookSource(
            found[0], info.distribution if info else None, info.version if info else None, found[1]
        )

    def attribute(self, exc: BaseException, hook_name: str) -> HookSource | None:
        """Mark ``exc`` with the plugin and hook it came from (once; the innermost source wins).

        A `DrupeError` gets its ``plugin`` and ``hook`` fields filled in when
        it did not say; any exception gets a ``drupe_source`` attribute, and
        one that is not drupe's own a note naming the plugin (shown in its
        traceback).
        """
        known: HookSource | None = getattr(exc, "drupe_source", None)
        if known is not None:
            return known
        source = self.hook_source(exc)
        if source is None:
            return None
        if isinstance(exc, DrupeError):
            if exc.plugin is None:
                exc.plugin = source.plugin
            if exc.hook is None:
                exc.hook = source.hook
        elif hasattr(exc, "add_note"):
            exc.add_note(f"raised by {source.describe()}")
        with contextlib.suppress(AttributeError):  # exceptions without a __dict__
            exc.drupe_source = source  # type: ignore[attr-defined]
        return source

    def report_secondary(
        self, primary: BaseException, secondary: BaseException, hook_name: str
    ) -> None:
        """A hook failed while another error was being handled: log it, note it on ``primary``."""
        import logging

        source = self.attribute(secondary, hook_name)
        who = source.describe() if source else f"a plugin in hook {hook_name}"
        text = f"{who} also raised {type(secondary).__name__}: {secondary}"
        logging.getLogger("drupe").error("%s (the original error is kept)", text)
        if hasattr(primary, "add_note"):
            primary.add_note(text)

    def owner_of(self, obj: Any, hook: str | None = None) -> str | None:
        """The plugin that most likely made ``obj`` (for error hints naming it).

        With ``hook`` (a provider hook such as ``open_store``), only plugins
        implementing it are candidates: the one whose package defines
        ``obj``'s class, else the one called first.
        """
        if hook is not None:
            caller = getattr(self.hook, hook, None)
            impls = list(reversed(caller.get_hookimpls())) if caller is not None else []
            names = [impl.plugin_name for impl in impls]
        else:
            names = [name for name, _ in self.list_name_plugin()]
        module = getattr(type(obj), "__module__", "") or ""
        best: tuple[int, str] | None = None
        for name in names:
            plugin = self.get_plugin(name)
            home = (
                plugin.__name__ if isinstance(plugin, types.ModuleType) else type(plugin).__module__
            )
            root = home.split(".")[0]
            inside = module == root or module.startswith(root + ".")
            if inside and (best is None or len(root) > best[0]):
                best = (len(root), name)
        if best is not None:
            return best[1]
        return names[0] if hook is not None and names else None

    def _hook_names(self, plugin: Any) -> tuple[str, ...]:
        # Not pluggy's get_hookcallers: it reads every caller's implementations,
        # which would bind every pending one of a session's copy.
        from drupe.plugin_template import implementing_plugins

        return tuple(
            sorted(
                caller.name
                for caller in vars(self.hook).values()
                if isinstance(caller, pluggy.HookCaller)
                and any(p is plugin for p in implementing_plugins(caller))
            )
        )

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
    tolerant: bool = False,
) -> PluginManager:
    """A validated manager with the entry-point plugins (unless blocked) and ``plugins``.

    Blocking acts before import, from three routes: ``disable_plugins`` (the
    CLI's ``-p no:NAME``), the ``DRUPE_DISABLE_PLUGINS`` environment variable
    and ``[tool.drupe] disable_plugins`` of the project containing ``start``.
    ``tolerant`` keeps entry-point plugins that fail to load in
    ``manager.broken`` instead of raising (for listing commands).
    """
    from drupe._pyproject import project_disable_list

    if entry_points:
        from drupe.plugin_template import manager_from_template

        blocklist = Blocklist.from_sources(
            explicit=disable_plugins, project_list=project_disable_list(start)
        )

        def build() -> PluginManager:
            template = PluginManager()
            template.load_entry_points(blocklist, tolerant=tolerant)
            template.finalize()
            return template

        # The entry-point set is built and validated once per process; the
        # session's copy has its own plugin instances.
        manager = manager_from_template(blocklist, tolerant=tolerant, build=build)
    else:
        manager = PluginManager()
    copied = manager._finalized
    for plugin in plugins:
        manager.register_plugin(plugin)
    if not copied:
        manager.finalize()
    elif plugins:
        manager.validate()  # the copy was validated; what was added here is checked now
    return manager


def _origin(distribution: str | None, version: str | None) -> str:
    if distribution is None:
        return "explicit plugin"
    return f"distribution {distribution} {version or ''}".rstrip()
