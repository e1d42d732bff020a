"""Node reports: what a plugin's hooks gathered where a node ran, sent to the session's process.

Where a node runs in another process (a process-pool worker, a Dask
worker), the node hooks fill the worker's copy of each plugin. `collect`
asks every plugin implementing ``node_report`` for what it wants to keep;
the runner carries the result (a plain, picklable dict keyed by plugin
name) back with the node's outputs, and `deliver` hands each report to
``receive_node_report`` of the plugin *of the same name* in the session's
process. In-process runners do both in a row (`report_in_place`), so a
plugin behaves the same under every runner.

The hook callers are resolved once per run by `NodeHooks`: a run whose
plugins implement neither hook pays nothing.
"""

from __future__ import annotations

from typing import Any

from drupe_pipeline.runners.node_run import RunInfo

Reports = dict[str, Any]


def _implementations(caller: Any) -> list[Any]:
    """The plain (non-wrapper) implementations behind a hook caller, or none for a no-op."""
    get = getattr(caller, "get_hookimpls", None)
    if get is None:
        return []
    return [impl for impl in get() if not (impl.hookwrapper or impl.wrapper)]


def _call(impl: Any, arguments: dict[str, Any]) -> Any:
    """Call one implementation with the arguments it asks for (as pluggy would)."""
    return impl.function(*(arguments[name] for name in impl.argnames))


def collect(hook: Any, node: Any, info: RunInfo) -> Reports:
    """Where ``node`` ran: ``{plugin name: report}`` from every ``node_report`` that answered."""
    impls = _implementations(getattr(hook, "node_report", None))
    if not impls:
        return {}
    arguments = {"node": node, "run_id": info.run_id, "session_id": info.session_id}
    reports: Reports = {}
    for impl in impls:
        report = _call(impl, arguments)
        if report is not None:
            reports[impl.plugin_name] = report
    return reports


def deliver(hook: Any, node: Any, reports: Reports, info: RunInfo) -> None:
    """In the session's process: each report to ``receive_node_report`` of the plugin that made it.

    A report whose plugin has no receiver here (a plugin enabled only in
    the workers) is dropped.
    """
    if not reports:
        return
    receivers = {
        impl.plugin_name: impl
        for impl in _implementations(getattr(hook, "receive_node_report", None))
    }
    for name, report in reports.items():
        impl = receivers.get(name)
        if impl is not None:
            _call(
                impl,
                {
                    "node": node,
                    "report": report,
                    "run_id": info.run_id,
                    "session_id": info.session_id,
                },
            )


def report_in_place(hook: Any, node: Any, info: RunInfo) -> None:
    """For runners that run nodes in the session's process: collect and deliver at once."""
    deliver(hook, node, collect(hook, node, info), info)
