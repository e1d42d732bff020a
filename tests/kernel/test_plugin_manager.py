"""Loading plugins from real entry points, blocking them, and rejecting broken ones."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

import drupe
from drupe import PluginError, Session
from drupe.testing import StaticConfig, write_distribution, write_project

GOOD_PLUGIN = """
import drupe

CALLS = []

@drupe.hookimpl
def before_session_create(spec):
    CALLS.append(spec.session_id)
    spec.metadata["seen_by"] = "good"
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path that holds test distributions; their modules are forgotten after."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delenv("DRUPE_DISABLE_PLUGINS", raising=False)
    before = set(sys.modules)
    yield folder
    for name in set(sys.modules) - before:
        if name.startswith("drupe_test_"):
            del sys.modules[name]


def only_test_plugins(session: Session) -> dict[str, drupe.PluginInfo]:
    return {
        info.name: info
        for info in session.plugin_manager.plugin_infos()
        if info.distribution and info.distribution.startswith("drupe-test")
    }


def test_entry_point_plugin_is_loaded_with_its_distribution(site: Path, tmp_path: Path) -> None:
    write_distribution(
        site,
        "drupe-test-good",
        version="2.3",
        plugins={"good": "drupe_test_good"},
        modules={"drupe_test_good.py": GOOD_PLUGIN},
    )
    with Session.create(tmp_path, plugins=[StaticConfig()]) as session:
        infos = only_test_plugins(session)
        assert session.metadata["seen_by"] == "good"
    info = infos["good"]
    assert (info.distribution, info.version, info.enabled) == ("drupe-test-good", "2.3", True)
    assert info.hooks == ("before_session_create",)
    assert info.source == "entry point"


@pytest.mark.parametrize(
    "spelling", ["broken", "drupe-test-broken", "drupe_test_broken", "Drupe.Test-Broken"]
)
@pytest.mark.parametrize("route", ["argument", "environment", "pyproject"])
def test_blocked_plugin_is_never_imported(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str, route: str
) -> None:
    write_distribution(
        site,
        "drupe-test-broken",
        plugins={"broken": "drupe_test_broken"},
        modules={"drupe_test_broken.py": "raise ImportError('never import me')"},
    )
    kwargs: dict[str, Any] = {}
    project = tmp_path / "proj"
    if route == "argument":
        kwargs["disable_plugins"] = [spelling]
        (project / "src").mkdir(parents=True)
    elif route == "environment":
        monkeypatch.setenv("DRUPE_DISABLE_PLUGINS", f"other, {spelling}")
        (project / "src").mkdir(parents=True)
    else:
        write_project(project, tool={"disable_plugins": [spelling]})
    with Session.create(project / "src", plugins=[StaticConfig()], **kwargs) as session:
        info = only_test_plugins(session)["broken"]
    assert not info.enabled and info.disabled_by
    assert "drupe_test_broken" not in sys.modules


def test_plugin_that_fails_to_import_names_plugin_distribution_and_the_fix(
    site: Path, tmp_path: Path
) -> None:
    write_distribution(
        site,
        "drupe-test-broken",
        version="0.9",
        plugins={"broken": "drupe_test_broken"},
        modules={"drupe_test_broken.py": "import not_a_module_anywhere\n"},
    )
    with pytest.raises(PluginError) as caught:
        Session.create(tmp_path)
    message = str(caught.value)
    for part in (
        "'broken'",
        "drupe-test-broken 0.9",
        "ModuleNotFoundError",
        "-p no:broken",
        "DRUPE_DISABLE_PLUGINS=broken",
    ):
        assert part in message
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_unknown_hook_name_is_rejected(site: Path, tmp_path: Path) -> None:
    write_distribution(
        site,
        "drupe-test-typo",
        plugins={"typo": "drupe_test_typo"},
        modules={
            "drupe_test_typo.py": (
                "import drupe\n@drupe.hookimpl\ndef befor_run(session):\n    pass\n"
            )
        },
    )
    with pytest.raises(PluginError, match=r"'typo' .*unknown hook 'befor_run'.*-p no:typo"):
        Session.create(tmp_path)


def test_bad_signature_is_rejected_naming_the_argument(site: Path, tmp_path: Path) -> None:
    write_distribution(
        site,
        "drupe-test-sig",
        plugins={"sig": "drupe_test_sig"},
        modules={
            "drupe_test_sig.py": (
                "import drupe\n@drupe.hookimpl\ndef before_run(sesion, run):\n    pass\n"
            )
        },
    )
    with pytest.raises(PluginError, match=r"'sig' \(distribution drupe-test-sig 1.0\).*sesion"):
        Session.create(tmp_path)


def test_two_distributions_with_one_plugin_name_fail(site: Path, tmp_path: Path) -> None:
    write_distribution(
        site, "drupe-test-a", plugins={"same": "drupe_test_a"}, modules={"drupe_test_a.py": ""}
    )
    write_distribution(
        site, "drupe-test-b", plugins={"same": "drupe_test_b"}, modules={"drupe_test_b.py": ""}
    )
    with pytest.raises(PluginError, match="two distributions register the drupe plugin 'same'"):
        Session.create(tmp_path)


def test_plugin_class_is_instantiated_per_session(site: Path, tmp_path: Path) -> None:
    write_distribution(
        site,
        "drupe-test-cls",
        plugins={"cls": "drupe_test_cls:PerSession"},
        modules={
            "drupe_test_cls.py": """
import drupe

class PerSession:
    def __init__(self):
        self.seen = []

    @drupe.hookimpl
    def after_session_created(self, session):
        self.seen.append(session.session_id)
"""
        },
    )
    one = Session.create(tmp_path, plugins=[StaticConfig()])
    two = Session.create(tmp_path, plugins=[StaticConfig()])
    plugin_one = one.plugin_manager.get_plugin("cls")
    plugin_two = two.plugin_manager.get_plugin("cls")
    assert plugin_one is not plugin_two
    assert plugin_one.seen == [one.session_id] and plugin_two.seen == [two.session_id]
    one.close()
    two.close()


def test_embedding_registers_only_what_it_is_given(tmp_path: Path) -> None:
    with Session.create(tmp_path, plugins=[StaticConfig()], entry_points=False) as session:
        infos = session.plugin_manager.plugin_infos()
    assert [info.source for info in infos] == ["explicit"]


def test_disable_unregisters_by_distribution_name(tmp_path: Path) -> None:
    manager = drupe.build_plugin_manager(
        start=tmp_path, entry_points=False, plugins=[StaticConfig()]
    )
    name = manager.plugin_infos()[0].name
    assert manager.disable(name, "test")
    assert manager.hook.create_config_loader.get_hookimpls() == []
    assert manager.plugin_infos()[0].disabled_by == "test"


def test_trace_hooks_logs_each_call_with_timing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DRUPE_TRACE_HOOKS", "1")
    with caplog.at_level(logging.INFO, logger="drupe.hooks"):
        Session.create(tmp_path, plugins=[StaticConfig()], entry_points=False).close()
    messages = [r.getMessage() for r in caplog.records if r.name == "drupe.hooks"]
    assert any(m.startswith("hook before_session_create -> [") for m in messages)
    assert any(m.startswith("hook after_close done in ") and m.endswith(" ms") for m in messages)


def test_a_blocked_name_that_matches_nothing_is_a_warning_with_close_matches(
    site: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_distribution(
        site,
        "drupe-test-good",
        plugins={"good": "drupe_test_good"},
        modules={"drupe_test_good.py": GOOD_PLUGIN},
    )
    with caplog.at_level(logging.WARNING, logger="drupe"):
        Session.create(tmp_path, plugins=[StaticConfig()], disable_plugins=["godo"]).close()
    warnings = [r.getMessage() for r in caplog.records if r.name == "drupe"]
    assert len(warnings) == 1
    assert "'godo', which is no installed plugin or distribution" in warnings[0]
    assert "did you mean good" in warnings[0]
