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
import types
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import pluggy

from drupe.plugin_manager import Blocklist, PluginManager, entry_point_scan_key

#: How many plugin-set templates one process keeps.
TEMPLATE_CACHE_SIZE = 8

_lock = threading.Lock()
_templates: OrderedDict[Hashable, _Template] = OrderedDict()


def _after_fork_in_child() -> None:
    """A lock held by another thread at ``fork`` would stay held forever in the child."""
    global _lock, _bind_lock
    _lock = threading.Lock()
    _bind_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _Template:
    """A built, finalised manager and how to make each of its plugins anew."""

    def __init__(self, manager: PluginManager, factories: Mapping[str, Callable[[], Any]]) -> None:
        self.manager = manager
        self.factories = factories
        # The template never changes, so what each copy does per hook is worked out once.
        self.plan = caller_plan(manager, factories)

    def copy(self) -> PluginManager:
        return self.manager.copy_for_session(self.factories, self.plan)


def supported() -> bool:
    """Whether pluggy's objects look as the copy expects (checked once per process)."""
    return _SUPPORTED


#: The slots of pluggy's ``HookImpl`` that `copy_impl` fills, one by one.
_IMPL_SLOTS = {
    "argnames",
    "function",
    "hookwrapper",
    "kwargnames",
    "optionalhook",
    "opts",
    "plugin",
    "plugin_name",
    "tryfirst",
    "trylast",
    "wrapper",
}


def _check_layout() -> bool:
    caller = pluggy.HookCaller("probe", lambda *a: None)
    return (
        set(getattr(pluggy.HookCaller, "__slots__", ()))
        == {"_call_history", "_hookexec", "_hookimpls", "name", "spec"}
        and hasattr(caller, "_hookimpls")
        and set(getattr(pluggy.HookImpl, "__slots__", ())) == _IMPL_SLOTS
        and type(vars(pluggy.HookCaller).get("_hookimpls")).__name__ == "member_descriptor"
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


def copy_impl(
    impl: pluggy.HookImpl, plugin: Any, own: Mapping[str, Any] | None = None
) -> pluggy.HookImpl:
    """``impl`` bound to another instance of its plugin's class (no inspection).

    The method is bound to ``plugin`` from the template's function, never
    looked up by name on ``plugin``: what someone sets on the instance after
    the copy was made does not change its hooks, as with pluggy. ``own`` is
    the instance's own attributes *when it was made* (its ``__init__`` may
    set a hook there, which pluggy would have preferred to the class's).

    Slots are copied one by one: `copy.copy` goes through ``__reduce_ex__``
    and cost a quarter of a whole session when every session copied ~40
    implementations; written out (three times faster than a loop over the
    slot names), for the layout `supported` checked.
    """
    function = impl.function
    name = getattr(function, "__name__", "")
    override = own.get(name) if own and isinstance(name, str) else None
    if callable(override):
        function = override
    elif type(function) is _MethodType and function.__self__ is impl.plugin:
        function = _MethodType(function.__func__, plugin)
    fresh: Any = pluggy.HookImpl.__new__(pluggy.HookImpl)
    fresh.argnames = impl.argnames
    fresh.kwargnames = impl.kwargnames
    fresh.opts = impl.opts
    fresh.plugin_name = impl.plugin_name
    fresh.wrapper = impl.wrapper
    fresh.hookwrapper = impl.hookwrapper
    fresh.optionalhook = impl.optionalhook
    fresh.tryfirst = impl.tryfirst
    fresh.trylast = impl.trylast
    fresh.plugin = plugin
    fresh.function = function
    copied: pluggy.HookImpl = fresh
    return copied


#: pluggy's own storage of a caller's implementation list (a slot).
_IMPLS_SLOT: Any = vars(pluggy.HookCaller).get("_hookimpls")
_bind_lock = threading.Lock()


class BindingCaller(pluggy.HookCaller):
    """A session's hook caller that binds its implementations to the session's plugins on first use.

    A session calls about a third of its hooks, so binding the others
    (a new ``HookImpl`` each, bound to the session's plugin instance) would
    be wasted work. Until something reads the implementation list (a call,
    ``get_hookimpls``, a registration), the caller holds the template's
    list and the session's instances; the first read builds the bound list
    once. pluggy's own subset callers keep their list behind the same
    property.
    """

    __slots__ = ("_unbound",)

    def __init__(
        self,
        name: str,
        hook_execute: Any,
        impls: Sequence[pluggy.HookImpl],
        instances: Mapping[int, Renewed],
    ) -> None:
        self._unbound: tuple[Sequence[pluggy.HookImpl], Mapping[int, Renewed]] | None = None
        super().__init__(name, hook_execute)
        self._unbound = (impls, instances)

    @property  # type: ignore[misc]  # pluggy's attribute is Final; this class owns its storage
    def _hookimpls(self) -> list[pluggy.HookImpl]:
        if self._unbound is not None:
            with _bind_lock:
                if self._unbound is not None:
                    impls, instances = self._unbound
                    _IMPLS_SLOT.__set__(self, [_rebound(impl, instances) for impl in impls])
                    self._unbound = None
        bound: list[pluggy.HookImpl] = _IMPLS_SLOT.__get__(self)
        return bound

    @_hookimpls.setter
    def _hookimpls(self, value: list[pluggy.HookImpl]) -> None:
        _IMPLS_SLOT.__set__(self, value)
        self._unbound = None  # a list set from outside replaces what was left to bind


def implementing_plugins(caller: pluggy.HookCaller) -> list[Any]:
    """The plugin of each of ``caller``'s implementations, without binding a pending copy.

    Validation lists which hooks each plugin implements after a session
    registers its settings ``HOOKS``: reading every caller's implementations
    would bind them all, which is the work the copy defers.
    """
    if isinstance(caller, BindingCaller):
        pending = caller._unbound
        if pending is not None:
            impls, instances = pending
            return [instances.get(id(i.plugin), (i.plugin,))[0] for i in impls]
    return [impl.plugin for impl in caller.get_hookimpls()]


def _rebound(impl: pluggy.HookImpl, instances: Mapping[int, Renewed]) -> pluggy.HookImpl:
    renewed = instances.get(id(impl.plugin))
    return impl if renewed is None else copy_impl(impl, renewed[0], renewed[1])


#: A plugin instance made for a session, and its own attributes when it was made.
Renewed = tuple[Any, Mapping[str, Any]]


_MethodType = types.MethodType
_NO_ATTRIBUTES: Mapping[str, Any] = types.MappingProxyType({})


def renewed(instance: Any) -> Renewed:
    """``instance`` and a snapshot of its own attributes (what its ``__init__`` set)."""
    try:
        own = object.__getattribute__(instance, "__dict__")
    except AttributeError:
        return instance, _NO_ATTRIBUTES
    return instance, dict(own) if own and type(own) is dict else _NO_ATTRIBUTES


class CallerPlan:
    """What a copy makes for one hook of the template (worked out once per template).

    A plain class: a ``NamedTuple`` costs a tenth of a millisecond to define,
    on the start-up path of every ``drupe`` command.
    """

    __slots__ = ("binds", "history", "impls", "name", "spec")

    def __init__(
        self,
        name: str,
        spec: Any,
        impls: tuple[pluggy.HookImpl, ...],
        binds: bool,
        history: Any,
    ) -> None:
        self.name = name
        self.spec = spec
        self.impls = impls
        #: Whether any implementation belongs to a plugin that each copy instantiates anew.
        self.binds = binds
        self.history = history


def caller_plan(manager: PluginManager, factories: Mapping[str, Any]) -> list[CallerPlan]:
    """One `CallerPlan` per hook caller of ``manager``, for copies that renew ``factories``."""
    renewed_ids = {id(manager.get_plugin(name)) for name in factories}
    plan = []
    for name, caller in vars(manager.hook).items():
        if isinstance(caller, pluggy.HookCaller):
            impls = tuple(caller.get_hookimpls())
            binds = any(id(impl.plugin) in renewed_ids for impl in impls)
            plan.append(CallerPlan(name, caller.spec, impls, binds, caller._call_history))
    return plan


def session_caller(entry: CallerPlan, hook_execute: Any, instances: Mapping[int, Renewed]) -> Any:
    """The copy's caller for one hook, with the copy's plugin ``instances`` (by template id).

    Implementations of shared plugins (modules, objects) are reused as they
    are; a caller with any implementation on a per-session instance binds
    them on first use (`BindingCaller`). The caller's slots are filled
    directly: pluggy's ``__init__`` is most of the cost of a copy, and
    `supported` checked the layout.
    """
    caller: Any
    if entry.binds:
        caller = BindingCaller.__new__(BindingCaller)
        caller._unbound = (entry.impls, instances)
    else:
        caller = pluggy.HookCaller.__new__(pluggy.HookCaller)
        caller._hookimpls = list(entry.impls)
    caller.name = entry.name
    caller._hookexec = hook_execute
    caller._call_history = None
    caller.spec = entry.spec
    return caller


__all__ = [
    "TEMPLATE_CACHE_SIZE",
    "BindingCaller",
    "CallerPlan",
    "caller_plan",
    "clear",
    "copy_impl",
    "implementing_plugins",
    "manager_from_template",
    "renewed",
    "session_caller",
    "supported",
]
