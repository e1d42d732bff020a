"""Embedding the bare drupe kernel: no entry points, no project on disk, two explicit plugins.

A framework that wants drupe's session lifecycle (ids, hooks, current
session, service-session isolation) without any of the bundled plugins
registers exactly the plugins it needs. Here one answers
``create_config_loader`` from a dict and one answers ``execute_run`` by
calling plain functions in order.

Run it with ``python examples/embed/main.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import drupe


class DictConfig:
    """Answers ``create_config_loader``: the config is a dict; runtime params override params."""

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        self.parameters = dict(parameters)

    @drupe.hookimpl
    def create_config_loader(self, runtime_params: Mapping[str, Any]) -> dict[str, Any]:
        return {"parameters": {**self.parameters, **runtime_params}}


class Steps:
    """Answers ``execute_run`` by feeding each step's result to the next one."""

    def __init__(self, *steps: Any) -> None:
        self.steps = steps

    @drupe.hookimpl
    def execute_run(self, context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
        value: Any = context.params
        for step in self.steps:
            value = step(value)
        return {"result": value, "run_id": run.run_id}


def greeting(params: Mapping[str, Any]) -> str:
    session = drupe.get_current_session()  # steps can see the session that runs them
    return f"{params['greeting']}, {params['name']}! (session {session.session_id[:19]})"


def shout(text: str) -> str:
    return text.upper()


def main() -> None:
    plugins = [DictConfig({"greeting": "hello", "name": "world"}), Steps(greeting, shout)]

    # One run per Session.
    with drupe.Session.create(plugins=plugins, entry_points=False) as session:
        print(session.run()["result"])

    # Many concurrent runs in one ServiceSession, each with its own parameters.
    with drupe.ServiceSession.create(plugins=plugins, entry_points=False) as service:
        results: dict[str, str] = {}

        def serve(name: str) -> None:
            results[name] = service.run(runtime_params={"name": name})["result"]

        threads = [threading.Thread(target=serve, args=(n,)) for n in ("ada", "grace", "linus")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for name in sorted(results):
        assert name.upper() in results[name], results
        print(results[name])


if __name__ == "__main__":
    main()
