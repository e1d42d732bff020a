"""The kernel's seams: an opaque run selection, per-session plugin objects, the stash,
errors that name their source, recording that does not depend on registration order."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import drupe
from drupe import ServiceSession, Session
from drupe.testing import FunctionExecutor, HookRecorder, StaticConfig


def _echo(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
    return {"selection": dict(run.selection), "run_id": run.run_id}


def embedded(*plugins: Any) -> Session:
    return Session.create(entry_points=False, plugins=[StaticConfig(), *plugins])


def test_the_kernel_forwards_any_selection_unread() -> None:
    with embedded(FunctionExecutor(_echo)) as session:
        out = session.run(pipeline_names=["a"], shards=3, flavour={"x": [1, 2]})
    assert out["selection"]["pipeline_names"] == ("a",)
    assert out["selection"]["shards"] == 3
    assert dict(out["selection"]["flavour"]) == {"x": (1, 2)}


def test_only_the_arguments_given_are_in_the_selection() -> None:
    with embedded(FunctionExecutor(_echo)) as session:
        out = session.run()
    assert out["selection"] == {}


def test_the_selection_is_frozen() -> None:
    seen: list[drupe.RunRequest] = []

    def keep(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
        seen.append(run)
        return {}

    with embedded(FunctionExecutor(keep)) as session:
        session.run(tags=["a"], load_versions={"m": "v1"})
    run = seen[0]
    with pytest.raises(TypeError):
        run.selection["tags"] = ()  # type: ignore[index]
    with pytest.raises(TypeError):
        run.selection["load_versions"]["m"] = "v2"  # type: ignore[index]
    assert run.to_dict()["selection"] == {"tags": ["a"], "load_versions": {"m": "v1"}}


class Validator:
    """An executor's own selection rules: knows ``shards`` only, and normalises it."""

    @drupe.hookimpl
    def validate_selection(self, selection: Mapping[str, Any]) -> Mapping[str, Any]:
        unknown = set(selection) - {"shards"}
        if unknown:
            key = sorted(unknown)[0]
            raise drupe.UsageError(f"unknown selection {key!r}", field=key)
        return {"shards": int(selection.get("shards", 1))}


def test_validate_selection_checks_before_anything_starts_and_normalises() -> None:
    recorder = HookRecorder()
    with embedded(FunctionExecutor(_echo), Validator(), recorder) as session:
        with pytest.raises(drupe.UsageError) as caught:
            session.run(tags=["x"])
        assert caught.value.field == "tags"
        assert "before_run" not in recorder.names()  # nothing started, nothing recorded
        out = session.run(shards="4")
    assert out["selection"] == {"shards": 4}


def test_a_session_takes_runtime_params_at_create_only() -> None:
    with embedded(FunctionExecutor(_echo)) as session, pytest.raises(drupe.SessionError):
        session.run(runtime_params={"a": 1})


def test_service_runs_each_get_their_selection_and_params() -> None:
    def echo(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
        return {"x": context.params["x"], "tags": run.selection.get("tags")}

    with ServiceSession.create(
        entry_points=False, plugins=[StaticConfig({"parameters": {"x": 0}}), FunctionExecutor(echo)]
    ) as service:
        assert service.run(tags="a", runtime_params={"x": 1}) == {"x": 1, "tags": "a"}
        assert service.run(runtime_params={"x": 2}) == {"x": 2, "tags": None}


class Counter:
    """A plugin class: the kernel makes one instance per session."""

    instances: list[Counter] = []

    def __init__(self) -> None:
        self.runs = 0
        Counter.instances.append(self)

    @drupe.hookimpl
    def before_run(self) -> None:
        self.runs += 1


def test_a_plugin_class_gets_one_instance_per_session() -> None:
    Counter.instances.clear()
    with embedded(FunctionExecutor(_echo), Counter) as one:
        one.run()
    with embedded(FunctionExecutor(_echo), Counter) as two:
        two.run()
    first, second = Counter.instances
    assert first is not second
    assert first.runs == 1 and second.runs == 1


def test_the_stash_is_per_session_and_typed() -> None:
    key: drupe.StashKey[list[str]] = drupe.StashKey("notes")
    with embedded() as one, embedded() as two:
        one.stash.setdefault(key, list).append("one")
        assert key not in two.stash
        assert two.stash.get(key, None) is None
        assert one.stash[key] == ["one"]
        assert one.stash.setdefault(key, list) is one.stash[key]


class RaisesIn:
    def __init__(self, hook: str) -> None:
        self.hook = hook

    @drupe.hookimpl
    def after_run(self) -> None:
        if self.hook == "after_run":
            raise ValueError("after_run exploded")

    @drupe.hookimpl
    def on_run_error(self) -> None:
        if self.hook == "on_run_error":
            raise ValueError("on_run_error exploded")

    @drupe.hookimpl
    def after_close(self) -> None:
        if self.hook == "after_close":
            raise ValueError("after_close exploded")


def _fail(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
    raise KeyError("the node's own error")


def test_an_error_in_on_run_error_never_replaces_the_runs_own_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with embedded(FunctionExecutor(_fail), RaisesIn("on_run_error")) as session:
        with pytest.raises(KeyError, match="the node's own error") as caught:
            session.run()
    notes = getattr(caught.value, "__notes__", [])
    assert any("on_run_error exploded" in note and "RaisesIn" in note for note in notes)
    assert "on_run_error exploded" in caplog.text


def test_a_hook_failure_names_the_plugin_and_the_hook() -> None:
    with embedded(FunctionExecutor(_echo), RaisesIn("after_run")) as session:
        with pytest.raises(ValueError) as caught:
            session.run()
    source = caught.value.drupe_source  # type: ignore[attr-defined]
    assert source.hook == "after_run" and source.plugin == "RaisesIn"
    assert any("in hook after_run" in note for note in caught.value.__notes__)


def test_drupe_errors_from_a_hook_get_plugin_and_hook_fields() -> None:
    class Picky:
        @drupe.hookimpl
        def before_run(self) -> None:
            raise drupe.RunError("not today")

    with embedded(FunctionExecutor(_echo), Picky()) as session:
        with pytest.raises(drupe.RunError) as caught:
            session.run()
    assert caught.value.plugin is not None and caught.value.plugin.endswith("Picky")
    assert caught.value.hook == "before_run"


def test_missing_provider_error_carries_the_hook() -> None:
    with embedded() as session, pytest.raises(drupe.MissingProviderError) as caught:
        session.run()
    assert caught.value.hook == "execute_run"


def test_require_project_explains_what_is_missing(tmp_path: Path) -> None:
    with embedded() as session, pytest.raises(drupe.MissingProviderError, match="find_project"):
        session.require_project()


def test_worker_spec_is_picklable_and_carries_the_plugin_choices() -> None:
    project = drupe.Project(package_name="pkg", root=Path("/x"), metadata={"a": {"b": 1}})
    spec = drupe.WorkerSpec(session_id="s", project=project, disabled_plugins=["store"])
    again = pickle.loads(pickle.dumps(spec))
    assert again == spec
    assert again.project.metadata == {"a": {"b": 1}}
    assert again.disabled_plugins == ("store",)


def test_a_session_describes_its_workers(tmp_path: Path) -> None:
    with Session.create(
        tmp_path, plugins=[StaticConfig()], disable_plugins=["store", "serve"]
    ) as session:
        spec = session.worker_spec()
    assert spec.session_id == session.session_id
    assert spec.entry_points is True
    assert {"store", "serve"} <= set(spec.disabled_plugins)
    with embedded() as bare:
        assert bare.worker_spec().entry_points is False


class AddsSpecs:
    """A settings-style hook object that brings its own hook specifications."""

    class specs:
        @staticmethod
        @drupe.hookspec
        def my_extra_hook(value: int) -> None:
            """An extra hook."""

    @drupe.hookimpl
    def add_hookspecs(self, plugin_manager: Any) -> None:
        plugin_manager.add_hookspecs(self.specs)


def test_add_hookspecs_is_historic_for_plugins_registered_late() -> None:
    with embedded() as session:
        manager = session.plugin_manager
        manager.register_plugin(AddsSpecs(), name="late")
        assert manager.hook.my_extra_hook.has_spec()


class AnswersAnOptionalHook:
    """Implements a hook that only another (absent) plugin would specify."""

    @drupe.hookimpl(optionalhook=True)
    def my_extra_hook(self, value: int) -> int:
        return value


def test_calling_a_hook_no_enabled_plugin_specifies_names_it() -> None:
    with embedded(AnswersAnOptionalHook()) as session:
        manager = session.plugin_manager
        for name in ("my_extra_hook", "never_specified"):
            with pytest.raises(drupe.MissingProviderError, match=f"specifies the hook {name}"):
                manager.call(name, value=1)
        manager.register_plugin(AddsSpecs(), name="late")  # now someone specifies it
        assert manager.call("my_extra_hook", value=2) == [2]


def test_hook_recorder_detaches_with_undo() -> None:
    recorder = HookRecorder()
    with embedded(FunctionExecutor(_echo), recorder) as session:
        session.run()
        recorder.detach()
        before = len(recorder.calls)
        session.plugin_manager.hook.before_run(session=session, run=None)
    assert len(recorder.calls) == before
