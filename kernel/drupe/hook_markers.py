"""Reading hook markers from a plugin or spec module the cheap way, for the common cases.

pluggy looks at every name ``dir(plugin)`` lists through
``inspect.getattr_static``, so that properties and other descriptors are
never run. That walk costs about half of building a plugin manager, which
every process pays once before its first command or session. Nearly every
name it looks at is a plain function, a class, a module or a constant,
found in a module's or a class's own namespace: those can be answered from
the namespace dictionaries directly, with the same answer pluggy would give.
Anything else (an instance attribute, a slot, a ``staticmethod``, a bound
method, a descriptor) is left to pluggy, by returning `ASK_PLUGGY`.
"""

from __future__ import annotations

import types
from typing import Any

#: Returned when the answer needs pluggy's full static lookup.
ASK_PLUGGY: Any = object()

_ABSENT = object()
#: Values pluggy never treats as hooks (classes, modules, constants, containers).
_NOT_HOOKABLE: tuple[type, ...] = (
    type,
    types.ModuleType,
    type(None),
    str,
    bytes,
    int,
    float,
    tuple,
    list,
    dict,
    set,
    frozenset,
)


def marker_options(obj: Any, name: str, marker: str) -> Any:
    """The options ``marker`` (``drupe_impl``, ``drupe_spec``) put on ``obj.name``, or `ASK_PLUGGY`.

    Matches pluggy's rule for the cases it answers: a plain function is
    hookable and carries its options as an attribute; a class, module or
    constant is never hookable.
    """
    value = _static_value(obj, name)
    if type(value) is types.FunctionType:
        options = getattr(value, marker, None)
        if isinstance(options, dict):
            return options
        # pluggy also looks for the marker on a ``__func__`` the function carries.
        return ASK_PLUGGY if "__func__" in vars(value) else None
    if value is not _ABSENT and isinstance(value, _NOT_HOOKABLE):
        return None
    return ASK_PLUGGY


#: ``type``'s own ``__mro__`` and ``__dict__``: a metaclass may override them with
#: properties, which reading through these descriptors never runs.
_MRO = vars(type)["__mro__"]
_NAMESPACE = vars(type)["__dict__"]


def _static_value(obj: Any, name: str) -> Any:
    """``name`` from the namespace that defines it, without running descriptors (or `_ABSENT`)."""
    if type(obj) is types.ModuleType:
        # A module subclass (a lazy module) may define descriptors: pluggy's business.
        return vars(obj).get(name, _ABSENT)
    if isinstance(obj, type):
        owner = obj
    elif isinstance(obj, types.ModuleType):
        return _ABSENT
    else:
        try:
            own = object.__getattribute__(obj, "__dict__")
        except AttributeError:
            return _ABSENT  # slots: pluggy reads them safely
        if not isinstance(own, dict) or name in own:
            return _ABSENT  # instance attributes are pluggy's business
        owner = type(obj)
    for klass in _MRO.__get__(owner):
        namespace = _NAMESPACE.__get__(klass)
        if name in namespace:
            return namespace[name]
    return _ABSENT


__all__ = ["ASK_PLUGGY", "marker_options"]
