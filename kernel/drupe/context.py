"""`Context`: the immutable view of one session, or of one run of a service session.

A `Context` is what plugins read while a run happens: which project, which
environment, which runtime parameters, and the configuration loader built for
exactly those parameters. Because it is frozen and built per run, two runs in
two threads can never see each other's parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from drupe.project import Project

if TYPE_CHECKING:
    from drupe.config import ConfigLoader


def _readonly(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@attrs.frozen
class Context:
    """Everything a run needs to know about where and how it runs.

    Attributes:
        session_id: the id of the session that built this context.
        project: the project, or ``None`` when the kernel is embedded without one.
        env: the configuration environment (``None`` lets the config plugin choose).
        conf_source: where configuration comes from, as given to ``create()``.
        runtime_params: the parameters given for this session or run.
        config_loader: a read-only mapping of configuration keys, e.g.
            ``context.config_loader["catalog"]``.
        settings: the project's settings object, as the settings plugin returned it.
        run_id: the run this context was built for (service sessions), else ``None``.
    """

    session_id: str
    project: Project | None
    env: str | None
    conf_source: str | None
    runtime_params: Mapping[str, Any] = attrs.field(converter=_readonly)
    config_loader: ConfigLoader = attrs.field(repr=False)
    settings: Any = attrs.field(default=None, repr=False)
    run_id: str | None = None

    @property
    def params(self) -> Mapping[str, Any]:
        """The ``parameters`` configuration with runtime parameters applied.

        The config loader applies runtime parameters itself (it was created
        with them). When it has no ``parameters`` key, the runtime parameters
        are all there is. Treat the result as read-only: it may be shared by
        every run of a service session (the bundled config loader hands out
        read-only views, which raise ``TypeError`` when changed), so copy
        before you change anything.
        """
        try:
            params = self.config_loader["parameters"]
        except KeyError:
            return self.runtime_params
        return params if params is not None else {}
