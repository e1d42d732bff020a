"""`Frozen` and `Record`: the bases of drupe's value objects (`Project`, `Context`, ...).

These objects used to be attrs classes. Importing attrs costs about 52
million instructions, and defining each attrs class about 3 million more
(attrs writes and compiles its methods while the class is built): together
about a sixth of a whole ``drupe run``, for six small classes on the path of
every session. What those classes need from attrs is little, and the same
for all of them, so it is written once here:

* ``__setattr__`` and ``__delattr__`` refuse, with `FrozenInstanceError` (an
  ``AttributeError``, as attrs raises); ``__init__`` stores its fields with
  `Frozen._set`.
* ``==`` and ``hash()`` compare the fields named in ``_fields``, and only
  between instances of the same class.
* ``repr()`` lists the fields named in ``_repr_fields`` (default: all).
* ``copy.copy`` returns the instance itself; ``deepcopy`` and ``pickle``
  rebuild it through ``__init__``, its read-only mapping views (which cannot
  be pickled) carried as dicts and made read-only views again. A field that
  cannot be pickled (a session's config loader) still cannot.
* ``__match_args__`` is for each class to set (`Project` and `Context` list
  their fields, as attrs did for positional fields), and weak references work.
* ``evolve(**changes)`` (and ``__replace__``, so ``copy.replace`` works on
  Python 3.13) returns a copy with some fields changed, through ``__init__``,
  so the copy is checked and converted like the original.

A subclass declares ``__slots__`` and ``_fields`` (the same names, in
``__init__``'s order) and writes its own ``__init__`` with a real signature,
which type checkers and editors read. `Record`, its base, is the mutable
kind (equality and ``repr`` only, not hashable), for `SessionSpec`, the
draft that hooks complete. ``benchmarks/instructions.py`` shows the figure
this earns.

Modules that load only when their feature is used (serve's request bodies,
the Kedro migration plan, the Dask runner's options, `drupe.testing`) keep
attrs: only the user of that feature pays for its import.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

_F = TypeVar("_F", bound="Frozen")


class FrozenInstanceError(AttributeError):
    """A field of a frozen value object was set or deleted."""


class Record:
    """A slots class with named fields, compared and shown by them (mutable: not hashable).

    `SessionSpec`, the draft hooks complete, is one; `Frozen` adds immutability.
    """

    # attrs' slotted classes could be weakly referenced; so can these.
    __slots__ = ("__weakref__",)

    #: The fields, in the order ``__init__`` takes them; equality (and hashing) use all of them.
    _fields: ClassVar[tuple[str, ...]] = ()
    #: The fields ``repr()`` shows; ``None`` means all of ``_fields``.
    _repr_fields: ClassVar[tuple[str, ...] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A slot left out of _fields would be ignored by ==, hash, repr, copies
        # and evolve() without a word: say so when the class is defined.
        super().__init_subclass__(**kwargs)
        slots = cls.__dict__.get("__slots__", ())
        slots = (slots,) if isinstance(slots, str) else tuple(slots)
        missing = [s for s in slots if not s.startswith("_") and s not in cls._fields]
        if missing:
            raise TypeError(
                f"{cls.__qualname__} has slot(s) {', '.join(missing)} that _fields does not "
                "list: name every field in _fields, in __init__'s order (a slot starting "
                "with '_' is private and may stay out)"
            )

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self is other or self._values() == other._values()

    # Defining __eq__ leaves __hash__ None: a Record is not hashable, a Frozen is.

    def __repr__(self) -> str:
        names = self._fields if self._repr_fields is None else self._repr_fields
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        # As attrs shows it: "Outer.Inner(...)", without a function's "<locals>" part.
        return f"{type(self).__qualname__.rsplit('>.', 1)[-1]}({shown})"


class Frozen(Record):
    """Base class of an immutable value object with named fields; see the module docs."""

    __slots__ = ()

    def _set(self, **values: Any) -> None:
        """Store fields from ``__init__`` (the only way in: ``__setattr__`` refuses)."""
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        hint = f"; use evolve({name}=...)" if name in self._fields else ""
        raise FrozenInstanceError(f"{type(self).__name__} is frozen: cannot set {name!r}{hint}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"{type(self).__name__} is frozen: cannot delete {name!r}")

    def __hash__(self) -> int:
        return hash((self.__class__.__qualname__, self._values()))

    def __reduce__(self) -> tuple[Any, ...]:
        # Read-only mapping views cannot be pickled or deep-copied: they travel
        # as _ReadOnly dicts and are made read-only views again on the way in.
        values = {name: _unproxied(getattr(self, name)) for name in self._fields}
        return (_rebuild, (self.__class__, values))

    def __copy__(self: _F) -> _F:
        return self  # immutable: a shallow copy would be the same value

    def evolve(self: _F, **changes: Any) -> _F:
        """A copy with ``changes`` applied, built (and checked) by ``__init__``."""
        unknown = set(changes).difference(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(sorted(unknown))}")
        values = {name: getattr(self, name) for name in self._fields}
        values.update(changes)
        return type(self)(**values)

    __replace__ = evolve


class _ReadOnly(dict):  # type: ignore[type-arg]
    """A read-only mapping view on its way through pickle or deepcopy."""


def _unproxied(value: Any) -> Any:
    if isinstance(value, MappingProxyType):
        return _ReadOnly({key: _unproxied(item) for key, item in value.items()})
    if type(value) is tuple:
        return tuple(_unproxied(item) for item in value)
    return value


def _reproxied(value: Any) -> Any:
    if type(value) is _ReadOnly:
        return MappingProxyType({key: _reproxied(item) for key, item in value.items()})
    if type(value) is tuple:
        return tuple(_reproxied(item) for item in value)
    return value


def _rebuild(cls: type[_F], values: dict[str, Any]) -> _F:
    """Rebuild a pickled or deep-copied `Frozen` through its ``__init__``."""
    return cls(**{name: _reproxied(value) for name, value in values.items()})
