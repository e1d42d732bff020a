"""Secrets kept out of log records and of errors raised outside a run, while a session is open."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import drupe
from drupe import secret_logs
from drupe.testing import FunctionExecutor, StaticConfig

TOKEN_A = "tok-A9f3Kq"
TOKEN_B = "tok-B7w2Zr"


class TokenSecrets:
    """Says the ``token`` runtime parameter is secret (as the config plugin does)."""

    @drupe.hookimpl
    def secret_values(self, context: drupe.Context) -> list[Any]:
        return [context.runtime_params.get("token")]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """What a real handler on a real logger prints (handler added before any session)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("secret_logs_test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


log = logging.getLogger("secret_logs_test")


def test_service_runs_in_threads_hide_every_open_runs_secret(captured: io.StringIO) -> None:
    both_running = threading.Barrier(2, timeout=30)

    def work(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
        both_running.wait()  # both runs are in flight: both tokens are known
        mine = context.runtime_params["token"]
        other = TOKEN_B if mine == TOKEN_A else TOKEN_A
        log.info("mine=%s other=%s", mine, other)
        both_running.wait()
        return {}

    plugins = [TokenSecrets(), StaticConfig({}), FunctionExecutor(work)]
    before = secret_logs.published_count()
    with drupe.ServiceSession.create(plugins=plugins, entry_points=False) as service:
        threads = [
            threading.Thread(target=service.run, kwargs={"runtime_params": {"token": t}})
            for t in (TOKEN_A, TOKEN_B)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    shown = captured.getvalue()
    assert shown.count("mine=*** other=***") == 2, shown
    assert TOKEN_A not in shown and TOKEN_B not in shown
    assert secret_logs.published_count() == before


def test_thousands_of_sessions_leave_nothing_installed(captured: io.StringIO) -> None:
    factory = logging.getLogRecordFactory()
    root_handlers = list(logging.getLogger().handlers)
    before = secret_logs.published_count()

    def work(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
        log.info("using %s", context.runtime_params["token"])
        return {}

    plugins = [TokenSecrets, StaticConfig({}), FunctionExecutor(work)]
    for index in range(2000):
        token = f"tok-{index:05d}-x"
        with drupe.Session.create(
            runtime_params={"token": token}, plugins=plugins, entry_points=False
        ) as session:
            session.run()
    assert secret_logs.published_count() == before
    assert logging.getLogRecordFactory() is factory
    assert logging.getLogger().handlers == root_handlers
    assert all(h.filters == [] for h in logging.getLogger("secret_logs_test").handlers)
    shown = captured.getvalue()
    assert shown.count("using ***") == 2000 and "tok-" not in shown
    # Once closed, a session's secrets no longer touch the process's logs.
    log.info("using %s", "tok-00001-x")
    assert captured.getvalue().endswith("using tok-00001-x\n")


class Opaque(Exception):
    """An exception whose message does not come from its args."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def __str__(self) -> str:
        return f"login failed for {self.secret}"


class Holder:
    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __str__(self) -> str:
        return f"<dsn {self.secret}>"


def test_arguments_tracebacks_and_stack_are_scrubbed(captured: io.StringIO) -> None:
    captured_handler = logging.getLogger("secret_logs_test").handlers[-1]
    captured_handler.setFormatter(logging.Formatter("%(message)s"))
    plugins = [TokenSecrets(), StaticConfig({}), FunctionExecutor(lambda c, r: {})]
    with drupe.Session.create(
        runtime_params={"token": TOKEN_A}, plugins=plugins, entry_points=False
    ) as session:
        session.load_context()
        log.info("object %s, dict %r", Holder(TOKEN_A), {"t": TOKEN_A})
        try:
            raise Opaque(TOKEN_A)
        except Opaque:
            log.exception("the call failed")
        try:
            raise ValueError("token", TOKEN_A)
        except ValueError:
            log.warning("again", exc_info=True, stack_info=True)
    shown = captured.getvalue()
    assert TOKEN_A not in shown
    assert "object <dsn ***>, dict {'t': '***'}" in shown
    assert "Opaque: login failed for ***" in shown
    assert "ValueError: ('token', '***')" in shown


class Raises:
    """Raises an error quoting the token from one lifecycle hook."""

    def __init__(self, where: str) -> None:
        self.where = where

    def _maybe(self, where: str, token: Any) -> None:
        if where == self.where:
            raise RuntimeError(f"{where} failed with {token}")

    @drupe.hookimpl(tryfirst=True)
    def load_settings(self) -> Any:
        self._maybe("load_settings", TOKEN_A)
        return None

    @drupe.hookimpl
    def after_session_created(self, session: drupe.AbstractSession) -> None:
        params = getattr(session, "runtime_params", {})  # a ServiceSession has none
        self._maybe("after_session_created", params.get("token"))

    @drupe.hookimpl
    def after_context_created(self, context: drupe.Context) -> None:
        self._maybe("after_context_created", context.runtime_params.get("token"))

    @drupe.hookimpl
    def after_close(self, session: drupe.AbstractSession) -> None:
        self._maybe("after_close", TOKEN_A)

    @drupe.hookimpl(tryfirst=True)
    def create_config_loader(self, runtime_params: Any) -> Any:
        self._maybe("create_config_loader", runtime_params.get("token"))
        return None


@pytest.mark.parametrize(
    "where",
    [
        "load_settings",
        "after_session_created",
        "create_config_loader",
        "after_context_created",
        "after_close",
    ],
)
def test_errors_raised_outside_a_run_are_scrubbed(where: str) -> None:
    plugins = [TokenSecrets(), Raises(where), StaticConfig({}), FunctionExecutor(lambda c, r: {})]
    with pytest.raises(RuntimeError) as raised:
        with drupe.Session.create(
            runtime_params={"token": TOKEN_A}, plugins=plugins, entry_points=False
        ) as session:
            session.run()
    assert str(raised.value) == f"{where} failed with ***"


def test_a_service_run_whose_context_fails_is_scrubbed_with_its_own_params() -> None:
    plugins = [
        TokenSecrets(),
        Raises("after_context_created"),
        StaticConfig({}),
        FunctionExecutor(lambda c, r: {}),
    ]
    with drupe.ServiceSession.create(plugins=plugins, entry_points=False) as service:
        with pytest.raises(RuntimeError) as raised:
            service.run(runtime_params={"token": TOKEN_B})
    assert str(raised.value) == "after_context_created failed with ***"
