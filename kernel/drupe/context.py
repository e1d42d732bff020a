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

from drupe.frozen import Frozen
from drupe.project import Project

if TYPE_CHECKING:
    from drupe.config import ConfigLoader


def _readonly(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


class Context(Frozen):
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

    _fields = (
        "session_id",
        "project",
        "env",
        "conf_source",
        "runtime_params",
        "config_loader",
        "settings",
        "run_id",
    )
    __slots__ = _fields
    __match_args__ = _fields
    _repr_fields = ("session_id", "project", "env", "conf_source", "runtime_params", "run_id")

    session_id: str
    project: Project | None
    env: str | None
    conf_source: str | None
    runtime_params: Mapping[str, Any]
    config_loader: ConfigLoader
    settings: Any
    run_id: str | None

    def __init__(
        self,
        session_id: str,
        project: Project | None,
        env: str | None,
        conf_source: str | None,
        runtime_params: Mapping[str, Any] | None,
        config_loader: ConfigLoader,
        settings: Any = None,
        run_id: str | None = None,
    ) -> None:
        self._set(
            session_id=session_id,
            project=project,
            env=env,
            conf_source=conf_source,
            runtime_params=_readonly(runtime_params),
            config_loader=config_loader,
            settings=settings,
            run_id=run_id,
        )

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
