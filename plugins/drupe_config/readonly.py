"""Read-only views of configuration values: what the loader hands out.

A service session derives one loader per run from a shared base, and the
values of those loaders share their unchanged branches (that is what makes a
run's configuration cost microseconds). Handing out those branches as plain
dicts would let one run's code change what every other run reads. So every
value leaves the loader wrapped in a view:

* a dict becomes a `ReadOnlyDict` (a `Mapping`), a list a `ReadOnlyList`
  (a `Sequence`); nested containers are wrapped lazily, on access, so
  wrapping costs nothing up front whatever the size of the tree;
* changing a view raises `TypeError`, as `types.MappingProxyType` does;
* ``copy.deepcopy(view)`` (and `thaw`) gives plain, private, mutable dicts
  and lists: that is how nodes receive their parameters;
* a view compares equal to the plain value it wraps.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn, overload


def freeze(value: Any) -> Any:
    """A read-only view of ``value`` when it is a dict or a list; else ``value`` itself."""
    if isinstance(value, dict):
        return ReadOnlyDict(value)
    if isinstance(value, list):
        return ReadOnlyList(value)
    return value


def thaw(value: Any) -> Any:
    """A plain, private, mutable deep copy of a configuration value (views included)."""
    return copy.deepcopy(value)


def _refuse(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(
        f"{type(self).__name__} is read-only: configuration is shared between runs; "
        f"change a copy (copy.deepcopy(value) or drupe_config.thaw(value))"
    )


class ReadOnlyDict(Mapping[str, Any]):
    """A read-only view of a configuration dict; nested values are views too."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return freeze(self._data[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ReadOnlyDict, ReadOnlyList)):
            other = other._data
        return bool(self._data == other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._data)

    def __or__(self, other: Mapping[str, Any]) -> dict[str, Any]:
        """``view | {...}``: a new plain dict (shallow; nested values stay views)."""
        return {**self, **other}

    def __copy__(self) -> ReadOnlyDict:
        return self  # immutable: a shallow copy may be the object itself

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        result: dict[str, Any] = copy.deepcopy(self._data, memo)
        return result

    def __reduce__(self) -> tuple[Any, ...]:
        return (ReadOnlyDict, (self._data,))

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = __ior__ = _refuse


class ReadOnlyList(Sequence[Any]):
    """A read-only view of a configuration list; nested values are views too."""

    __slots__ = ("_data",)

    def __init__(self, data: list[Any]) -> None:
        self._data = data

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> ReadOnlyList: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ReadOnlyList(self._data[index])
        return freeze(self._data[index])

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ReadOnlyDict, ReadOnlyList)):
            other = other._data
        if isinstance(other, tuple):
            other = list(other)
        return bool(self._data == other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._data)

    def __copy__(self) -> ReadOnlyList:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        result: list[Any] = copy.deepcopy(self._data, memo)
        return result

    def __reduce__(self) -> tuple[Any, ...]:
        return (ReadOnlyList, (self._data,))

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
