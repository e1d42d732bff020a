"""`Settings`: the read-only result of reading a project's ``settings.py``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, NoReturn


class Settings:
    """A project's settings: every declared option, with the project's value or the default.

    Read options as attributes (``settings.HOOKS``) or with ``.get(name,
    default)``; ``.as_dict()`` gives a plain copy. A `Settings` object cannot
    be changed: each session gets its own, built when the session is
    created, so nothing one session does to its settings reaches another.
    """

    __slots__ = ("_source", "_values")

    _values: Mapping[str, Any]
    _source: str | None

    def __init__(self, values: Mapping[str, Any] | None = None, source: str | None = None) -> None:
        object.__setattr__(self, "_values", MappingProxyType(dict(values or {})))
        object.__setattr__(self, "_source", source)

    @property
    def source(self) -> str | None:
        """The ``settings.py`` file these settings came from (``None``: defaults only)."""
        return self._source

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(name, list(self._values), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise AttributeError(
                f"no settings option {name!r}{hint}; declared options: "
                f"{', '.join(sorted(self._values)) or 'none'}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"Settings are read-only (tried to set {name!r})")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Settings are read-only (tried to delete {name!r})")

    def get(self, name: str, default: Any = None) -> Any:
        """The option's value, or ``default`` when no enabled plugin declares it."""
        return self._values.get(name, default)

    def as_dict(self) -> dict[str, Any]:
        """A plain (shallow) copy of every option and its value."""
        return dict(self._values)

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self._values]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Settings):
            return NotImplemented
        return dict(self._values) == dict(other._values) and self._source == other._source

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (Settings, (dict(self._values), self._source))

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in sorted(self._values.items()))
        return f"Settings({items})"
