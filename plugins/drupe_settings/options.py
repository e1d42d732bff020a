"""Settings options: who declares which, and checking a settings module against them.

Options are declared by the plugins that read them (the ``declare_settings``
hook), so the set of known options is the set the *enabled* plugins of this
session read. Checking is strict on purpose: an unknown UPPER_CASE name is a
typo until proven otherwise, and a wrong type fails here, at session start,
rather than deep inside the plugin that reads it.
"""

from __future__ import annotations

import copy
import operator
import re
import types
from collections.abc import Mapping
from typing import Any, NamedTuple

import pluggy

from drupe import PluginError, SettingsError

OPTION_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class Option(NamedTuple):
    """One declared settings option."""

    name: str
    type: type | tuple[type, ...] | None
    default: Any
    doc: str
    plugin: str

    def type_name(self) -> str:
        types_ = self.type if isinstance(self.type, tuple) else (self.type,)
        return " or ".join(t.__name__ for t in types_ if t is not None) or "anything"


def collect_options(plugin_manager: pluggy.PluginManager) -> dict[str, Option]:
    """Every option declared by a plugin registered in ``plugin_manager``."""
    caller = getattr(plugin_manager.hook, "declare_settings", None)
    if caller is None:
        return {}
    options: dict[str, Option] = {}
    for impl in caller.get_hookimpls():  # registration order, for stable errors
        declared = impl.function()
        if declared is None:
            continue
        if not isinstance(declared, Mapping):
            raise PluginError(
                f"plugin {impl.plugin_name!r}: declare_settings() must return a dict of "
                f"options, got {type(declared).__name__}"
            )
        for option in _checked_options(impl.plugin_name, declared):
            name = option.name
            other = options.get(name)
            if other is not None and other.type != option.type:
                raise PluginError(
                    f"plugins {other.plugin!r} and {option.plugin!r} both declare the settings "
                    f"option {name} with different types ({other.type_name()} and "
                    f"{option.type_name()}); disable one of them"
                )
            options.setdefault(name, option)
    return options


#: plugin name -> (what it declared, its specs, the options checked from it). Plugins
#: declare the same constant in every session: checking it once per process is enough.
_checked: dict[str, tuple[Mapping[Any, Any], tuple[Any, ...], tuple[Option, ...]]] = {}


def _checked_options(plugin: str, declared: Mapping[Any, Any]) -> tuple[Option, ...]:
    """The options in ``declared``, checked; reused while the plugin declares the very same.

    "The same" is by identity: the same mapping holding the same spec
    objects (a plugin that changes its options returns a new mapping).
    Values are never compared with ``==``, which a default may define
    strangely (an array) or loosely (``1 == True``).
    """
    known = _checked.get(plugin)
    specs = tuple(declared.values())
    if (
        known is not None
        and known[0] is declared
        and len(specs) == len(known[1])
        and all(map(operator.is_, specs, known[1]))
    ):
        return known[2]
    options = tuple(_option(plugin, name, spec) for name, spec in declared.items())
    if len(_checked) < 256 or plugin in _checked:  # bounded: one entry per plugin name
        _checked[plugin] = (declared, specs, options)
    return options


def _option(plugin: str, name: object, spec: object) -> Option:
    if not isinstance(name, str) or not OPTION_NAME.match(name):
        raise PluginError(
            f"plugin {plugin!r} declares the settings option {name!r}: option names are "
            f"UPPER_CASE identifiers"
        )
    if not isinstance(spec, Mapping):
        raise PluginError(
            f"plugin {plugin!r} declares {name} as {spec!r}: a declaration is a dict with "
            f"'type', 'default' and 'doc'"
        )
    expected = spec.get("type")
    if expected is not None and not _is_type_spec(expected):
        raise PluginError(
            f"plugin {plugin!r} declares {name} with type {expected!r}: give a type or a "
            f"tuple of types"
        )
    return Option(
        name=name,
        type=expected,
        default=spec.get("default"),
        doc=str(spec.get("doc", "")),
        plugin=plugin,
    )


def _is_type_spec(value: object) -> bool:
    if isinstance(value, tuple):
        return bool(value) and all(isinstance(v, type) for v in value)
    return isinstance(value, type)


def settings_values(
    module: types.ModuleType | None, options: Mapping[str, Option]
) -> dict[str, Any]:
    """The value of every option: the module's, checked, or a fresh copy of the default."""
    values = {name: _private_copy(option.default) for name, option in options.items()}
    if module is None:
        return values
    for name, value in vars(module).items():
        if not OPTION_NAME.match(name):
            continue  # lower-case helpers and _private names are the module's own business
        option = options.get(name)
        if option is None:
            if _is_import(name, value):
                continue
            raise SettingsError(_unknown_message(module, name, options))
        if option.type is not None and not isinstance(value, option.type):
            raise SettingsError(
                f"settings option {name} in {_where(module, name)} must be a "
                f"{option.type_name()}, got {_show(value)} ({type(value).__name__})"
                + (f": {option.doc}" if option.doc else "")
            )
        values[name] = _private_copy(value)
    return values


def _is_import(name: str, value: object) -> bool:
    """An imported module, or a class/function imported under its own name (``from x import Y``)."""
    if isinstance(value, types.ModuleType):
        return True
    return getattr(value, "__name__", None) == name and callable(value)


def _private_copy(value: Any) -> Any:
    """Containers are copied per session so one session's changes never reach another."""
    if isinstance(value, (dict, list, set)):
        try:
            return copy.deepcopy(value)
        except Exception:
            return copy.copy(value)
    return value


def _unknown_message(module: types.ModuleType, name: str, options: Mapping[str, Option]) -> str:
    import difflib  # error path only

    close = difflib.get_close_matches(name, list(options), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    known = ", ".join(f"{o.name} ({o.plugin})" for o in sorted(options.values(), key=_by_name))
    return (
        f"unknown settings option {name} in {_where(module, name)}: {hint}No enabled plugin "
        f"reads it. Known options: {known or 'none'}. Rename it to lower case if it is a "
        f"helper of settings.py, or enable the plugin that declares it"
    )


def _by_name(option: Option) -> str:
    return option.name


def _where(module: types.ModuleType, name: str) -> str:
    path = getattr(module, "__file__", None)
    if not path:
        return module.__name__
    line = _assignment_line(path, name)
    return f"{path}" + (f" line {line}" if line else "")


def _assignment_line(path: str, name: str) -> int | None:
    """The line where ``settings.py`` assigns ``name`` (for error messages only)."""
    import ast

    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return None
    line = None
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id == name:
                lineno: int = getattr(node, "lineno", 0)
                line = lineno if line is None else max(line, lineno)
    return line


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
