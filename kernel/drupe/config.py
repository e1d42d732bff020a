"""The configuration contract between the kernel and the config plugin.

The kernel only needs a read-only mapping of configuration keys. A loader
that can derive a copy with other runtime parameters cheaply (without
re-reading files) also implements `with_runtime_params`; a `ServiceSession`
then builds its loader once and derives one per run. A loader without that
method is simply created again for every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class ConfigLoader(Protocol):
    """A read-only ``Mapping[str, Any]``: ``loader["parameters"]``, ``loader["catalog"]``."""

    def __getitem__(self, key: str, /) -> Any: ...

    def __contains__(self, key: object, /) -> bool: ...

    def get(self, key: str, default: Any = None, /) -> Any: ...


@runtime_checkable
class RuntimeParamsAware(Protocol):
    """A loader that derives a sibling for other runtime parameters without re-parsing."""

    def with_runtime_params(self, runtime_params: Mapping[str, Any]) -> ConfigLoader: ...
