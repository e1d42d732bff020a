"""Where a project's pipelines come from: its ``pipeline_registry`` module.

A project defines ``<package>/pipeline_registry.py`` with a function
``register_pipelines()`` returning a dict of pipelines by name, one of them
``"__default__"`` (what ``drupe run`` runs without ``--pipelines``).
`PipelineRegistry` imports that module and calls the function, then hands
out pipelines by name. As in Kedro, the function is called once per process
for a given module: later sessions reuse its (immutable) pipelines, which
saves rebuilding and re-validating every node per session. A re-imported
module (``%reload_drupe``, or another project folder using the same package
name) has a new function, which is called again.

A value of that dict may also be a function taking no argument and returning
the pipeline: it is called only when that pipeline is requested, so a
project can keep the modules of pipelines it is not running unimported
(Python has already imported whatever ``pipeline_registry`` imports itself).

`find_pipelines()` is the convenient alternative to listing pipelines by
hand: it imports every subpackage of ``<package>.pipelines`` and calls its
``create_pipeline()``, so all pipeline modules are imported every time.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from types import ModuleType
from typing import Any

import drupe
from drupe_pipeline.errors import PipelineError, SelectionError, did_you_mean
from drupe_pipeline.pipeline import Pipeline

DEFAULT = "__default__"

# The package whose register_pipelines() is running, so that a bare
# find_pipelines() inside it knows which project it belongs to.
_loading_package: ContextVar[str | None] = ContextVar("drupe_pipeline_loading", default=None)

#: A project's register_pipelines function -> its checked result (see the module docstring).
_results: weakref.WeakKeyDictionary[Callable[..., Any], dict[str, Any]] = (
    weakref.WeakKeyDictionary()
)
_results_lock = threading.Lock()


class PipelineRegistry:
    """The pipelines of one project package, loaded once and cached.

    Loading is lazy (on the first `names` or `get`) and thread-safe, so one
    registry can serve the concurrent runs of a service session.
    """

    def __init__(self, package_name: str) -> None:
        self.package_name = package_name
        self.module_name = f"{package_name}.pipeline_registry"
        self._lock = threading.RLock()
        self._registered: dict[str, Pipeline | Callable[[], Pipeline]] | None = None
        self._given: Mapping[str, Any] | None = None

    @classmethod
    def of_mapping(cls, pipelines: Any, *, where: str) -> PipelineRegistry:
        """A registry over pipelines held in memory (a plugin answering ``register_pipelines``).

        The mapping is checked as a project's ``register_pipelines()`` result
        is: names to `Pipeline` objects (or functions returning one), with a
        ``__default__``.
        """
        registry = cls.__new__(cls)
        registry.package_name = ""
        registry.module_name = where
        registry._lock = threading.RLock()
        registry._registered = None
        registry._given = pipelines
        return registry

    def registered(self) -> dict[str, Pipeline | Callable[[], Pipeline]]:
        """The registered pipelines by name, loaded once (lazy ones not built)."""
        return self._load()

    def __repr__(self) -> str:
        return f"PipelineRegistry({self.package_name!r})"

    def names(self) -> list[str]:
        """The registered pipeline names, ``__default__`` first, the rest sorted."""
        registered = self._load()
        return sorted(registered, key=lambda name: (name != DEFAULT, name))

    def __contains__(self, name: object) -> bool:
        return name in self._load()

    def get(self, names: Sequence[str] = ()) -> Pipeline:
        """The union of the named pipelines; no name means ``__default__``.

        Raises:
            PipelineError: a name is not registered (close matches are listed),
                or a lazily registered pipeline fails to build.
        """
        if isinstance(names, str):
            names = [names]
        wanted = list(names) or [DEFAULT]
        registered = self._load()
        for name in wanted:
            if name not in registered:
                known = sorted(registered)
                raise SelectionError(
                    f"No pipeline named {name!r} in {self.module_name}."
                    f"{did_you_mean(name, known)} Registered: {', '.join(known)}.",
                    field="pipeline_names",
                )
        if len(wanted) == 1:
            return self._resolve(wanted[0])
        return sum((self._resolve(name) for name in wanted), Pipeline([]))

    def as_dict(self) -> dict[str, Pipeline]:
        """Every registered pipeline by name (builds the lazy ones)."""
        return {name: self._resolve(name) for name in self.names()}

    def _resolve(self, name: str) -> Pipeline:
        with self._lock:
            registered = self._load()
            value = registered[name]
            if isinstance(value, Pipeline):
                return value
            token = _loading_package.set(self.package_name)
            try:
                built = value()
            except Exception as exc:
                raise PipelineError(
                    f"Building pipeline {name!r} registered in {self.module_name} failed: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            finally:
                _loading_package.reset(token)
            if not isinstance(built, Pipeline):
                raise PipelineError(
                    f"Pipeline {name!r} registered in {self.module_name} is a function that "
                    f"returned {type(built).__name__}, not a Pipeline."
                )
            registered[name] = built
            return built

    def _load(self) -> dict[str, Pipeline | Callable[[], Pipeline]]:
        if self._registered is not None:
            return self._registered
        with self._lock:
            if self._registered is None:
                self._registered = self._call_register()
            return self._registered

    def _call_register(self) -> dict[str, Pipeline | Callable[[], Pipeline]]:
        if self._given is not None:
            return self._check(self._given, self.module_name)
        where = self.module_name
        token = _loading_package.set(self.package_name)
        try:
            module = _import(where, missing_ok=False, what="the pipeline registry")
            register = getattr(module, "register_pipelines", None)
            if not callable(register):
                raise PipelineError(
                    f"{where} defines no register_pipelines() function: add one that returns "
                    f"a dict of pipelines with a {DEFAULT!r} key."
                )
            with _results_lock:
                known = _results.get(register)
            if known is not None:
                return dict(known)
            try:
                result = register()
            except Exception as exc:
                raise PipelineError(
                    f"{where}.register_pipelines() failed: {type(exc).__name__}: {exc}"
                ) from exc
        finally:
            _loading_package.reset(token)
        checked = self._check(result, f"{where}.register_pipelines()")
        with contextlib.suppress(TypeError):  # a callable that cannot be weakly referenced
            with _results_lock:
                _results[register] = dict(checked)
        return checked

    @staticmethod
    def _check(result: Any, where: str) -> dict[str, Pipeline | Callable[[], Pipeline]]:
        if not isinstance(result, Mapping):
            raise PipelineError(
                f"{where} returned {type(result).__name__}, not a dict "
                f"of pipelines: return e.g. {{{DEFAULT!r}: pipeline}}."
            )
        registered: dict[str, Pipeline | Callable[[], Pipeline]] = {}
        for name, value in result.items():
            if not isinstance(name, str) or not (isinstance(value, Pipeline) or callable(value)):
                raise PipelineError(
                    f"{where} maps {name!r} to {type(value).__name__}: "
                    "keys must be names and values Pipelines (or functions returning one)."
                )
            registered[name] = value
        if DEFAULT not in registered:
            raise PipelineError(
                f"{where} returned no {DEFAULT!r} pipeline (it has "
                f"{', '.join(sorted(registered)) or 'none'}): add the one `drupe run` runs "
                "by default, e.g. sum of the others."
            )
        return registered


def find_pipelines(
    package_name: str | bool | None = None, *, raise_errors: bool = True
) -> dict[str, Pipeline]:
    """Discover ``<package>.pipelines.<name>.create_pipeline()`` for every subpackage.

    Returns the pipelines by subpackage name, plus ``__default__``, their
    union. Every subpackage is imported (its ``create_pipeline`` is needed),
    whichever pipeline is run later. A subpackage without ``create_pipeline``
    is skipped with a warning. Without a ``pipelines`` package the result is
    an empty ``__default__``.

    Args:
        package_name: the project's package. Left out, it is the package whose
            ``register_pipelines()`` is running, else the active session's
            project.
        raise_errors: Kedro's switch, with Kedro's meaning: ``True`` fails the
            call, naming the subpackage, when its import or its
            ``create_pipeline()`` raises; ``False`` warns and skips that
            pipeline. drupe defaults to ``True`` (Kedro to ``False``): a
            pipeline silently missing from a run is worse than an error.
            ``find_pipelines(False)``, Kedro's positional form, is understood.
    """
    if isinstance(package_name, bool):  # Kedro's find_pipelines(raise_errors) positionally
        raise_errors = package_name
    package = package_name if isinstance(package_name, str) else _current_package()
    container_name = f"{package}.pipelines"
    container = _import(container_name, missing_ok=True, what="the pipelines package")
    found: dict[str, Pipeline] = {}
    search_path = getattr(container, "__path__", None) if container else None
    if container is not None and search_path is None:
        warnings.warn(
            f"{container_name} is a module, not a package: find_pipelines() looks for "
            "subpackages pipelines/<name>/ with a create_pipeline() function.",
            stacklevel=2,
        )
    import pkgutil  # only find_pipelines() walks packages

    for info in sorted(pkgutil.iter_modules(search_path or []), key=lambda i: i.name):
        if not info.ispkg or info.name.startswith(("_", ".")):
            continue
        try:
            built = _create_pipeline(f"{container_name}.{info.name}")
        except PipelineError as exc:
            if raise_errors:
                raise
            warnings.warn(
                f"Skipping pipeline {info.name!r} (find_pipelines(raise_errors=False)): {exc}",
                stacklevel=2,
            )
            continue
        if built is not None:
            found[info.name] = built
    return {DEFAULT: sum(found.values(), Pipeline([])), **found}


def _create_pipeline(module_name: str) -> Pipeline | None:
    """Import one pipeline subpackage and call its ``create_pipeline()``; ``None``: it has none."""
    module = _import(module_name, missing_ok=False, what="a pipeline")
    assert module is not None
    create = getattr(module, "create_pipeline", None)
    if not callable(create):
        warnings.warn(
            f"Skipping {module_name}: it defines no create_pipeline() function.",
            stacklevel=3,
        )
        return None
    try:
        built = create()
    except Exception as exc:
        raise PipelineError(
            f"{module_name}.create_pipeline() failed: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(built, Pipeline):
        raise PipelineError(
            f"{module_name}.create_pipeline() returned {type(built).__name__}, not a Pipeline."
        )
    return built


def _import(module_name: str, *, missing_ok: bool, what: str) -> ModuleType | None:
    """Import a project module; failures become one PipelineError naming the module."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if missing_ok and exc.name == module_name:
            return None
        if exc.name is not None and (module_name + ".").startswith(exc.name + "."):
            raise PipelineError(
                f"Cannot import {what} {module_name}: no such module. Is the project's "
                f"source folder on sys.path, and does {module_name.replace('.', '/')}.py exist?"
            ) from exc
        raise PipelineError(
            f"Importing {what} {module_name} failed: {type(exc).__name__}: {exc}"
        ) from exc
    except Exception as exc:
        raise PipelineError(
            f"Importing {what} {module_name} failed: {type(exc).__name__}: {exc}"
        ) from exc


def _current_package() -> str:
    loading = _loading_package.get()
    if loading:
        return loading
    try:
        project = drupe.get_current_session().project
    except drupe.SessionError:
        project = None
    if project is not None:
        return project.package_name
    raise PipelineError(
        "find_pipelines() cannot tell which project package to search: pass it, "
        "find_pipelines('my_package'), or call it from register_pipelines() or inside a session."
    )
