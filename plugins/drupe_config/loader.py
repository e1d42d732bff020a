"""`ConfigLoader`: a read-only mapping of configuration keys, parsed once, resolved lazily.

Two layers of state:

* `ConfigFiles` is everything that does not depend on runtime parameters:
  the source, the options, the resolvers, each parsed file, each key's merged
  tree and its resolution without runtime parameters. It is shared by a
  loader and every sibling derived with `ConfigLoader.with_runtime_params`.
* a `ConfigLoader` adds its runtime parameters and caches the values it
  handed out. Deriving a sibling costs nothing; reading its ``parameters``
  copies only the branches its runtime parameters change and re-resolves
  only the interpolations that read them.

Values are shared between a loader and its siblings (for speed), so the
loader hands every value out as a read-only view (`drupe_config.readonly`):
changing one raises `TypeError`; ``copy.deepcopy`` gives a private plain copy.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import drupe
from drupe_config.errors import RuntimeParamsError, UnknownConfigKeyError
from drupe_config.files import parse
from drupe_config.interpolation import BUILTIN_RESOLVERS, Resolution, Resolved, Verbatim
from drupe_config.merging import Path as KeyPath
from drupe_config.merging import dotted, leaf_paths, merge_env, merge_envs
from drupe_config.options import LoaderOptions
from drupe_config.patterns import matching_files
from drupe_config.readonly import freeze
from drupe_config.runtime_params import close_matches, lookup, nest, set_path, undeclared
from drupe_config.sources import ConfSource, open_source

ENV_VAR = "DRUPE_ENV"

_log = logging.getLogger("drupe_config")


class ConfigFiles:
    """The runtime-independent state of a configuration: shared by sibling loaders."""

    def __init__(
        self,
        location: Path | None,
        explicit: bool,
        env: str,
        options: LoaderOptions,
        resolvers: Mapping[str, Callable[..., Any]],
    ) -> None:
        self.location = location
        self.explicit = explicit
        self.env = env
        self.options = options
        self.resolvers = resolvers
        self.runtime_params: Mapping[str, Any] = MappingProxyType({})
        self._lock = threading.RLock()
        self._parsed: dict[tuple[str, str], dict[str, Any]] = {}
        self._raw: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}
        self._base: dict[str, Resolved | drupe.ConfigError] = {}
        self._references: frozenset[str] | None = None
        self._views: dict[str, Any] = {}
        self.source = self._open()
        self.envs = self._check_envs()

    def _open(self) -> ConfSource | None:
        if self.location is None:
            return None
        if not self.explicit and not self.location.exists():
            return None  # a project without configuration: every key is empty
        return open_source(self.location, self.options.base_env)

    def _check_envs(self) -> tuple[str, ...]:
        if self.source is None:
            return ()
        base, run = self.options.base_env, self.env
        envs = [base] if run == base else [base, run]
        for env in envs:
            if self.source.has_env(env):
                continue
            if env == self.options.default_run_env and env != base:
                envs.remove(env)  # a missing default run env (local) is fine
                continue
            found = ", ".join(self.source.env_names()) or "none"
            raise drupe.ConfigError(
                f"configuration environment {env!r} not found in {self.location} "
                f"(environments there: {found}); create the folder or choose another env"
            )
        return tuple(envs)

    # -- files and merged trees -------------------------------------------------

    def _file(self, env: str, relative: str) -> dict[str, Any]:
        cached = self._parsed.get((env, relative))
        if cached is None:
            assert self.source is not None
            cached = parse(self.source.read(env, relative), self.source.display(env, relative))
            self._parsed[(env, relative)] = cached
        return cached

    def raw(self, key: str) -> tuple[dict[str, Any], dict[str, str]]:
        """Key's merged tree (base then env) before interpolation, and its origins."""
        with self._lock:
            cached = self._raw.get(key)
            if cached is None:
                cached = self._merge(key)
                self._raw[key] = cached
            return cached

    def _merge(self, key: str) -> tuple[dict[str, Any], dict[str, str]]:
        tree: dict[str, Any] = {}
        origin: dict[str, str] = {}
        if self.source is None:
            return tree, origin
        patterns = self.options.config_patterns[key]
        listing = self.source.envs()
        for env in self.envs:
            files = matching_files(listing.get(env, ()), patterns)
            parsed = [(self.source.display(env, f), self._file(env, f)) for f in files]
            env_tree, env_origin = merge_env(key, parsed)
            tree = merge_envs(tree, env_tree, self.options.strategy_for(key))
            origin.update(env_origin)
        return tree, origin

    # -- resolution without runtime parameters ----------------------------------

    def resolved_globals(self) -> Mapping[str, Any]:
        return self.base("globals").value

    def base(self, key: str) -> Resolved:
        """Key resolved with no runtime parameters (raises its error every time it is asked)."""
        outcome = self.base_outcome(key)
        if isinstance(outcome, drupe.ConfigError):
            raise outcome
        return outcome

    def base_outcome(self, key: str) -> Resolved | drupe.ConfigError:
        with self._lock:
            outcome = self._base.get(key)
            if outcome is None:
                tree, origin = self.raw(key)
                try:
                    outcome = public(Resolution(key, tree, origin, self).resolve_all())
                except drupe.ConfigError as exc:
                    outcome = exc
                self._base[key] = outcome
            return outcome

    def view(self, key: str, value: Any) -> Any:
        """The read-only view of ``value``; one shared view of each key's base value.

        Sharing it keeps a value's identity the same across sibling loaders,
        so consumers that cache by identity (the catalog) still hit.
        """
        outcome = self._base.get(key)
        if not (isinstance(outcome, Resolved) and outcome.value is value):
            return freeze(value)
        with self._lock:
            view = self._views.get(key)
            if view is None:
                view = self._views[key] = freeze(value)
            return view

    def runtime_param_references(self) -> frozenset[str]:
        """Names read by ``${runtime_params:NAME}`` anywhere: those count as declared."""
        with self._lock:
            if self._references is None:
                names: set[str] = set()
                for key in self.options.config_patterns:
                    _collect_references(self.raw(key)[0], names)
                self._references = frozenset(names)
            return self._references

    def globals_read_runtime(self) -> bool:
        """Whether globals depend on runtime parameters (then everything using them does)."""
        outcome = self.base_outcome("globals")
        return isinstance(outcome, drupe.ConfigError) or bool(outcome.runtime_leaves)


_REFERENCE_RE = r"\$\{\s*runtime_params\s*:\s*([^,}\s]+)"  # compiled by re on first use


def _collect_references(node: Any, names: set[str]) -> None:
    if isinstance(node, str):
        if "runtime_params" in node:
            names.update(re.findall(_REFERENCE_RE, node))
    elif isinstance(node, dict):
        for child in node.values():
            _collect_references(child, names)
    elif isinstance(node, list):
        for child in node:
            _collect_references(child, names)


def public(resolved: Resolved) -> Resolved:
    """Drop top-level keys starting with ``_``: they exist for anchors and interpolation only."""
    value = resolved.value
    if any(isinstance(k, str) and k.startswith("_") for k in value):
        value = {k: v for k, v in value.items() if not (isinstance(k, str) and k.startswith("_"))}
        return Resolved(value, resolved.refs, resolved.runtime_leaves, resolved.globals_leaves)
    return resolved


class ConfigLoader(Mapping[str, Any]):
    """The configuration of one session (or one run): ``loader["parameters"]``.

    Keys are the configured patterns' keys (``parameters``, ``catalog``,
    ``credentials``, ``logging``, ``globals`` and any added through
    ``CONFIG_LOADER_ARGS["config_patterns"]``). A key without files is ``{}``.
    ``parameters`` has the runtime parameters deep-merged over it.

    Values are read-only views (dicts as `Mapping`, lists as `Sequence`):
    siblings share them, so changing one raises `TypeError`. Use
    ``copy.deepcopy(value)`` (or `drupe_config.thaw`) for a private plain copy.
    """

    def __init__(self, files: ConfigFiles, runtime_params: Mapping[str, Any]) -> None:
        self._files = files
        self._params: Mapping[str, Any] = MappingProxyType(nest(runtime_params))
        self._lock = threading.RLock()
        self._values: dict[str, Any] = {}
        self._views: dict[str, Any] = {}

    @classmethod
    def from_arguments(
        cls,
        *,
        conf_source: str | os.PathLike[str] | None = None,
        project_root: Path | None = None,
        env: str | None = None,
        runtime_params: Mapping[str, Any] | None = None,
        settings: Any = None,
        resolvers: Mapping[str, Callable[..., Any]] | None = None,
    ) -> ConfigLoader:
        """Build a loader the way the ``create_config_loader`` hook does.

        ``conf_source`` wins (a folder or archive; relative to the current
        folder); else ``<project_root>/<settings.CONF_SOURCE or "conf">``.
        ``env`` wins, else ``DRUPE_ENV``, else the default run env.
        """
        options = LoaderOptions.from_args(getattr(settings, "CONFIG_LOADER_ARGS", None))
        all_resolvers = dict(options.custom_resolvers)
        for name, function in (resolvers or {}).items():
            if name in all_resolvers:
                raise drupe.ConfigError(
                    f"two resolvers are named {name!r} (CONFIG_LOADER_ARGS custom_resolvers and "
                    f"a plugin); rename one"
                )
            all_resolvers[name] = function
        for name in all_resolvers:
            if name in BUILTIN_RESOLVERS:
                raise drupe.ConfigError(
                    f"resolver name {name!r} is built in ({', '.join(BUILTIN_RESOLVERS)}); "
                    f"choose another name"
                )
        explicit = conf_source is not None
        location: Path | None
        if conf_source is not None:
            location = Path(conf_source).expanduser().absolute()
        else:
            folder = getattr(settings, "CONF_SOURCE", None) or "conf"
            base = project_root if project_root is not None else None
            location = (base / folder) if base is not None else None
        run_env = env or os.environ.get(ENV_VAR) or options.default_run_env
        files = ConfigFiles(location, explicit, run_env, options, MappingProxyType(all_resolvers))
        return cls(files, runtime_params or {})

    # -- identity ------------------------------------------------------------

    @property
    def conf_source(self) -> Path | None:
        """The folder or archive read (``None``: no configuration at all)."""
        return self._files.location if self._files.source is not None else None

    @property
    def env(self) -> str:
        """The run environment (read after the base environment)."""
        return self._files.env

    @property
    def base_env(self) -> str:
        return self._files.options.base_env

    @property
    def runtime_params(self) -> Mapping[str, Any]:
        """This loader's runtime parameters, dotted keys nested."""
        return self._params

    @property
    def resolvers(self) -> Mapping[str, Callable[..., Any]]:
        """Resolvers of this loader besides the built-in ones."""
        return self._files.resolvers

    def __repr__(self) -> str:
        return (
            f"<ConfigLoader conf_source={self.conf_source} env={self.env!r} "
            f"keys={sorted(self)} runtime_params={dict(self._params)!r}>"
        )

    # -- Mapping ---------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        patterns = self._files.options.config_patterns
        if key not in patterns:
            raise UnknownConfigKeyError(
                f"unknown configuration key {key!r}; known keys: {', '.join(sorted(patterns))} "
                f"(add file patterns through CONFIG_LOADER_ARGS['config_patterns'])"
            )
        with self._lock:
            view = self._views.get(key)
            if view is None:
                view = self._views[key] = self._files.view(key, self._value(key))
            return view

    def _value(self, key: str) -> Any:
        """The plain value of ``key`` (shared: never hand it out unwrapped)."""
        with self._lock:
            if key not in self._values:
                self._values[key] = self._compute(key)
            return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._files.options.config_patterns

    def __iter__(self) -> Iterator[str]:
        return iter(self._files.options.config_patterns)

    def __len__(self) -> int:
        return len(self._files.options.config_patterns)

    # -- siblings and reload ---------------------------------------------------

    def with_runtime_params(self, runtime_params: Mapping[str, Any]) -> ConfigLoader:
        """A sibling with exactly these runtime parameters, sharing every parsed file."""
        return ConfigLoader(self._files, runtime_params)

    def reload(self) -> ConfigLoader:
        """Read the configuration from disk again, in place; returns ``self``.

        Siblings derived earlier keep what they read; siblings derived after
        this call see the new files. A service session picks up changed files
        with ``session.load_context().config_loader.reload()``.
        """
        old = self._files
        fresh = ConfigFiles(old.location, old.explicit, old.env, old.options, old.resolvers)
        with self._lock:
            self._files = fresh
            self._values = {}
            self._views = {}
        return self

    # -- Scope for interpolation -------------------------------------------------

    def resolved_globals(self) -> Mapping[str, Any]:
        value: Mapping[str, Any] = self._value("globals")
        return value

    # -- computing values -------------------------------------------------------

    def _compute(self, key: str) -> Any:
        files = self._files
        if key == "parameters":
            return self._parameters()
        if not self._params:
            return files.base(key).value
        outcome = files.base_outcome(key)
        if isinstance(outcome, Resolved) and not self._reads_runtime(outcome):
            return outcome.value
        return self._resolve_fully(key)

    def _reads_runtime(self, outcome: Resolved) -> bool:
        return bool(outcome.runtime_leaves) or (
            bool(outcome.globals_leaves) and self._files.globals_read_runtime()
        )

    def _resolve_fully(self, key: str, overlay: dict[str, Any] | None = None) -> Any:
        tree, origin = self._files.raw(key)
        resolution = Resolution(key, overlay if overlay is not None else tree, origin, self)
        return public(resolution.resolve_all()).value

    def _parameters(self) -> Any:
        files = self._files
        if not self._params:
            return files.base("parameters").value
        raw, origin = files.raw("parameters")
        changes = self._runtime_changes(raw)
        self._check_declared(raw)
        overlay: dict[str, Any] = raw
        owned: set[int] = set()
        for path, value in changes:
            overlay = set_path(overlay, path, Verbatim(value), owned)
        base = files.base_outcome("parameters")
        if isinstance(base, drupe.ConfigError) or (
            base.globals_leaves and files.globals_read_runtime()
        ):
            return self._resolve_fully("parameters", overlay)
        return self._apply_incrementally(base, overlay, origin, changes)

    def _runtime_changes(self, raw: Mapping[str, Any]) -> list[tuple[KeyPath, Any]]:
        """``(path, value)`` for each runtime leaf that changes something."""
        changes = []
        for path in leaf_paths(self._params):
            value = lookup(self._params, path)[1]
            if isinstance(value, Mapping) and not value:
                found, current = lookup(raw, path)
                if found and isinstance(current, Mapping):
                    continue  # merging an empty mapping changes nothing
                value = {}
            changes.append((path, value))
        return changes

    def _apply_incrementally(
        self,
        base: Resolved,
        overlay: dict[str, Any],
        origin: Mapping[str, str],
        changes: list[tuple[KeyPath, Any]],
    ) -> Any:
        changed: list[KeyPath] = [path for path, _ in changes]
        affected = set(base.runtime_leaves)
        changed.extend(affected)
        grew = bool(base.refs)
        while grew:
            grew = False
            for leaf, refs in base.refs.items():
                if leaf in affected:
                    continue
                if any(_overlap(ref, path) for ref in refs for path in changed):
                    affected.add(leaf)
                    changed.append(leaf)
                    grew = True
        value: dict[str, Any] = base.value
        owned: set[int] = set()
        for path, new in changes:
            value = set_path(value, path, new, owned)
        if affected:
            resolution = Resolution("parameters", overlay, origin, self)
            overridden = [path for path, _ in changes]
            for leaf in sorted(affected, key=len):
                if isinstance(leaf[0], str) and leaf[0].startswith("_"):
                    continue
                if any(leaf[: len(path)] == path for path in overridden):
                    continue
                if not resolution._raw_at(leaf)[0]:
                    continue
                value = set_path(value, leaf, resolution.resolve_path(leaf), owned)
        return value

    def _check_declared(self, raw: Mapping[str, Any]) -> None:
        missing = undeclared(raw, self._params)
        if missing:
            used = self._files.runtime_param_references()
            missing = [p for p in missing if not _referenced(p, used)]
        if not missing:
            return
        names = ", ".join(dotted(path) for path in missing)
        if self._files.options.strict_runtime_params:
            hints = []
            for path in missing:
                close = close_matches(raw, path)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                hints.append(f"{dotted(path)}{hint}")
            raise RuntimeParamsError(
                f"runtime parameters not declared in parameters: {'; '.join(hints)}; fix the "
                f"names, or declare them in a parameters file (strict_runtime_params is on)"
            )
        _log.warning("runtime parameters not declared in parameters (used anyway): %s", names)


def _referenced(path: KeyPath, names: frozenset[str]) -> bool:
    return any(dotted(path[:n]) in names for n in range(1, len(path) + 1))


def _overlap(a: KeyPath, b: KeyPath) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]
