"""Embedding the bare drupe kernel: no entry points, no project on disk, explicit plugins.

A framework that wants drupe's session lifecycle (ids, hooks, current
session, service-session isolation) without the bundled plugins registers
exactly the plugins it needs. First, one answers ``create_config_loader``
from a dict and one answers ``execute_run`` by calling plain functions in
order. Then the bundled pipeline plugin (nodes, catalog, runners) runs
pipelines held in memory: a plugin of ours answers its ``register_pipelines``
hook, so no project, registry module or entry point is involved.

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


class InMemoryPipelines:
    """Gives the pipeline plugin our pipelines (its ``register_pipelines`` hook)."""

    @drupe.hookimpl
    def register_pipelines(self) -> dict[str, Any]:
        from drupe_pipeline import node, pipeline

        scale = node(lambda x, factor: x * factor, ["params:x", "params:factor"], "scaled")
        label = node(lambda scaled: f"x scaled is {scaled}", "scaled", "label", name="label")
        return {"__default__": pipeline([scale, label])}


def run_bundled_pipeline_plugin() -> None:
    """The bundled pipeline plugin, embedded: no project, pipelines from memory."""
    from drupe_pipeline import PipelinePlugin

    plugins = [PipelinePlugin, DictConfig({"x": 3, "factor": 2}), InMemoryPipelines()]
    with drupe.Session.create(plugins=plugins, entry_points=False) as session:
        print(session.run(to_nodes=["label"], runner="thread")["label"])
    with drupe.ServiceSession.create(plugins=plugins, entry_points=False) as service:
        print(service.run(runtime_params={"factor": 10})["label"])


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

    run_bundled_pipeline_plugin()


if __name__ == "__main__":
    main()
