"""The session's plugins in a worker: the one place runners ask for them.

In the session's process `worker_spec` describes the session (picklable);
in a worker `worker_hooks` re-creates its plugins from that description
(once per process) and returns their hook relay, so node and dataset hooks
fire where the node runs.
"""

from __future__ import annotations

from typing import Any


def worker_spec(session: Any) -> Any:
    """A picklable description of ``session``'s plugins and project (``None``: no session)."""
    if session is None:
        return None
    from drupe_pipeline.runners.parallel import worker_bootstrap

    return worker_bootstrap(session)


def worker_hooks(spec: Any) -> Any:
    """In a worker: the hook relay of the session's plugins, re-created here once per process."""
    return spec.plugin_manager().hook
