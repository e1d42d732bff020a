"""The session's plugins on every Dask worker, before the first task is unpickled.

A node's function lives in the project's package, which a worker can
import only once the project is set up there (its source folder on
``sys.path``). `SessionPlugins` is a Dask worker plugin: registered on the
cluster for a run, its ``setup`` runs on every worker (and on workers that
join later) and re-creates the session's plugins there through the
callable the run's graph provides. Building them is cached per process, so
the tasks that follow reuse them.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class SessionPlugins(WorkerPlugin):
    """Re-creates one session's plugins on each worker (``prepare(spec)``)."""

    def __init__(self, prepare: Callable[[Any], None], spec: Any) -> None:
        self.prepare = prepare
        self.spec = spec
        self.name = plugin_name(spec)

    def setup(self, worker: Any) -> None:
        self.prepare(self.spec)


def plugin_name(spec: Any) -> str:
    """One name per session description: registering it again replaces, never piles up."""
    digest = hashlib.sha256(pickle.dumps(spec)).hexdigest()[:16]
    return f"drupe-session-plugins-{digest}"


def register(client: Any, prepare: Callable[[Any], None], spec: Any) -> None:
    """Set the session's plugins up on every worker of ``client``'s cluster (and future ones)."""
    if spec is None:
        return
    client.register_plugin(SessionPlugins(prepare, spec))
