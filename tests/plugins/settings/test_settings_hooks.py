"""settings.HOOKS and DISABLE_HOOKS_FOR_PLUGINS act on the session's own plugin manager."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import drupe
from drupe.testing import write_distribution

OTHERS = ("config", "pipeline", "store", "serve", "dask")

ENTRY_POINT_PLUGIN = """
import drupe
import order_log


@drupe.hookimpl
def after_session_created(session):
    order_log.CALLS.append("entry point {name}")
"""

PROJECT_HOOK = """
class {cls}:
    @drupe.hookimpl
    def after_session_created(self, session):
        order_log.CALLS.append("{label}")
"""


@pytest.fixture
def order_site(tmp_path: Path):
    """Two real entry-point plugins (aaa_order, zzz_order) and a shared call log."""
    site = write_distribution(
        tmp_path / "site",
        "zzz-order-dist",
        plugins={"aaa_order": "aaa_order_plugin", "zzz_order": "zzz_order_plugin"},
        modules={
            "order_log.py": "CALLS = []\n",
            "aaa_order_plugin.py": ENTRY_POINT_PLUGIN.format(name="aaa_order"),
            "zzz_order_plugin.py": ENTRY_POINT_PLUGIN.format(name="zzz_order"),
        },
    )
    sys.path.insert(0, str(site))  # the conftest fixture restores sys.path
    import order_log

    order_log.CALLS.clear()
    yield order_log
    for name in ("order_log", "aaa_order_plugin", "zzz_order_plugin"):
        sys.modules.pop(name, None)


PROJECT_HOOKS = {
    "src/ordered/hooks.py": "import drupe\nimport order_log\n"
    + PROJECT_HOOK.format(cls="First", label="HOOKS[0]")
    + PROJECT_HOOK.format(cls="Second", label="HOOKS[1]"),
}


def test_project_hooks_run_before_plugins_last_listed_first(
    make_project, session_factory, order_site
) -> None:
    root = make_project(
        "ordered",
        files={
            **PROJECT_HOOKS,
            "src/ordered/settings.py": "from ordered.hooks import First, Second\n"
            "HOOKS = (First(), Second)\n",
        },
    )

    class Explicit:
        @drupe.hookimpl
        def after_session_created(self, session):
            order_site.CALLS.append("explicit plugin")

    session = session_factory.session(
        root, save_on_close=False, plugins=[Explicit()], disable_plugins=OTHERS
    )

    assert order_site.CALLS == [
        "HOOKS[1]",
        "HOOKS[0]",
        "explicit plugin",
        "entry point zzz_order",
        "entry point aaa_order",
    ]
    infos = {i.name: i for i in session.plugin_manager.plugin_infos()}
    assert infos["ordered.hooks.First"].source == "settings"
    assert infos["ordered.hooks.Second"].hooks == ("after_session_created",)


def test_a_class_in_hooks_gives_each_session_its_own_instance(
    make_project, session_factory
) -> None:
    root = make_project(
        "per_session",
        files={
            "src/per_session/hooks.py": """
                import drupe

                class Counting:
                    def __init__(self):
                        self.contexts = 0

                    @drupe.hookimpl
                    def after_context_created(self, context):
                        self.contexts += 1

                SHARED = Counting()
            """,
            "src/per_session/settings.py": "from per_session import hooks\n"
            "HOOKS = (hooks.Counting, hooks.SHARED)\n",
        },
    )
    from drupe.testing import StaticConfig

    sessions = [
        session_factory.session(
            root, save_on_close=False, plugins=[StaticConfig()], disable_plugins=OTHERS
        )
        for _ in range(2)
    ]
    for session in sessions:
        session.load_context()

    fresh = [s.plugin_manager.get_plugin("per_session.hooks.Counting") for s in sessions]
    shared = [s.plugin_manager.get_plugin("per_session.hooks.Counting#2") for s in sessions]
    assert fresh[0] is not fresh[1]
    assert [h.contexts for h in fresh] == [1, 1]
    assert shared[0] is shared[1] and shared[0].contexts == 2


def test_disable_hooks_for_plugins_disables_by_distribution_name(
    make_project, session_factory, order_site
) -> None:
    root = make_project(
        "disabling",
        files={"src/disabling/settings.py": 'DISABLE_HOOKS_FOR_PLUGINS = ["Zzz-Order_Dist"]\n'},
    )

    session = session_factory.session(root, save_on_close=False, disable_plugins=OTHERS)

    assert order_site.CALLS == []  # both plugins of that distribution are off
    infos = {i.name: i for i in session.plugin_manager.plugin_infos()}
    for name in ("aaa_order", "zzz_order"):
        assert not infos[name].enabled
        assert infos[name].disabled_by == "settings DISABLE_HOOKS_FOR_PLUGINS"
        assert session.plugin_manager.get_plugin(name) is None


def test_disabling_a_plugin_already_disabled_elsewhere_is_fine(
    make_project, session_factory
) -> None:
    root = make_project(
        "twice_off", files={"src/twice_off/settings.py": 'DISABLE_HOOKS_FOR_PLUGINS = ("serve",)\n'}
    )

    session = session_factory.session(root, save_on_close=False, disable_plugins=OTHERS)

    assert session.plugin_manager.get_plugin("serve") is None


def test_disabling_an_unknown_plugin_fails_clearly(make_project, session_factory) -> None:
    root = make_project(
        "unknown_off",
        files={"src/unknown_off/settings.py": 'DISABLE_HOOKS_FOR_PLUGINS = ["not-installed"]\n'},
    )

    with pytest.raises(drupe.SettingsError) as caught:
        session_factory.session(root, save_on_close=False, disable_plugins=OTHERS)

    message = str(caught.value)
    assert "DISABLE_HOOKS_FOR_PLUGINS" in message
    assert "'not-installed', which is no plugin of this session" in message
    assert "project" in message and "settings" in message  # the plugins it could have named


def test_a_hooks_item_that_is_not_a_hook_object_fails(make_project, session_factory) -> None:
    root = make_project(
        "stringy", files={"src/stringy/settings.py": 'HOOKS = ("stringy.hooks.MyHooks",)\n'}
    )

    with pytest.raises(drupe.SettingsError, match=r"HOOKS\[0\] .* is 'stringy.hooks.MyHooks'"):
        session_factory.session(root, save_on_close=False, disable_plugins=OTHERS)


def test_a_project_hook_with_a_bad_signature_fails_naming_it(make_project, session_factory) -> None:
    root = make_project(
        "bad_sig",
        files={
            "src/bad_sig/hooks.py": """
                import drupe

                class Hooks:
                    @drupe.hookimpl
                    def after_run(self, session, outcome):
                        pass
            """,
            "src/bad_sig/settings.py": "from bad_sig.hooks import Hooks\nHOOKS = (Hooks(),)\n",
        },
    )

    with pytest.raises(drupe.SettingsError) as caught:
        session_factory.session(root, save_on_close=False, disable_plugins=OTHERS)

    message = str(caught.value)
    assert "HOOKS[0]" in message and "bad_sig.hooks.Hooks" in message
    assert "outcome" in message


def test_a_project_hook_for_an_unknown_hook_is_rejected(make_project, session_factory) -> None:
    root = make_project(
        "misspelt",
        files={
            "src/misspelt/hooks.py": """
                import drupe

                class Hooks:
                    @drupe.hookimpl
                    def afer_run(self, session):
                        pass
            """,
            "src/misspelt/settings.py": "from misspelt.hooks import Hooks\nHOOKS = [Hooks()]\n",
        },
    )

    with pytest.raises(drupe.PluginError, match=r"misspelt\.hooks\.Hooks.*unknown hook 'afer_run'"):
        session_factory.session(root, save_on_close=False, disable_plugins=OTHERS)
