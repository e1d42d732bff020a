"""A per-process template of the validated entry-point plugin set, copied for each session.

Building a plugin manager from scratch costs most of a small session:
pluggy inspects every specification and every implementation it registers
(``inspect.getattr_static`` over each plugin's attributes, the signature of
each function). None of that depends on the session, only on which plugins
are enabled. So the first session of a process with a given set builds a
*template* manager (entry points loaded, specs added, validated), and every
session gets a *copy* of it:

* a plugin given as a class (every bundled plugin) gets a **new instance**
  in each copy, and the copy's hook implementations are bound to it, so
  per-session state is never shared;
* a plugin given as a module or an object has no per-session state by
  construction and is shared;
* hook callers and their implementation lists are new objects, so what one
  session registers (``settings.HOOKS``, ``plugins=[...]``) or disables
  never shows in another.

The template is keyed by everything that changes it: the entry points on
``sys.path`` (the scan's key) and the blocked names and their routes. At
most `TEMPLATE_CACHE_SIZE` templates are kept per process (least recently
used dropped first). The copy relies
on pluggy's ``HookCaller``/``HookImpl`` layout; when that layout is not what
this module expects (a pluggy release changed it), it falls back to building
each manager from scratch, which is slower and otherwise identical.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import pluggy

from drupe.plugin_manager import Blocklist, PluginManager, entry_point_scan_key

#: How many plugin-set templates one process keeps.
TEMPLATE_CACHE_SIZE = 8

_lock = threading.Lock()
_templates: OrderedDict[Hashable, _Template] = OrderedDict()


def _after_fork_in_child() -> None:
    """A lock held by another thread at ``fork`` would stay held forever in the child."""
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _Template:
    """A built, finalised manager and how to make each of its plugins anew."""

    def __init__(self, manager: PluginManager, factories: Mapping[str, Callable[[], Any]]) -> None:
        self.manager = manager
        self.factories = factories

    def copy(self) -> PluginManager:
        return self.manager.copy_for_session(self.factories)


def supported() -> bool:
    """Whether pluggy's objects look as the copy expects (checked once per process)."""
    return _SUPPORTED


def _check_layout() -> bool:
    caller = pluggy.HookCaller("probe", lambda *a: None)
    return (
        hasattr(caller, "_hookimpls")
        and hasattr(caller, "_call_history")
        and hasattr(caller, "spec")
        and {"function", "plugin", "argnames"} <= set(getattr(pluggy.HookImpl, "__slots__", ()))
    )


_SUPPORTED = _check_layout()


def manager_from_template(
    blocklist: Blocklist, *, tolerant: bool, build: Callable[[], PluginManager]
) -> PluginManager:
    """A session's own manager: a copy of this plugin set's template (built once).

    ``build`` makes a finalised manager with the entry-point plugins loaded
    under ``blocklist``; it is called once per template key.
    """
    if not _SUPPORTED:
        return build()
    # One template serves tolerant and strict managers alike (the ``drupe``
    # command's and its session's): a strict copy of a template that holds a
    # broken plugin fails as a strict build would.
    key = (entry_point_scan_key(), tuple(sorted(blocklist.reasons.items())))
    with _lock:
        template = _templates.get(key)
        if template is not None:
            _templates.move_to_end(key)
    if template is None:
        manager = build()
        template = _Template(manager, manager.plugin_factories())
        with _lock:
            _templates[key] = template
            while len(_templates) > TEMPLATE_CACHE_SIZE:
                _templates.popitem(last=False)
    if not tolerant and template.manager.broken:
        raise next(iter(template.manager.broken.values()))
    return template.copy()


def clear() -> None:
    """Forget every template (tests that install plugins mid-process use this)."""
    with _lock:
        _templates.clear()


#: What a copy takes over unchanged from the template's implementation.
_SHARED_SLOTS = tuple(
    slot for slot in getattr(pluggy.HookImpl, "__slots__", ()) if slot not in ("plugin", "function")
)


def copy_impl(impl: pluggy.HookImpl, plugin: Any) -> pluggy.HookImpl:
    """``impl`` bound to another instance of its plugin's class (no inspection).

    Slots are copied one by one: `copy.copy` goes through ``__reduce_ex__``
    and cost a quarter of a whole session when every session copies ~40
    implementations.
    """
    fresh = pluggy.HookImpl.__new__(pluggy.HookImpl)
    for slot in _SHARED_SLOTS:
        setattr(fresh, slot, getattr(impl, slot))
    name = getattr(impl.function, "__name__", None)
    setattr(fresh, "plugin", plugin)  # noqa: B010 - Final for callers, a slot at runtime
    setattr(fresh, "function", getattr(plugin, name) if name else impl.function)  # noqa: B010
    return fresh


__all__ = ["TEMPLATE_CACHE_SIZE", "clear", "copy_impl", "manager_from_template", "supported"]
