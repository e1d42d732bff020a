"""Sessions copy a per-process template of the entry-point plugins, and share no state."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import drupe
from drupe import plugin_template
from drupe.plugin_manager import Blocklist, PluginManager, build_plugin_manager
from drupe.testing import HookRecorder, StaticConfig, write_distribution


def _impls(manager: PluginManager) -> dict[str, list[str]]:
    return {
        name: [impl.plugin_name for impl in getattr(manager.hook, name).get_hookimpls()]
        for name in sorted(vars(manager.hook))
    }


def test_a_copy_answers_exactly_like_a_manager_built_from_scratch(tmp_path: Path) -> None:
    copied = build_plugin_manager(start=tmp_path)
    scratch = PluginManager()
    scratch.load_entry_points(Blocklist.from_sources(project_list=()))
    scratch.finalize()
    assert _impls(copied) == _impls(scratch)
    assert [i.name for i in copied.plugin_infos()] == [i.name for i in scratch.plugin_infos()]
    for name in vars(scratch.hook):
        assert getattr(copied.hook, name).has_spec() == getattr(scratch.hook, name).has_spec()


def test_each_session_gets_its_own_instances_of_class_plugins(tmp_path: Path) -> None:
    one = build_plugin_manager(start=tmp_path)
    two = build_plugin_manager(start=tmp_path)
    for name in ("pipeline", "store", "config"):
        first, second = one.get_plugin(name), two.get_plugin(name)
        assert type(first) is type(second)
        assert first is not second
        # Each copy's implementations are bound to its own instance.
        for impl in one.get_hookcallers(first) or []:
            for hook_impl in impl.get_hookimpls():
                if hook_impl.plugin_name == name:
                    assert hook_impl.plugin is first
                    assert getattr(hook_impl.function, "__self__", first) is first


class Late:
    @drupe.hookimpl
    def before_run(self) -> None:
        """Registered by one session only."""


def test_what_one_session_registers_or_disables_never_reaches_another(tmp_path: Path) -> None:
    one = build_plugin_manager(start=tmp_path, plugins=[Late()])
    one.disable("store", "test")
    two = build_plugin_manager(start=tmp_path)
    assert "Late" in [i.plugin_name for i in one.hook.before_run.get_hookimpls()]
    assert "Late" not in [i.plugin_name for i in two.hook.before_run.get_hookimpls()]
    assert one.get_plugin("store") is None
    assert two.get_plugin("store") is not None


def test_state_on_a_plugin_instance_stays_in_its_session(tmp_path: Path) -> None:
    plugins: list[Any] = [StaticConfig({"parameters": {}})]
    with drupe.Session.create(tmp_path, plugins=plugins, save_on_close=False) as one:
        one_store = one.plugin_manager.get_plugin("config")
        one_store.marker = "one"  # type: ignore[union-attr]
        with drupe.Session.create(tmp_path, plugins=plugins, save_on_close=False) as two:
            assert not hasattr(two.plugin_manager.get_plugin("config"), "marker")


def test_hook_monitoring_of_one_copy_sees_only_its_own_calls(tmp_path: Path) -> None:
    recorder = HookRecorder()
    watched = build_plugin_manager(start=tmp_path, plugins=[recorder])
    other = build_plugin_manager(start=tmp_path)
    other.hook.before_run(session=None, run=None)
    assert recorder.named("before_run") == []
    watched.hook.before_run(session=None, run=None)
    assert len(recorder.named("before_run")) == 1


def test_templates_are_bounded_and_keyed_by_the_blocked_names(tmp_path: Path) -> None:
    plugin_template.clear()
    for index in range(plugin_template.TEMPLATE_CACHE_SIZE + 3):
        build_plugin_manager(start=tmp_path, disable_plugins=[f"nothing{index}"])
    assert len(plugin_template._templates) == plugin_template.TEMPLATE_CACHE_SIZE
    blocked = build_plugin_manager(start=tmp_path, disable_plugins=["serve"])
    assert blocked.get_plugin("serve") is None
    assert build_plugin_manager(start=tmp_path).get_plugin("serve") is not None


def test_the_copy_is_in_use_with_this_pluggy() -> None:
    # If a pluggy release changes the objects the copy relies on, managers are
    # built from scratch (correct, slower); this says which path runs here.
    assert plugin_template.supported()


# -- implementations bound on first use ---------------------------------------

COUNTING_PLUGIN = """
import threading
import drupe

class Counting:
    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()

    @drupe.hookimpl
    def before_run(self, session, run):
        with self.lock:
            self.calls.append(run)

    @drupe.hookimpl
    def after_close(self, session):
        self.calls.append("closed")


class Closures:
    # Sets its hook on the instance in __init__: each instance has its own.

    def __init__(self):
        self.calls = []

        @drupe.hookimpl
        def before_run(session, run):
            self.calls.append(run)

        self.before_run = before_run
"""


class First:
    @drupe.hookimpl(tryfirst=True)
    def before_run(self, session: Any, run: Any) -> None:
        """Registered by the session itself, before anything was called."""


@pytest.fixture
def counting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An installed class plugin ``counting``: each session gets an instance of its own."""
    site = tmp_path / "site"
    write_distribution(
        site,
        "drupe-test-counting",
        plugins={
            "counting": "drupe_test_counting:Counting",
            "closures": "drupe_test_counting:Closures",
        },
        modules={"drupe_test_counting.py": COUNTING_PLUGIN},
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("DRUPE_DISABLE_PLUGINS", raising=False)
    yield
    sys.modules.pop("drupe_test_counting", None)


def _counting_impls(manager: PluginManager, hook: str) -> list[Any]:
    callers = getattr(manager.hook, hook).get_hookimpls()
    return [impl for impl in callers if impl.plugin_name == "counting"]


def test_a_session_calls_reach_its_own_instance_only(tmp_path: Path, counting: None) -> None:
    one = build_plugin_manager(start=tmp_path)
    two = build_plugin_manager(start=tmp_path)
    one.hook.before_run(session=None, run="one")
    two.hook.before_run(session=None, run="two")
    two.hook.before_run(session=None, run="two again")
    assert one.get_plugin("counting").calls == ["one"]
    assert two.get_plugin("counting").calls == ["two", "two again"]
    [impl] = _counting_impls(two, "before_run")
    assert impl.plugin is two.get_plugin("counting")


def test_a_plugin_registered_before_the_first_call_keeps_pluggys_order(
    tmp_path: Path, counting: None
) -> None:
    copied = build_plugin_manager(start=tmp_path, plugins=[First()])
    scratch = PluginManager()
    scratch.load_entry_points(Blocklist.from_sources(project_list=()))
    scratch.register(First(), name="First")
    scratch.finalize()
    order = [impl.plugin_name for impl in copied.hook.before_run.get_hookimpls()]
    assert order == [impl.plugin_name for impl in scratch.hook.before_run.get_hookimpls()]
    copied.hook.before_run(session=None, run="r")
    assert copied.get_plugin("counting").calls == ["r"]


def test_a_plugin_disabled_before_the_first_call_stays_out(tmp_path: Path, counting: None) -> None:
    copied = build_plugin_manager(start=tmp_path)
    instance = copied.get_plugin("counting")
    assert copied.disable("counting", "test")
    copied.hook.before_run(session=None, run="r")
    copied.hook.after_close(session=None)
    assert instance.calls == []
    assert _counting_impls(copied, "before_run") == []
    assert _counting_impls(copied, "after_close") == []


def test_threads_calling_a_hook_first_together_share_one_binding(
    tmp_path: Path, counting: None
) -> None:
    copied = build_plugin_manager(start=tmp_path)
    start = threading.Barrier(8)

    def call(index: int) -> None:
        start.wait()
        copied.hook.before_run(session=None, run=index)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(copied.get_plugin("counting").calls) == list(range(8))
    assert len(_counting_impls(copied, "before_run")) == 1


def test_a_subset_caller_of_a_copy_leaves_out_only_what_it_was_told(
    tmp_path: Path, counting: None
) -> None:
    copied = build_plugin_manager(start=tmp_path, plugins=[First()])
    first = copied.get_plugin("First")
    without_first = copied.subset_hook_caller("before_run", remove_plugins=[first])
    without_first(session=None, run="subset")
    assert copied.get_plugin("counting").calls == ["subset"]
    names = [impl.plugin_name for impl in without_first.get_hookimpls()]
    assert "First" not in names and "counting" in names


def test_a_child_forked_while_a_binding_was_in_progress_can_still_call_hooks(
    tmp_path: Path, counting: None
) -> None:
    copied = build_plugin_manager(start=tmp_path)
    with plugin_template._bind_lock:  # another thread is binding when the process forks
        pid = os.fork()
        if pid == 0:  # the child: its first call binds, under a lock nobody holds
            try:
                copied.hook.before_run(session=None, run="child")
                os._exit(0 if copied.get_plugin("counting").calls == ["child"] else 1)
            except BaseException:
                os._exit(2)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the forked child hung on the binding lock")


def test_setting_an_attribute_on_a_session_plugin_does_not_change_its_hooks(
    tmp_path: Path, counting: None
) -> None:
    copied = build_plugin_manager(start=tmp_path)
    instance = copied.get_plugin("counting")
    seen: list[Any] = []
    instance.before_run = lambda session, run: seen.append(run)  # after the copy was made
    copied.hook.before_run(session=None, run="r")
    assert instance.calls == ["r"] and seen == []


def test_a_hook_an_instance_sets_on_itself_is_that_instances_own(
    tmp_path: Path, counting: None
) -> None:
    one = build_plugin_manager(start=tmp_path)
    two = build_plugin_manager(start=tmp_path)
    one.hook.before_run(session=None, run="one")
    two.hook.before_run(session=None, run="two")
    assert one.get_plugin("closures").calls == ["one"]
    assert two.get_plugin("closures").calls == ["two"]


def test_a_copy_that_registers_a_plugin_still_lists_each_plugins_hooks(
    tmp_path: Path, counting: None
) -> None:
    copied = build_plugin_manager(start=tmp_path, plugins=[First()])
    infos = {info.name: info for info in copied.plugin_infos()}
    assert infos["counting"].hooks == ("after_close", "before_run")
    assert infos["closures"].hooks == ("before_run",)
    assert infos["First"].hooks == ("before_run",)
    assert "find_project" in infos["project"].hooks
