"""Node, dataset, pipeline and catalog hooks: the pipeline plugin's part of the hook reference.

The ``pipeline`` plugin adds these specifications through ``add_hookspecs``,
so any plugin (or a project's ``settings.HOOKS``) may implement them. A
plugin that must also work when the pipeline plugin is disabled marks its
implementations ``@drupe.hookimpl(optionalhook=True)``. The names in
`HOOK_NAME_PATTERNS` belong to this module: while the pipeline plugin is
enabled, an implementation of such a name that is not specified here (a
typo such as ``after_node_runn``) is rejected at registration, even when
marked ``optionalhook``.

Where they run: with the sequential and thread runners every hook runs in
the process that called ``session.run()`` (node hooks of the thread runner in
its worker threads, with the session's context variables copied). With the
parallel runner (and the dask runner, on a Dask worker) the node and
dataset hooks run in the worker process that runs the node, through the
worker's own plugin manager: entry-point plugins and the project's
``settings.HOOKS``, but not plugin objects passed to
``Session.create(plugins=[...])``, which live in the parent process only.
What such a plugin gathers there comes back through `node_report`.

Common arguments:

* ``node``: the `drupe_pipeline.Node` being run (name, inputs, outputs, tags).
* ``catalog``: the run's `drupe_pipeline.DataCatalog`. In a worker process of
  the parallel runner it is a catalog holding only the node's datasets.
* ``inputs``: the node's loaded inputs by dataset name.
* ``is_async``: whether the node runs concurrently with others (thread and
  parallel runners).
* ``run_id`` / ``session_id``: the run and its session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import drupe

#: The hook-name family this module owns (see ``drupe.hookspecs.add_hookspecs``).
HOOK_NAME_PATTERNS = (
    "*_node_*",
    "on_node_*",
    "*_dataset_*",
    "*_catalog_*",
    "*_pipeline_*",
    "register_pipeline*",
    "node_report*",
    "*_node_report",
    "pipeline_runner*",
    "*_runner_started",
)


@drupe.hookspec(firstresult=True)
def register_pipelines(session: drupe.AbstractSession) -> Mapping[str, Any] | None:
    """Return the session's pipelines by name, with a ``"__default__"`` one.

    The pipeline plugin answers last (``trylast``) with the project's
    ``<package>.pipeline_registry.register_pipelines()``. Answer it to give a
    session pipelines from elsewhere: an embedding without a project passes
    ``plugins=[MyPipelines()]`` to ``create()``, a plugin builds them from a
    database. Values are `drupe_pipeline.Pipeline` objects, or functions
    taking no argument that return one (built when first run). Called once
    per session; its runs share the answer. ``drupe serve`` asks it for the
    pipeline names a client may run.
    """


@drupe.hookspec(firstresult=True)
def get_pipelines(session: drupe.AbstractSession) -> Mapping[str, Any] | None:
    """Return the session's pipelines by name (``"__default__"`` included), or ``None``.

    The pipeline plugin answers last (``trylast``) with the pipelines of
    ``register_pipelines``, built (functions called). For tools that show or
    explore a project (the notebook extension, shell completion) without
    importing this plugin. Call it by name,
    ``session.plugin_manager.call("get_pipelines", session=session)``: when
    the pipeline plugin is disabled the hook does not exist and that call
    raises `drupe.MissingProviderError` naming it.
    """


@drupe.hookspec(firstresult=True)
def get_catalog(session: drupe.AbstractSession, context: drupe.Context) -> Any:
    """Return a data catalog built from ``context``'s configuration, or ``None``.

    The pipeline plugin answers last (``trylast``). The catalog is fresh (not
    the one of any run) and offers at least ``load(name)``, ``save(name,
    data)``, ``exists(name)`` and ``names()``. Called by name, like
    `get_pipelines`.
    """


@drupe.hookspec
def after_catalog_created(
    catalog: Any,
    conf_catalog: Mapping[str, Any],
    parameters: Mapping[str, Any],
    save_version: str,
    load_versions: Mapping[str, str],
    run_id: str,
    session_id: str,
) -> None:
    """Called once per run, when the run's catalog exists and before any node runs.

    ``conf_catalog`` is the ``catalog`` configuration it was built from
    (credentials are not passed), ``parameters`` the run's parameters,
    ``save_version`` the version versioned datasets save under (the run id)
    and ``load_versions`` the versions asked for. Add datasets with
    ``catalog.add(name, dataset)``. The return value is ignored.
    """


@drupe.hookspec
def before_node_run(
    node: Any,
    catalog: Any,
    inputs: Mapping[str, Any],
    is_async: bool,
    run_id: str,
    session_id: str,
) -> dict[str, Any] | None:
    """Called before a node runs, once its inputs are loaded.

    Return a dict ``{input_name: value}`` to replace some inputs (every
    implementation's dict is applied, in call order), or ``None``.
    """


@drupe.hookspec
def after_node_run(
    node: Any,
    catalog: Any,
    inputs: Mapping[str, Any],
    outputs: Mapping[str, Any],
    is_async: bool,
    run_id: str,
    session_id: str,
) -> None:
    """Called after a node succeeded, before its outputs are saved.

    ``outputs`` maps output names to the values the node returned. The return
    value is ignored.
    """


@drupe.hookspec
def on_node_error(
    error: BaseException,
    node: Any,
    catalog: Any,
    inputs: Mapping[str, Any],
    is_async: bool,
    run_id: str,
    session_id: str,
) -> None:
    """Called when a node's function raised; ``error`` is what it raised.

    The run then stops with a `drupe_pipeline.NodeError` chained to
    ``error``. The return value is ignored.
    """


@drupe.hookspec
def before_dataset_loaded(dataset_name: str, node: Any, run_id: str) -> None:
    """Called before a node's input is loaded from the catalog; the return value is ignored."""


@drupe.hookspec
def after_dataset_loaded(dataset_name: str, data: Any, node: Any, run_id: str) -> None:
    """Called after a node's input was loaded; ``data`` is the loaded value.

    The return value is ignored (use ``before_node_run`` to replace an input).
    """


@drupe.hookspec
def before_dataset_saved(dataset_name: str, data: Any, node: Any, run_id: str) -> None:
    """Called before a node's output is saved; ``data`` is the value about to be saved."""


@drupe.hookspec
def after_dataset_saved(dataset_name: str, data: Any, node: Any, run_id: str) -> None:
    """Called after a node's output was saved; ``data`` is the value saved."""


# --- Bringing data back from where a node ran --------------------------------
#
# A plugin whose node hooks fire in a worker process (parallel runner) or on a
# Dask worker fills *that process's* instance of the plugin. These two hooks
# carry what it wants to keep back to *its own* instance in the process that
# called ``session.run()``. Every runner calls them, in-process runners too,
# so one plugin works the same under every runner.


@drupe.hookspec
def node_report(node: Any, run_id: str, session_id: str) -> Any:
    """Called where a node ran, right after it succeeded and its outputs were saved.

    Return a small, picklable value (a row of a timing table, say) to send
    to this same plugin's `receive_node_report` in the process that runs the
    session, or ``None`` to send nothing. With the sequential and thread
    runners that is the same process and the same plugin object. Reports of
    a node that failed are not sent.
    """


@drupe.hookspec
def receive_node_report(node: Any, report: Any, run_id: str, session_id: str) -> None:
    """Called in the session's process with what this plugin's `node_report` returned.

    Only the plugin that made the report receives it (matched by the name it
    is registered under, which is the same in every process), once per node,
    in the order the nodes finished. The return value is ignored.
    """


# --- Runners contributed by other plugins ---------------------------------------


@drupe.hookspec
def pipeline_runners() -> Mapping[str, Any] | None:
    """Return the runners your plugin adds, by name: ``{"dask": factory}``.

    ``factory(options, settings)`` is called when a run asks for that name
    (``drupe run --runner dask``, ``session.run(runner="dask")``, or the
    settings option ``RUNNER``); ``options`` is a read-only mapping of the
    run's runner options (``--runner-option key=value``, values as given:
    strings from the command line) and ``settings`` the project's settings
    (``None`` without a project). It returns either a runner object (with
    the `drupe_pipeline.AbstractRunner` ``run()`` signature) or a *graph
    engine*: an object with ``run_graph(graph)`` that receives a
    `drupe_pipeline.runners.TaskGraph` (every node as a picklable task,
    with the callables that run it in a worker and bring its results back),
    which lets a plugin run nodes elsewhere without importing this plugin.
    Raise `drupe.UsageError` for a bad option. A bundled runner's name
    (``sequential``, ``thread``, ``parallel``) cannot be taken.
    """


@drupe.hookspec
def after_runner_started(
    runner: str, details: Mapping[str, Any], run_id: str, session_id: str
) -> None:
    """Called once a runner knows where the run's nodes will run, before the first node.

    ``runner`` is its name (``dask``) and ``details`` what a user needs to
    find the run again (for Dask: the scheduler address, the dashboard link
    and the number of workers). The store records them with the run. Runners
    that run nodes in this process do not call it. The return value is ignored.
    """
