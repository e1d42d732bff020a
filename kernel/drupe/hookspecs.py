"""Every hook drupe calls: the plugin author's reference.

How to read this file
---------------------
Implement a hook by writing a function (or method) with the same name,
decorated with ``@drupe.hookimpl``, taking any subset of the arguments listed
here, by name. drupe always calls hooks with keyword arguments, and a spec may
gain arguments in later versions but never renames or drops one, so an
implementation that takes only what it needs keeps working.

There are three kinds of hook:

* **Lifecycle hooks** tell every plugin that something happened. All
  implementations are called; return values are ignored. An exception in one
  propagates to the caller (it is a bug in that plugin).
* **Provider hooks** (``firstresult``) ask for one thing. Implementations are
  called until one returns something other than ``None``; that answer wins.
  drupe's bundled plugins answer with ``trylast=True``, so a plugin of yours
  that answers takes over without ceremony. Return ``None`` to pass.
* **Collected hooks** gather a contribution from every plugin.

Order: pluggy calls the most recently registered implementation first, and
``tryfirst`` / ``trylast`` implementations before / after all the others.
drupe registers entry-point plugins sorted by name, then ``plugins=[...]``
given to ``create()``, then the project's ``settings.HOOKS``.

A plugin that implements a hook not listed here (or added by another plugin
through `add_hookspecs`) is rejected at registration: a typo never fails
silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drupe.markers import hookspec

if TYPE_CHECKING:
    import pluggy

    from drupe.config import ConfigLoader
    from drupe.context import Context
    from drupe.project import Project
    from drupe.run_request import RunRequest
    from drupe.session import AbstractSession, SessionSpec
    from drupe.store import SessionStore
    from drupe.workers import WorkerSpec


# --------------------------------------------------------------------------
# Lifecycle hooks
# --------------------------------------------------------------------------


@hookspec
def before_session_create(spec: SessionSpec) -> None:
    """Called first in ``create()``, once the arguments are known.

    ``spec`` is a mutable draft of the session (`drupe.SessionSpec`): its
    ``kind`` (``"session"`` or ``"service"``), ``session_id``,
    ``project_path``, ``project``, ``env``, ``conf_source``,
    ``runtime_params``, ``save_on_close`` and a free ``metadata`` dict.
    Plugins may complete or change it: set ``spec.project`` to skip
    discovery, pick ``spec.env``, or add entries to ``spec.metadata`` that
    other plugins (the store, for one) read from ``session.metadata``.
    """


@hookspec
def after_session_created(session: AbstractSession) -> None:
    """Called at the end of ``create()``, when the session is fully built.

    The session has its id, project, settings and store. The store plugin
    writes the session's first record here, so that a process killed later
    still leaves the session behind.
    """


@hookspec
def after_context_created(context: Context) -> None:
    """Called each time a `Context` is built.

    Once per `Session` (on the first ``load_context()``); once per run (and
    per ``load_context()`` call) for a `ServiceSession`. ``context`` is
    frozen: read it, keep it, never change it.
    """


@hookspec
def before_run(session: AbstractSession, run: RunRequest) -> None:
    """Called when a run is about to start, before ``execute_run``.

    ``run`` is the frozen `RunRequest` (run id, selection, runner, runtime
    params). Raising here aborts the run; ``on_run_error`` is then called.
    """


@hookspec
def after_run(session: AbstractSession, run: RunRequest, result: dict[str, Any]) -> None:
    """Called when a run finished; ``result`` is what ``run()`` returns to its caller."""


@hookspec
def on_run_error(session: AbstractSession, run: RunRequest, error: BaseException) -> None:
    """Called when a run raised. The error is re-raised to the caller after this hook."""


@hookspec
def after_close(session: AbstractSession) -> None:
    """Called once when the session closes, also when it closes because of an exception.

    ``session.exception`` holds that exception (or ``None``). The session's
    store is still open during this hook and is closed right after it.
    """


@hookspec
def setup_worker(spec: WorkerSpec, plugin_manager: pluggy.PluginManager) -> None:
    """Called in a worker process when the session's plugins are re-created there.

    ``spec`` is the picklable `drupe.WorkerSpec` the parent made with
    ``session.worker_spec()`` (the project, the disabled plugins). Runs
    before the project's settings are loaded and before any task is
    unpickled: the project plugin makes the project importable here.
    ``plugin_manager`` is the worker's own manager.
    """


# --------------------------------------------------------------------------
# Provider hooks: the first non-None answer wins
# --------------------------------------------------------------------------


@hookspec(firstresult=True)
def find_project(start: Path) -> Project | None:
    """Find the project that contains ``start`` (a folder), or return ``None``.

    Answered by the bundled ``project`` plugin: it walks up from ``start`` to
    the first ``pyproject.toml`` with a ``[tool.drupe]`` table, and falls back
    to the project configured with ``configure_project``. ``start`` is the
    ``project_path`` given to ``create()``, else the current directory.
    """


@hookspec(firstresult=True)
def explain_missing_project(start: Path) -> str | None:
    """Say why no project was found from ``start``, and what to do, in one message.

    Called when a plugin needs a project and the session has none
    (``session.require_project()``); the kernel raises `drupe.ProjectError`
    with the answer. Answered by the bundled ``project`` plugin (Kedro's
    "Package name not found" and where it looked).
    """


@hookspec(firstresult=True)
def load_settings(project: Project | None, plugin_manager: pluggy.PluginManager) -> Any:
    """Return the project's settings object (``None`` means "no settings").

    Answered by the bundled ``settings`` plugin, which imports
    ``<package>.settings``. The settings plugin may also register the
    project's own hooks into ``plugin_manager`` and unregister the plugins
    the settings disable: settings are per session, so this is where a
    project shapes its own session.
    """


@hookspec(firstresult=True)
def create_config_loader(
    project: Project | None,
    env: str | None,
    conf_source: str | None,
    runtime_params: Mapping[str, Any],
    settings: Any,
    plugin_manager: pluggy.PluginManager,
) -> ConfigLoader | None:
    """Return the configuration loader for these arguments.

    Answered by the bundled ``config`` plugin (YAML files under ``conf/``).
    The result must behave as a read-only ``Mapping[str, Any]``
    (`drupe.config.ConfigLoader`); ``loader["parameters"]`` must already
    have ``runtime_params`` applied. A loader that also implements
    ``with_runtime_params(params)`` lets a service session parse once and
    derive a loader per run. ``plugin_manager`` lets the loader ask other
    plugins for contributions through hooks of its own (resolvers, say).
    """


@hookspec(firstresult=True)
def execute_run(
    session: AbstractSession, context: Context, run: RunRequest
) -> dict[str, Any] | None:
    """Run what ``run`` selects and return the run's free outputs as a ``dict``.

    Answered by the bundled ``pipeline`` plugin. ``context`` is the context
    of this run (its own runtime params and config loader). Use
    ``session.plugin_manager`` to call hooks of your own.
    """


@hookspec(firstresult=True)
def validate_selection(
    session: AbstractSession, selection: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """Check and normalise what a run selects, before the run starts.

    ``selection`` holds the keyword arguments given to ``run()`` other than
    ``run_id`` and ``runtime_params`` (only those the caller gave), or the
    values of the ``drupe run`` flags that `run_options` contributed. The
    kernel never reads it. The plugin that answers ``execute_run`` answers
    this too: return the normalised selection (it becomes
    ``RunRequest.selection``, what the store records and a rerun replays),
    or raise `drupe.UsageError` with ``field=`` naming the bad key. Nothing
    has started yet: no ``before_run``, no record. ``None`` (nobody
    answers) keeps the selection as given.
    """


@hookspec(firstresult=True)
def open_store(project: Project | None, settings: Any) -> SessionStore | None:
    """Return the store that keeps this session's history, or ``None``.

    Answered by the bundled ``store`` plugin (SQLite under
    ``<project>/.drupe/``). Called once per session, and not at all when
    the session is created with ``save_on_close=False``. Also called to
    read history (``drupe sessions``, ``drupe info``, shell completion):
    opening must create nothing; create the store at its first write, and
    until then read as empty.
    """


# --------------------------------------------------------------------------
# Collected hooks
# --------------------------------------------------------------------------


@hookspec
def cli_commands() -> Sequence[Any] | None:
    """Return click commands (or groups) to add to the ``drupe`` command.

    Called when the ``drupe`` command builds its list of subcommands. Keep
    the module that defines this cheap to import; import heavy libraries
    inside the command's function.
    """


@hookspec
def secret_values(context: Context) -> Iterable[Any] | None:
    """Return the secret values of this context (credentials, secret-looking parameters).

    Collected by `drupe.secret_scrubber`, which replaces each value wherever
    it appears (error messages and tracebacks, records, log records). Return
    values, not key names. Never raise: a failing implementation means
    nothing gets scrubbed.

    A session asks once per context and keeps the answer (``session.secrets``).
    At create, before any configuration is read, it asks about a context
    whose ``config_loader`` is empty (``context.config_loader["credentials"]``
    raises ``KeyError``): answer what the runtime parameters tell.
    """


@hookspec
def run_options() -> Sequence[Any] | None:
    """Return click options to add to ``drupe run`` (the selection flags).

    The executor plugin contributes the flags that select what runs
    (``--pipelines``, ``--tags``, ``--runner`` ... for the bundled
    ``pipeline`` plugin), so ``drupe run --help`` always lists the flags of
    what will execute. A flag given on the command line reaches
    ``validate_selection`` and ``execute_run`` as ``run.selection[name]``,
    under the option's parameter name; a flag left at its default is not
    passed. The kernel's own ``drupe run`` options (``--params``, ``--env``,
    ``--conf-source``, ``--run-id``) cannot be redefined.
    """


@hookspec
def complete_option(
    command: str, option: str, incomplete: str, project_path: Path | None
) -> Iterable[str] | None:
    """Return the values the shell may offer for a kernel option of a ``drupe`` command.

    Asked when the shell completes the value of an option the kernel owns
    but whose values a plugin knows: ``drupe run --env`` (``command`` is
    ``"run"``, ``option`` the parameter name ``"env"``). ``incomplete`` is
    what was typed so far, ``project_path`` the ``--project`` given
    (``None``: the current folder). The bundled ``config`` plugin answers
    ``env`` with the folders of the project's ``conf/`` other than
    ``base``. Return candidates (the kernel keeps those that start with
    what was typed), or ``None``. Be quick and quiet; an exception completes
    nothing. Options a plugin contributes complete through their own
    ``shell_complete=`` callback instead.
    """


@hookspec(historic=True)
def add_hookspecs(plugin_manager: pluggy.PluginManager) -> None:
    """Register a plugin's own hook specifications.

    Called once per plugin when the manager is finalised, and at once for a
    plugin registered later (a project's ``settings.HOOKS``: the call is
    historic), e.g. ``plugin_manager.add_hookspecs(my_plugin.hookspecs)``.

    A hook specification module may claim a family of hook names with a
    module attribute ``HOOK_NAME_PATTERNS = ("before_node_*", ...)``
    (`fnmatch` patterns): once it is registered, an implementation of a
    name in that family that no spec defines (a typo such as
    ``after_node_runn``) is rejected, even when marked ``optionalhook``.
    """


@hookspec
def run_summary(
    session: AbstractSession, run: RunRequest, result: Mapping[str, Any] | None
) -> Mapping[str, Sequence[Mapping[str, Any]]] | None:
    """Return what this plugin has to tell about a finished run, or ``None``.

    Called by ``drupe run`` after the run (``result`` is ``None`` when it
    failed) to print its summary. Return ``{section: [entry, ...]}`` where
    every entry is a JSON-friendly mapping with a ``"name"``: the bundled
    ``pipeline`` plugin returns ``{"saved": [{"name": "model", "path": ...,
    "version": ...}]}``. ``drupe run --json`` includes the sections as they
    are; the text summary prints one line per entry, ``section name -> path
    (version v)`` followed by the entry's other keys as ``key=value``
    (``path`` and ``version`` are optional; ``type`` and ``file`` are shown
    only in the JSON). The kernel prints the lines and knows nothing of
    what they mean.
    """
