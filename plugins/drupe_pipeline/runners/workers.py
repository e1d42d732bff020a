"""The session's plugins in a worker: the one place the graph runner asks for them.

In the session's process `worker_spec` describes the session (a picklable
`drupe.WorkerSpec`); in a worker `worker_hooks` re-creates its plugins from
that description through the kernel (once per process and session) and
returns their hook relay, so node and dataset hooks fire where the node runs.
"""

from __future__ import annotations

from typing import Any

import drupe


def worker_spec(session: Any) -> drupe.WorkerSpec | None:
    """``session.worker_spec()``, or ``None`` when the runner was called without a session."""
    if session is None:
        return None
    spec: drupe.WorkerSpec = session.worker_spec()
    return spec


def worker_hooks(spec: drupe.WorkerSpec) -> Any:
    """In a worker: the hook relay of the session's plugins, re-created here once per process."""
    return drupe.worker_plugin_manager(spec).hook
