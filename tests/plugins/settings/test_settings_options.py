"""Reading and checking settings.py: defaults, declared options and every error users meet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import drupe
from drupe_settings import Settings

#: Plugins that are not under test; the settings tests load only project + settings
#: (and the explicit plugins they pass), unless a test says otherwise.
OTHERS = ("config", "pipeline", "store", "serve", "dask")


class ModelOptions:
    """A plugin that reads two options, as a third-party plugin would declare them."""

    @drupe.hookimpl(optionalhook=True)
    def declare_settings(self) -> dict[str, dict[str, Any]]:
        return {
            "MODEL_ARGS": {"type": dict, "default": {"depth": 3}, "doc": "model arguments"},
            "MODEL_NAME": {"type": str, "default": "tree"},
        }


def session_for(session_factory, root: Path, *plugins: Any):
    return session_factory.session(
        root, save_on_close=False, plugins=plugins, disable_plugins=OTHERS
    )


def test_a_project_without_settings_module_gets_the_defaults(make_project, session_factory) -> None:
    root = make_project("no_settings")

    settings = session_for(session_factory, root, ModelOptions()).settings

    assert isinstance(settings, Settings)
    assert settings.source is None
    assert settings.HOOKS == ()
    assert settings.DISABLE_HOOKS_FOR_PLUGINS == ()
    assert settings.MODEL_ARGS == {"depth": 3}
    assert settings.get("MODEL_NAME") == "tree"


def test_no_project_gives_default_settings(tmp_path: Path, session_factory) -> None:
    settings = session_for(session_factory, tmp_path, ModelOptions()).settings

    assert settings.as_dict() == {
        "HOOKS": (),
        "DISABLE_HOOKS_FOR_PLUGINS": (),
        "MODEL_ARGS": {"depth": 3},
        "MODEL_NAME": "tree",
    }


def test_values_from_settings_py_override_defaults(make_project, session_factory) -> None:
    root = make_project(
        "with_values",
        files={"src/with_values/settings.py": 'MODEL_ARGS = {"depth": 9}\nMODEL_NAME = "forest"\n'},
    )

    settings = session_for(session_factory, root, ModelOptions()).settings

    assert settings.MODEL_ARGS == {"depth": 9}
    assert settings.MODEL_NAME == "forest"
    assert settings.source == str(root.resolve() / "src" / "with_values" / "settings.py")


def test_settings_are_read_only_and_say_which_options_exist(make_project, session_factory) -> None:
    settings = session_for(session_factory, make_project("ro"), ModelOptions()).settings

    with pytest.raises(AttributeError, match="read-only"):
        settings.MODEL_NAME = "other"
    with pytest.raises(AttributeError, match="did you mean MODEL_NAME"):
        _ = settings.MODEL_NAM
    assert getattr(settings, "NOT_DECLARED", "fallback") == "fallback"
    assert settings.get("NOT_DECLARED", 5) == 5


def test_each_session_gets_its_own_copy_of_container_values(make_project, session_factory) -> None:
    root = make_project("copies", files={"src/copies/settings.py": 'MODEL_ARGS = {"depth": 1}\n'})
    first = session_for(session_factory, root, ModelOptions()).settings
    first.MODEL_ARGS["depth"] = 100  # a careless plugin changes its dict

    second = session_for(session_factory, root, ModelOptions()).settings

    assert second.MODEL_ARGS == {"depth": 1}


def test_lower_case_names_and_imports_are_not_options(make_project, session_factory) -> None:
    root = make_project(
        "ignored",
        files={
            "src/ignored/util.py": "def HELPER():\n    return 1\n",
            "src/ignored/settings.py": """
                import os as OS
                from pathlib import Path

                from ignored.util import HELPER

                base = Path(OS.getcwd())
                _PRIVATE = 1
                MODEL_NAME = "kept"
            """,
        },
    )

    settings = session_for(session_factory, root, ModelOptions()).settings

    assert settings.MODEL_NAME == "kept"
    assert "HELPER" not in settings and "OS" not in settings and "base" not in settings


def test_an_unknown_option_fails_with_did_you_mean_and_the_line(
    make_project, session_factory
) -> None:
    root = make_project(
        "typo", files={"src/typo/settings.py": 'MODEL_NAME = "a"\n\nMODEL_ARG = {}\n'}
    )

    with pytest.raises(drupe.SettingsError) as caught:
        session_for(session_factory, root, ModelOptions())

    message = str(caught.value)
    assert "unknown settings option MODEL_ARG" in message
    assert "did you mean MODEL_ARGS?" in message
    assert f"{root.resolve() / 'src' / 'typo' / 'settings.py'} line 3" in message
    assert "MODEL_ARGS (" in message  # the known options are listed with their plugin


def test_an_option_is_unknown_when_the_plugin_declaring_it_is_not_enabled(
    make_project, session_factory
) -> None:
    root = make_project("undeclared", files={"src/undeclared/settings.py": 'MODEL_NAME = "x"\n'})

    with pytest.raises(drupe.SettingsError, match="unknown settings option MODEL_NAME"):
        session_for(session_factory, root)  # ModelOptions not registered


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'MODEL_ARGS = "depth=3"',
            "MODEL_ARGS in {file} line 1 must be a dict, got 'depth=3' (str)",
        ),
        ("MODEL_NAME = 3", "MODEL_NAME in {file} line 1 must be a str, got 3 (int)"),
        ("HOOKS = None", "HOOKS in {file} line 1 must be a list or tuple, got None (NoneType)"),
        (
            'DISABLE_HOOKS_FOR_PLUGINS = "serve"',
            "DISABLE_HOOKS_FOR_PLUGINS in {file} line 1 must be a list or tuple, got 'serve'",
        ),
    ],
)
def test_a_wrong_type_names_option_expected_type_and_value(
    make_project, session_factory, line: str, expected: str
) -> None:
    root = make_project("wrong", files={"src/wrong/settings.py": line + "\n"})
    file = root.resolve() / "src" / "wrong" / "settings.py"

    with pytest.raises(drupe.SettingsError) as caught:
        session_for(session_factory, root, ModelOptions())

    assert expected.format(file=file) in str(caught.value)


def test_options_of_the_bundled_plugins_are_checked_too(make_project, session_factory) -> None:
    root = make_project(
        "bundled_opts", files={"src/bundled_opts/settings.py": 'SESSION_STORE_ARGS = "sqlite"\n'}
    )

    with pytest.raises(drupe.SettingsError, match=r"SESSION_STORE_ARGS in .* must be a dict"):
        session_factory.session(root, save_on_close=False)  # every bundled plugin enabled


def test_an_exception_inside_settings_py_names_the_module(make_project, session_factory) -> None:
    root = make_project(
        "broken", files={"src/broken/settings.py": "import not_installed_anywhere_xyz\n"}
    )

    with pytest.raises(drupe.SettingsError) as caught:
        session_for(session_factory, root)

    message = str(caught.value)
    assert "importing the settings module broken.settings" in message
    assert "No module named 'not_installed_anywhere_xyz'" in message
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_a_syntax_error_in_settings_py_names_the_line(make_project, session_factory) -> None:
    root = make_project("syntax", files={"src/syntax/settings.py": "HOOKS = ()\nHOOKS = (\n"})

    with pytest.raises(drupe.SettingsError, match=r"syntax\.settings .* SyntaxError at line 2"):
        session_for(session_factory, root)


def test_the_cli_shows_one_line_and_the_traceback_only_with_verbose(make_project) -> None:
    root = make_project(
        "cli_broken",
        files={"src/cli_broken/settings.py": "raise RuntimeError('boom in settings')\n"},
    )

    def run(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "drupe", *flags, "run"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
        )

    quiet, verbose = run(), run("--verbose")

    assert quiet.returncode == verbose.returncode == 1
    assert "cli_broken.settings" in quiet.stderr
    assert "RuntimeError: boom in settings" in quiet.stderr
    assert "Traceback" not in quiet.stderr
    assert "Traceback" in verbose.stderr
    assert 'settings.py", line 1' in verbose.stderr


def test_two_plugins_declaring_one_option_with_different_types_fail(
    make_project, session_factory
) -> None:
    class OtherModelOptions:
        @drupe.hookimpl(optionalhook=True)
        def declare_settings(self) -> dict[str, dict[str, Any]]:
            return {"MODEL_NAME": {"type": int, "default": 0}}

    with pytest.raises(drupe.PluginError, match="both declare the settings option MODEL_NAME"):
        session_for(session_factory, make_project("clash"), ModelOptions(), OtherModelOptions())


def test_environment_variables_do_not_change_settings(
    make_project, session_factory, monkeypatch
) -> None:
    root = make_project("no_env", files={"src/no_env/settings.py": 'MODEL_NAME = "file"\n'})
    for name in ("MODEL_NAME", "DRUPE_MODEL_NAME", "DRUPE_SETTINGS_MODEL_NAME"):
        monkeypatch.setenv(name, "from-env")

    settings = session_for(session_factory, root, ModelOptions()).settings

    assert settings.MODEL_NAME == "file"


def test_a_plugin_that_changes_its_declaration_is_checked_again(
    tmp_path: Path, session_factory
) -> None:
    """What a plugin declared is checked once per process, but only while it declares the same."""

    class Changing:
        def __init__(self, declared: dict[str, Any]) -> None:
            self.declared = declared

        @drupe.hookimpl(optionalhook=True)
        def declare_settings(self) -> dict[str, dict[str, Any]]:
            return self.declared

    first = {"RETRIES": {"type": int, "default": 1}}
    second = {"RETRIES": {"type": int, "default": 5}}
    broken = {"retries": {"type": int, "default": 5}}
    for declared, expected in ((first, 1), (first, 1), (second, 5)):
        settings = session_for(session_factory, tmp_path, Changing(declared)).settings
        assert settings.get("RETRIES") == expected
    with pytest.raises(drupe.PluginError, match="option names are UPPER_CASE"):
        session_for(session_factory, tmp_path, Changing(broken))


class ArrayLike:
    """A default whose ``==`` answers element-wise, as numpy arrays do."""

    def __eq__(self, other: object) -> Any:
        return self

    def __bool__(self) -> bool:
        raise ValueError("the truth value of an array is ambiguous")

    __hash__ = object.__hash__


def test_declarations_are_never_compared_by_value(tmp_path: Path, session_factory) -> None:
    class Fresh:
        @drupe.hookimpl(optionalhook=True)
        def declare_settings(self) -> dict[str, dict[str, Any]]:
            return {"WEIGHTS": {"type": ArrayLike, "default": ArrayLike()}}  # new each call

    class Mutated:
        declared: dict[str, dict[str, Any]] = {"FLAG": {"type": int, "default": 1}}

        @drupe.hookimpl(optionalhook=True)
        def declare_settings(self) -> dict[str, dict[str, Any]]:
            return self.declared

    for _ in range(2):
        settings = session_for(session_factory, tmp_path, Fresh()).settings
        assert isinstance(settings.get("WEIGHTS"), ArrayLike)
    assert session_for(session_factory, tmp_path, Mutated()).settings.get("FLAG") == 1
    Mutated.declared["FLAG"] = {"type": int, "default": True}  # 1 == True, not the same value
    assert session_for(session_factory, tmp_path, Mutated()).settings.get("FLAG") is True
