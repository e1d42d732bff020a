"""drupe's quick reading of hook markers gives pluggy's answer for every shape of plugin."""

from __future__ import annotations

import types
from typing import Any

import pluggy
import pytest

import drupe
from drupe import hookspecs
from drupe.plugin_manager import PluginManager

PROPERTY_RUNS: list[str] = []


class Base:
    @drupe.hookimpl
    def after_close(self, session: Any) -> None: ...


class ClassPlugin(Base):
    """Every kind of attribute a plugin class holds, marked and unmarked."""

    LIMIT = 3
    names = ("a", "b")

    @drupe.hookimpl
    def before_run(self, session: Any, run: Any) -> None: ...

    @drupe.hookimpl
    @staticmethod
    def after_run(session: Any, run: Any, result: Any) -> None: ...

    @drupe.hookimpl
    @classmethod
    def before_session_create(cls, spec: Any) -> None: ...

    def helper(self) -> None: ...

    @property
    def expensive(self) -> int:
        PROPERTY_RUNS.append("expensive")
        raise AssertionError("a property must never run while hooks are read")

    class Nested:
        pass


class SlotsPlugin:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 1

    @drupe.hookimpl
    def before_run(self, session: Any, run: Any) -> None: ...


class LazyModuleLike:
    """An object that answers every attribute through ``__getattr__``."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"__getattr__ must not run for {name}")


def instance_with_function_attribute() -> Any:
    plugin = ClassPlugin()

    @drupe.hookimpl
    def after_context_created(context: Any) -> None: ...

    plugin.after_context_created = after_context_created  # type: ignore[attr-defined]
    plugin.bound = Base().after_close  # type: ignore[attr-defined]
    return plugin


def module_plugin() -> types.ModuleType:
    module = types.ModuleType("drupe_test_module_plugin")

    @drupe.hookimpl
    def before_run(session: Any, run: Any) -> None: ...

    def unmarked() -> None: ...

    module.before_run = before_run  # type: ignore[attr-defined]
    module.unmarked = unmarked  # type: ignore[attr-defined]
    module.os = types  # type: ignore[attr-defined]
    module.Helper = ClassPlugin  # type: ignore[attr-defined]
    module.CONSTANT = 3  # type: ignore[attr-defined]
    module.table = {"x": 1}  # type: ignore[attr-defined]
    module.bound_hook = ClassPlugin().before_run  # type: ignore[attr-defined]
    module.static = staticmethod(before_run)  # type: ignore[attr-defined]
    return module


class LazyModule(types.ModuleType):
    """A module whose class defines a data descriptor (the lazy-module pattern)."""

    @property
    def before_run(self) -> Any:
        PROPERTY_RUNS.append("module property")
        raise AssertionError("a module property must never run while hooks are read")


def lazy_module() -> types.ModuleType:
    module = LazyModule("drupe_test_lazy_module")

    @drupe.hookimpl
    def before_run(session: Any, run: Any) -> None: ...

    vars(module)["before_run"] = before_run  # shadowed by the class's data descriptor
    return module


class Loud(type):
    """A metaclass whose ``__mro__`` and ``__dict__`` are properties that must not run."""

    @property
    def __mro__(cls) -> Any:  # type: ignore[override]
        PROPERTY_RUNS.append("metaclass __mro__")
        return type.__dict__["__mro__"].__get__(cls)


class LoudPlugin(metaclass=Loud):
    @drupe.hookimpl
    def before_run(self, session: Any, run: Any) -> None: ...


def function_carrying_func() -> Any:
    @drupe.hookimpl
    def marked(session: Any, run: Any) -> None: ...

    def before_run(session: Any, run: Any) -> None: ...

    before_run.__func__ = marked  # type: ignore[attr-defined]
    module = types.ModuleType("drupe_test_func_carrier")
    module.before_run = before_run  # type: ignore[attr-defined]
    return module


PLUGINS = {
    "class instance": ClassPlugin,
    "class itself": lambda: ClassPlugin,
    "slots instance": SlotsPlugin,
    "instance with function attributes": instance_with_function_attribute,
    "module": module_plugin,
    "object with __getattr__": LazyModuleLike,
    "module subclass with a descriptor": lazy_module,
    "class with a metaclass": lambda: LoudPlugin,
    "instance of a class with a metaclass": LoudPlugin,
    "function carrying __func__": function_carrying_func,
}


@pytest.mark.parametrize("make", PLUGINS.values(), ids=PLUGINS.keys())
def test_each_attribute_gets_pluggys_own_answer(make: Any) -> None:
    plugin = make()
    manager = PluginManager()
    for name in dir(plugin):
        if name.startswith("_"):
            continue  # drupe skips these on purpose: no hook name starts with "_"
        ours = manager.parse_hookimpl_opts(plugin, name)
        theirs = pluggy.PluginManager.parse_hookimpl_opts(manager, plugin, name)
        assert ours == theirs, name
    assert PROPERTY_RUNS == []


def test_a_lazy_module_registers_as_pluggy_registers_it() -> None:
    manager, plain = PluginManager(), pluggy.PluginManager("drupe")
    plain.add_hookspecs(hookspecs)
    assert manager.register(lazy_module(), name="lazy") == "lazy"
    plain.register(lazy_module(), name="lazy")
    assert manager.hook.before_run.get_hookimpls() == plain.hook.before_run.get_hookimpls() == []
    assert PROPERTY_RUNS == []


def test_the_hooks_a_class_plugin_registers_are_pluggys() -> None:
    manager = PluginManager()
    manager.register(ClassPlugin(), name="shapes")
    hooks = {
        caller.name
        for caller in vars(manager.hook).values()
        if isinstance(caller, pluggy.HookCaller)
        and any(impl.plugin_name == "shapes" for impl in caller.get_hookimpls())
    }
    assert hooks == {"before_run", "after_run", "before_session_create", "after_close"}
    assert PROPERTY_RUNS == []


def test_spec_modules_are_read_as_pluggy_reads_them() -> None:
    manager = PluginManager()
    for name in dir(hookspecs):
        ours = manager.parse_hookspec_opts(hookspecs, name)
        theirs = pluggy.PluginManager.parse_hookspec_opts(manager, hookspecs, name)
        assert ours == theirs, name
    assert manager.parse_hookspec_opts(hookspecs, "before_run") is not None
