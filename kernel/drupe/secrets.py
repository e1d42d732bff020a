"""Scrubbing secrets by value: one small object any plugin can apply to any text.

The kernel does not know what is secret: plugins tell it through the
collected hook ``secret_values(context)`` (the config plugin answers with
every credential value and every runtime parameter whose key looks secret).
`secret_scrubber` gathers those answers into a `SecretScrubber`, which
replaces each value wherever it appears -- in a message, a traceback, a
command line, a record -- by `MASK`. Matching values, not key names, is what
catches a password inside an exception raised three libraries down.

Values shorter than `MIN_LENGTH` characters are not replaced inside longer
text (a one-letter "password" would blank every such letter of a traceback);
a value that *is* such a short secret is still replaced when it stands alone
in a record (`SecretScrubber.data`).

A session asks the plugins once per context and keeps the answers
(`drupe.SessionSecrets`, ``session.secrets``); `drupe.secret_logs` applies
what every open session knows to the log records of the process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drupe.context import Context

MASK = "***"

#: Shortest secret replaced inside longer text.
MIN_LENGTH = 4


class SecretScrubber:
    """Replaces known secret values by `MASK`; immutable and cheap to share between threads."""

    __slots__ = ("_exact", "_pattern")

    def __init__(self, values: Iterable[Any] = ()) -> None:
        texts = {str(v) for v in values if v is not None and str(v) != ""}
        texts.discard(MASK)
        self._exact = frozenset(texts)
        # Compiled on first use: a scrubber made for a run that logs nothing costs no regex.
        self._pattern: re.Pattern[str] | bool | None = False

    def _compiled(self) -> re.Pattern[str] | None:
        pattern = self._pattern
        if pattern is False:
            long_enough = sorted(
                (t for t in self._exact if len(t) >= MIN_LENGTH), key=len, reverse=True
            )
            pattern = re.compile("|".join(map(re.escape, long_enough))) if long_enough else None
            self._pattern = pattern  # two threads may both compile: the same pattern
        return pattern  # type: ignore[return-value]

    def __bool__(self) -> bool:
        return bool(self._exact)

    @property
    def values(self) -> frozenset[str]:
        """The secret values, as text."""
        return self._exact

    def merged(self, other: SecretScrubber) -> SecretScrubber:
        """A scrubber knowing the values of both."""
        return SecretScrubber((*self._exact, *other._exact))

    @classmethod
    def union(cls, scrubbers: Iterable[SecretScrubber]) -> SecretScrubber:
        """One scrubber knowing the values of all ``scrubbers``."""
        return cls(value for scrubber in scrubbers for value in scrubber._exact)

    def text(self, text: str) -> str:
        """``text`` with every secret value in it replaced."""
        if text in self._exact:
            return MASK
        if not text:
            return text
        pattern = self._compiled()
        return text if pattern is None else pattern.sub(MASK, text)

    def data(self, value: Any) -> Any:
        """A copy of JSON-like ``value`` with secrets replaced in every string (keys too)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.data(v) for v in value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return MASK if str(value) in self._exact else value
        return value

    def exception(self, error: BaseException) -> None:
        """Scrub ``error`` in place, and every exception chained to it.

        Its ``args`` (what ``str(error)`` and tracebacks show for nearly every
        exception type) and notes are rewritten, so whoever reports it later
        -- the command line, the store, a log, a web service -- shows no secret.
        """
        if not self:
            return
        seen: set[int] = set()
        pending: list[BaseException | None] = [error]
        while pending:
            current = pending.pop()
            if current is None or id(current) in seen:
                continue
            seen.add(id(current))
            try:
                current.args = tuple(self.data(a) for a in current.args)
                for name in ("strerror", "filename", "filename2", "msg", "reason"):
                    value = getattr(current, name, None)
                    if isinstance(value, str):
                        setattr(current, name, self.text(value))
                notes = getattr(current, "__notes__", None)
                if isinstance(notes, list):
                    notes[:] = [self.text(n) if isinstance(n, str) else n for n in notes]
            except (AttributeError, TypeError):  # an exception type with read-only fields
                pass
            pending += [current.__cause__, current.__context__]


def secret_scrubber(context: Context, hook: Any) -> SecretScrubber:
    """The scrubber for one context: every value the plugins' ``secret_values`` hooks name.

    ``hook`` is the plugin manager's hook relay (``session.hook``). A
    plugin whose hook fails contributes nothing (scrubbing must never be
    the reason a run fails or an error goes unreported).
    """
    relay = getattr(hook, "secret_values", None)
    if relay is None:
        return SecretScrubber()
    try:
        answers = relay(context=context)
    except Exception:
        return SecretScrubber()
    values: list[Any] = []
    for answer in answers:
        if answer:
            values.extend(answer)
    return SecretScrubber(values)
