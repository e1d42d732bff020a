"""`Stash`: typed, per-session storage for state that two plugins share on purpose.

A plugin keeps its own per-session state on its own instance (the kernel
builds one instance of each plugin class per session). When two plugins
agree to share something (a scrubber of secret values, a cache both read),
one of them publishes a `StashKey` and both use ``session.stash[key]``: the
key object, not a string, is the identity, so two plugins can never collide
by choosing the same name, and a type checker knows what the value is.

Modelled on pytest's ``Stash``/``StashKey``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")
D = TypeVar("D")


class StashKey(Generic[T]):
    """A key for `Stash`: create one at module level and share the object."""

    __slots__ = ("name",)

    def __init__(self, name: str = "") -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<StashKey {self.name or hex(id(self))}>"


class Stash:
    """A mapping from `StashKey` objects to values, safe to share between a session's threads."""

    __slots__ = ("_items", "_lock")

    def __init__(self) -> None:
        self._items: dict[StashKey[Any], Any] = {}
        self._lock = threading.Lock()

    def __setitem__(self, key: StashKey[T], value: T) -> None:
        with self._lock:
            self._items[key] = value

    def __getitem__(self, key: StashKey[T]) -> T:
        return cast(T, self._items[key])

    def get(self, key: StashKey[T], default: D) -> T | D:
        return cast("T | D", self._items.get(key, default))

    def setdefault(self, key: StashKey[T], factory: Callable[[], T]) -> T:
        """The value under ``key``, made by ``factory()`` the first time (once, under a lock)."""
        with self._lock:
            if key not in self._items:
                self._items[key] = factory()
            return cast(T, self._items[key])

    def __delitem__(self, key: StashKey[Any]) -> None:
        with self._lock:
            del self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)
