"""`PipelinePlugin`: the ``pipeline`` plugin's hook implementations, one instance per session.

The kernel builds one instance for each session, so what a session's runs
share (its pipelines, the parsed catalog) lives on the instance and goes
away with the session. This module is imported whenever the plugin is
enabled (``drupe --help`` included), so it imports nothing heavy at module
level: the catalog, the runners and the registry load inside the hooks.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pluggy

import drupe
from drupe_pipeline.summary import SavedDatasets

if TYPE_CHECKING:
    from drupe_pipeline.catalog import CatalogConfig
    from drupe_pipeline.registry import PipelineRegistry


#: What an absent catalog or credentials key reads as (one object, see `catalog_config`).
_NOTHING: Mapping[str, Any] = MappingProxyType({})


class PipelinePlugin:
    """Runs pipelines for a session: ``execute_run``, its selection, flags and pipelines."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # registry() holds it while the hook re-enters
        self._registry: PipelineRegistry | None = None
        self._project_registry: PipelineRegistry | None = None
        #: (catalog config, credentials config, parsed) of the last run, reused while unchanged.
        self._catalog: tuple[Any, Any, CatalogConfig] | None = None
        #: What each recent run saved, until ``drupe run``'s summary asks (``run_summary``).
        self.saved = SavedDatasets()

    @drupe.hookimpl
    def add_hookspecs(self, plugin_manager: pluggy.PluginManager) -> None:
        """Add the node, dataset and pipeline hooks (`drupe_pipeline.hookspecs`)."""
        from drupe_pipeline import hookspecs

        plugin_manager.add_hookspecs(hookspecs)

    @drupe.hookimpl(trylast=True)
    def validate_selection(
        self, session: drupe.AbstractSession, selection: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        """Check the run's selection against `RunSelection` before anything starts."""
        from drupe_pipeline.runners.choice import choose_runner
        from drupe_pipeline.selection import RunSelection

        checked = RunSelection.from_mapping(selection)
        # A runner that does not exist, or options it does not take, is bad usage: say so
        # now, before the run starts and is recorded (building a runner starts nothing).
        choose_runner(
            checked.runner, checked.runner_options, hook=session.hook, settings=session.settings
        )
        return checked.to_mapping()

    @drupe.hookimpl
    def run_options(self) -> list[Any]:
        """The selection flags of ``drupe run``."""
        from drupe_pipeline.selection import run_options

        return run_options()

    @drupe.hookimpl(optionalhook=True)
    def declare_settings(self) -> dict[str, dict[str, Any]]:
        """``RUNNER``: the default runner (`drupe_pipeline.runner_setting`)."""
        from drupe_pipeline.runner_setting import DECLARATION

        return DECLARATION

    @drupe.hookimpl(trylast=True)
    def execute_run(
        self, session: drupe.AbstractSession, context: drupe.Context, run: drupe.RunRequest
    ) -> dict[str, Any]:
        """Run the selected pipelines with the chosen runner; return the free outputs."""
        from drupe_pipeline.execution import execute

        return execute(self, session, context, run)

    @drupe.hookimpl(trylast=True)
    def register_pipelines(self, session: drupe.AbstractSession) -> Mapping[str, Any] | None:
        """The project's pipelines, from ``<package>.pipeline_registry.register_pipelines()``.

        ``None`` when the session has no project (nothing to offer).
        """
        try:
            registry = self.project_registry(session)
        except (drupe.ProjectError, drupe.MissingProviderError):
            return None
        return registry.registered()

    @drupe.hookimpl(trylast=True)
    def get_pipelines(self, session: drupe.AbstractSession) -> dict[str, Any]:
        """The session's pipelines by name, for tools that explore a project (notebooks)."""
        return self.registry(session).as_dict()

    @drupe.hookimpl(trylast=True)
    def get_catalog(self, session: drupe.AbstractSession, context: drupe.Context) -> Any:
        """A fresh `DataCatalog` from ``context``'s configuration, tied to no run."""
        from drupe_pipeline.execution import session_catalog

        return session_catalog(self, session, context)

    @drupe.hookimpl
    def run_summary(self, run: drupe.RunRequest) -> dict[str, Any] | None:
        """The persisted datasets the run saved: ``{"saved": [{"name", "path", ...}]}``."""
        saved = self.saved.take(run.run_id)
        return None if saved is None else {"saved": saved}

    @drupe.hookimpl
    def after_session_created(self, session: drupe.AbstractSession) -> None:
        """A service session loads its pipelines once, here, not on its first run."""
        if session.kind != "service":
            return
        project = session.project
        if project is not None and not _has_registry(project.package_name):
            return  # nothing to preload; a run will say what is missing
        if project is None and len(session.hook.register_pipelines.get_hookimpls()) < 2:
            return  # no project and no plugin providing pipelines
        self.registry(session).names()

    @drupe.hookimpl
    def cli_commands(self) -> list[Any]:
        """``drupe pipelines``."""
        from drupe.cli import LazyCommand

        return [
            LazyCommand(
                "pipelines",
                "drupe_pipeline.cli:pipelines_command",
                "List the registered pipelines and their node counts.",
            )
        ]

    # -- per-session state ---------------------------------------------------

    @classmethod
    def of(cls, session: drupe.AbstractSession) -> PipelinePlugin:
        """This plugin's instance in ``session`` (for the plugin's own commands)."""
        for plugin in session.plugin_manager.get_plugins():
            if isinstance(plugin, cls):
                return plugin
        raise drupe.MissingProviderError(
            "the pipeline plugin is not enabled in this session: is it disabled (-p no:pipeline)?"
        )

    def registry(self, session: drupe.AbstractSession) -> PipelineRegistry:
        """The session's pipelines, from whichever plugin answers ``register_pipelines``."""
        registry = self._registry
        if registry is not None:
            return registry
        from drupe_pipeline.registry import PipelineRegistry

        with self._lock:
            if self._registry is None:
                provided = session.plugin_manager.call("register_pipelines", session=session)
                if provided is None:
                    session.require_project()  # says why there is no project
                    raise drupe.MissingProviderError(
                        "no plugin provides this session's pipelines (register_pipelines)",
                        hook="register_pipelines",
                    )
                own = self._project_registry
                if own is not None and provided is own.registered():
                    self._registry = own
                else:
                    self._registry = PipelineRegistry.of_mapping(
                        provided, where="the register_pipelines hook"
                    )
            return self._registry

    def project_registry(self, session: drupe.AbstractSession) -> PipelineRegistry:
        """The registry of the session's project (``Package name not found`` without one)."""
        registry = self._project_registry
        if registry is None:
            from drupe_pipeline.registry import PipelineRegistry

            project = session.require_project()
            with self._lock:
                if self._project_registry is None:
                    self._project_registry = PipelineRegistry(project.package_name)
                registry = self._project_registry
        return registry

    def catalog_config(self, context: drupe.Context, root: Any) -> tuple[Any, CatalogConfig]:
        """The parsed catalog configuration; parsed again only when the loader gives new objects.

        When the run's runtime parameters change the catalog, the catalog as
        configured without them is parsed too (once per session): comparing the
        two tells which dataset paths runtime parameters built (containment).
        """
        from drupe_pipeline.catalog import parse_for_run

        loader = context.config_loader
        # One shared empty mapping, not a new {} per run: the cache below goes by identity.
        conf_catalog = _config(loader, "catalog") or _NOTHING
        conf_credentials = _config(loader, "credentials") or _NOTHING
        cached = self._catalog
        if (
            cached is not None
            and cached[0] is conf_catalog
            and cached[1] is conf_credentials
            and cached[2].root == root
        ):
            return conf_catalog, cached[2]
        parsed = parse_for_run(
            loader,
            conf_catalog,
            conf_credentials,
            root=root,
            runtime_params=context.runtime_params,
            previous=cached[2] if cached is not None else None,
        )
        self._catalog = (conf_catalog, conf_credentials, parsed)
        return conf_catalog, parsed


def _config(loader: Any, key: str) -> Any:
    try:
        return loader.get(key)
    except KeyError:
        return None


def _has_registry(package: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(f"{package}.pipeline_registry") is not None
    except (ImportError, ValueError):
        return False
