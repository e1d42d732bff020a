"""Running one node: load its inputs, call it, save its outputs, with the hooks around.

Every runner runs a node through `run_node`, in a thread, a worker process
or inline, so the order of hooks for a node is the same everywhere:

``before_dataset_loaded`` / ``after_dataset_loaded`` (per input),
``before_node_run``, the node, ``after_node_run`` (or ``on_node_error``),
``before_dataset_saved`` / ``after_dataset_saved`` (per output).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from drupe_pipeline.errors import NodeError
from drupe_pipeline.node import Node


class _NoHooks:
    """Stands in for a hook relay when nothing listens (a runner used on its own)."""

    @staticmethod
    def _none(**kwargs: Any) -> list[Any]:
        return []

    def __getattr__(self, name: str) -> Any:
        return self._none


NO_HOOKS: Any = _NoHooks()

#: The hooks `run_node` calls, for every node.
NODE_HOOKS = (
    "before_node_run",
    "after_node_run",
    "on_node_error",
    "before_dataset_loaded",
    "after_dataset_loaded",
    "before_dataset_saved",
    "after_dataset_saved",
)

#: The hooks that carry node reports back from workers (`drupe_pipeline.runners.reports`).
REPORT_HOOKS = ("node_report", "receive_node_report")


class NodeHooks:
    """The node and dataset hooks of one plugin manager, resolved once per run.

    A hook nobody implements is replaced by a no-op: pluggy would call no
    implementation anyway, and skipping the dispatch saves ~2 µs per call,
    seven calls per node. (A hook-call monitor therefore sees only the node
    hooks some plugin implements.)
    """

    __slots__ = NODE_HOOKS + REPORT_HOOKS

    def __init__(self, relay: Any) -> None:
        for name in NODE_HOOKS + REPORT_HOOKS:
            caller = getattr(relay, name, None) if relay is not None else None
            implemented = caller is not None and bool(caller.get_hookimpls())
            setattr(self, name, caller if implemented else _NoHooks._none)


class RunInfo(NamedTuple):
    """What a node needs to know about the run it belongs to (passed to hooks)."""

    run_id: str = ""
    session_id: str = ""
    #: Load a node's inputs, and save its outputs, concurrently (``drupe run --async``).
    async_io: bool = False


def node_error(node: Node, error: BaseException) -> NodeError:
    """The `NodeError` for ``node`` failing with ``error`` (chain it with ``from error``)."""
    inputs = ", ".join(node.inputs) or "none"
    return NodeError(
        f"node {node.name!r} (inputs: {inputs}) failed: {type(error).__name__}: {error}"
    )


def run_node(
    node: Node,
    catalog: Any,
    hook: Any,
    info: RunInfo,
    *,
    is_async: bool = False,
) -> None:
    """Run ``node`` against ``catalog``; a failure of its function raises `NodeError`.

    ``hook`` is a plugin manager's hook relay (``NO_HOOKS`` for none). A
    failure while loading or saving data propagates as the dataset's own
    error (a `DatasetError` naming the dataset), wrapped in `NodeError` too,
    so the message always starts with the node that was running.
    """
    run_id = info.run_id
    inputs: dict[str, Any] = {}

    def load(name: str) -> Any:
        hook.before_dataset_loaded(dataset_name=name, node=node, run_id=run_id)
        value = catalog.load(name)
        hook.after_dataset_loaded(dataset_name=name, data=value, node=node, run_id=run_id)
        return value

    try:
        names = list(dict.fromkeys(node.inputs))
        inputs = dict(zip(names, _each(load, names, info.async_io), strict=True))
    except NodeError:
        raise
    except Exception as exc:
        raise node_error(node, exc) from exc

    common = {
        "node": node,
        "catalog": catalog,
        "is_async": is_async,
        "run_id": run_id,
        "session_id": info.session_id,
    }
    try:
        for replaced in hook.before_node_run(inputs=inputs, **common):
            if replaced:
                inputs.update(replaced)
        outputs = node.run(inputs)
    except Exception as exc:
        hook.on_node_error(error=exc, inputs=inputs, **common)
        raise node_error(node, exc) from exc
    hook.after_node_run(inputs=inputs, outputs=outputs, **common)

    def save(item: tuple[str, Any]) -> None:
        name, value = item
        hook.before_dataset_saved(dataset_name=name, data=value, node=node, run_id=run_id)
        catalog.save(name, value)
        hook.after_dataset_saved(dataset_name=name, data=value, node=node, run_id=run_id)

    try:
        _each(save, list(outputs.items()), info.async_io)
    except Exception as exc:
        raise node_error(node, exc) from exc


def _each(call: Any, items: list[Any], concurrently: bool) -> list[Any]:
    """``[call(item) for item in items]``, in threads when ``concurrently`` and worth it.

    Results keep the order of ``items``; the first failure (in that order)
    is raised after every call has finished, so no save is left half-done.
    """
    if not concurrently or len(items) < 2:
        return [call(item) for item in items]
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(len(items), 8)) as pool:
        # Each call sees the caller's context (the active session, hooks' state).
        futures = [pool.submit(contextvars.copy_context().run, call, item) for item in items]
    return [future.result() for future in futures]
