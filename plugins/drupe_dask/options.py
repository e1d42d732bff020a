"""`DaskOptions`: where the dask runner runs nodes, from options, environment and settings.

Precedence, highest first: the run's runner options (``--runner-option
key=value``, ``session.run(runner_options=...)``), the environment variable
``DRUPE_DASK_ADDRESS`` (the address only), the settings option
``DASK_RUNNER_ARGS``. Every value is checked here, so a typo fails the run
before a cluster starts, naming the option and what it accepts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import attrs

import drupe
from drupe_dask.settings import ADDRESS_ENV, OPTION

KEYS = ("address", "workers", "threads_per_worker", "timeout")

#: ``tcp://host:port``, ``tls://host:port``, ``host:port`` (IPv6 in brackets).
_ADDRESS = re.compile(r"^(?:(tcp|tls|inproc|ucx|ws|wss)://)?(\[[0-9a-fA-F:]+\]|[\w.-]+):(\d{1,5})$")


def _positive_int(key: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if isinstance(value, bool) or number < 1:
        raise drupe.UsageError(
            f"dask runner option {key}={value!r} is not a whole number >= 1: "
            f"e.g. --runner-option {key}=2"
        )
    return number


def _workers(value: Any) -> int | None:
    return _positive_int("workers", value)


def _threads(value: Any) -> int | None:
    return _positive_int("threads_per_worker", value)


def _timeout(value: Any) -> float:
    try:
        seconds = float(str(value).strip())
    except ValueError:
        seconds = -1.0
    if isinstance(value, bool) or not 0 < seconds <= 3600:
        raise drupe.UsageError(
            f"dask runner option timeout={value!r} is not a number of seconds in (0, 3600]"
        )
    return seconds


def check_address(value: Any) -> str | None:
    """A scheduler address as given (``None``/empty: start a local cluster), or a usage error."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    match = _ADDRESS.match(text)
    if match is None or not 0 < int(match.group(3)) < 65536:
        raise drupe.UsageError(
            f"dask scheduler address {text[:200]!r} is not like tcp://host:8786: "
            f"give the address `drupe dask local` or `dask scheduler` printed"
        )
    return text if match.group(1) else f"tcp://{text}"


@attrs.frozen
class DaskOptions:
    """The dask runner's options.

    Attributes:
        address: the scheduler to connect to; ``None`` starts a `LocalCluster`
            of processes on 127.0.0.1 for the run and closes it after.
        workers: the local cluster's worker processes (``None``: sized to the machine).
        threads_per_worker: threads per local worker (``None``: sized to the machine).
        timeout: seconds to wait for the scheduler (connecting, starting).
    """

    address: str | None = attrs.field(default=None, converter=check_address)
    workers: int | None = attrs.field(default=None, converter=_workers)
    threads_per_worker: int | None = attrs.field(default=None, converter=_threads)
    timeout: float = attrs.field(default=30.0, converter=_timeout)

    @classmethod
    def resolve(
        cls,
        options: Mapping[str, Any] | None = None,
        settings: Any = None,
        environ: Mapping[str, str] | None = None,
    ) -> DaskOptions:
        """Options over ``DRUPE_DASK_ADDRESS`` over the settings' ``DASK_RUNNER_ARGS``."""
        environ = os.environ if environ is None else environ
        merged: dict[str, Any] = dict(_from_settings(settings))
        if environ.get(ADDRESS_ENV, "").strip():
            merged["address"] = environ[ADDRESS_ENV]
        given = dict(options or {})
        _check_keys(given, "runner option", "--runner-option")
        merged.update(given)
        return cls(**merged)

    def describe(self) -> str:
        if self.address:
            return f"the scheduler at {self.address}"
        return "a local cluster"


def _check_keys(values: Mapping[str, Any], what: str, where: str) -> None:
    unknown = sorted(str(key) for key in values if key not in KEYS)
    if unknown:
        raise drupe.UsageError(
            f"unknown dask {what}(s) {', '.join(map(repr, unknown))} in {where}: "
            f"the dask runner takes {', '.join(KEYS)}"
        )


def _from_settings(settings: Any) -> Mapping[str, Any]:
    raw = getattr(settings, OPTION, None) if settings is not None else None
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise drupe.SettingsError(
            f"{OPTION} must be a dict like {{'address': 'tcp://host:8786'}}, not "
            f"{type(raw).__name__}: fix it in your project's settings.py"
        )
    try:
        _check_keys(raw, "setting", f"{OPTION} (settings.py)")
    except drupe.UsageError as exc:
        raise drupe.SettingsError(str(exc)) from None
    return raw
