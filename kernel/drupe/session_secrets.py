"""`SessionSecrets`: what one session knows is secret, asked once per context and kept.

The plugins say which values are secret through the ``secret_values(context)``
hook. A session asks them once per `Context` and keeps each answer in a
*slot*:

* ``PARAMS``: at create, before any configuration is read, for the runtime
  parameters alone (the context it asks about has an empty configuration:
  plugins answer what they can, e.g. parameters whose key looks secret);
* ``None``: the session's context (`Session.load_context`; for a service
  session, the context its ``load_context()`` returned last);
* a run id: the context of one run of a service session, until the run ends.

Asking about a new context object for a slot replaces the slot's answer
(a reloaded context is asked again); asking about the same object again
costs nothing. `scrubber` is the union of the slots, built once per
change: what the session's records, its errors and (while the session is
open, through `drupe.secret_logs`) every log record of the process are
scrubbed with.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from drupe import secret_logs
from drupe.context import Context
from drupe.secrets import SecretScrubber, secret_scrubber

if TYPE_CHECKING:
    from drupe.project import Project

#: The slot of what the runtime parameters given at create tell on their own.
PARAMS = "params"

#: The configuration a context has before any is read.
NO_CONFIG: Mapping[str, Any] = MappingProxyType({})


class SessionSecrets:
    """The secret values one session knows, per slot; thread-safe."""

    def __init__(self, hook: Any) -> None:
        self._hook = hook
        self._slots: dict[object, tuple[Context, SecretScrubber]] = {}
        self._merged: SecretScrubber | None = SecretScrubber()
        self._lock = threading.Lock()
        self._closed = False

    def learn(self, context: Context, slot: object = None) -> SecretScrubber:
        """Ask the plugins about ``context`` (once per context object); keep it under ``slot``."""
        with self._lock:
            held = self._slots.get(slot)
            if held is not None and held[0] is context:
                return held[1]
        scrubber = secret_scrubber(context, self._hook)  # plugins may be slow: not under the lock
        with self._lock:
            self._slots[slot] = (context, scrubber)
            self._merged = None
        self._publish()
        return scrubber

    def learn_params(self, *, slot: object = PARAMS, **context: Any) -> SecretScrubber:
        """What the runtime parameters tell before any configuration is read (kept under ``slot``).

        ``context`` are the keyword arguments of `unconfigured_context`;
        nothing is asked when there are no runtime parameters.
        """
        if not context.get("runtime_params"):
            return SecretScrubber()
        return self.learn(unconfigured_context(**context), slot)

    def params_scrubber(self, **context: Any) -> SecretScrubber:
        """Like `learn_params`, without keeping the answer (for an error's one-off scrub)."""
        if not context.get("runtime_params"):
            return SecretScrubber()
        return secret_scrubber(unconfigured_context(**context), self._hook)

    def forget(self, slot: object) -> None:
        """Drop a slot (a service run ended)."""
        with self._lock:
            if self._slots.pop(slot, None) is None:
                return
            self._merged = None
        self._publish()

    def scrubber(self) -> SecretScrubber:
        """Every secret value the session knows now (the union of its slots)."""
        with self._lock:
            return self._current()

    def _current(self) -> SecretScrubber:
        merged = self._merged
        if merged is None:
            merged = self._merged = SecretScrubber.union(s for _, s in self._slots.values())
        return merged

    def scrub(self, error: BaseException, *, extra: SecretScrubber | None = None) -> BaseException:
        """Scrub ``error`` (and its chain) in place with what the session knows; return it.

        ``extra`` are values to scrub too (a run's parameters whose context failed).
        """
        scrubber = self.scrubber()
        scrubber.exception(error)
        if extra:
            extra.exception(error)
        return error

    def close(self) -> None:
        """The session closed: its secrets no longer apply to the process's log records."""
        with self._lock:
            self._closed = True
        secret_logs.withdraw(self)

    def _publish(self) -> None:
        with self._lock:
            if self._closed:
                return
            # Under our lock, so two publishes land in order and close() withdraws after both.
            secret_logs.publish(self, self._current())


def unconfigured_context(
    *,
    session_id: str,
    project: Project | None,
    env: str | None,
    conf_source: str | None,
    runtime_params: Mapping[str, Any],
    settings: Any,
    run_id: str | None = None,
) -> Context:
    """A context whose configuration is empty: what is known before the config is read."""
    return Context(
        session_id=session_id,
        project=project,
        env=env,
        conf_source=conf_source,
        runtime_params=runtime_params,
        config_loader=NO_CONFIG,  # type: ignore[arg-type]  # a read-only mapping, as the protocol asks
        settings=settings,
        run_id=run_id,
    )
