"""Settings of one project never reach a session of another project in the same process."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import drupe

OTHERS = ("config", "pipeline", "store", "serve", "dask")


class Declares:
    @drupe.hookimpl(optionalhook=True)
    def declare_settings(self):
        return {"LABEL": {"type": str, "default": "default"}}


def hooked_project(make_project, package: str, label: str, *, name: str) -> Path:
    """A project whose settings set LABEL and register a hook class named after ``label``."""
    return make_project(
        package,
        name=name,
        files={
            f"src/{package}/hooks.py": f"""
                import drupe

                class Hooks_{label}:
                    @drupe.hookimpl
                    def after_context_created(self, context):
                        pass
            """,
            f"src/{package}/settings.py": f"""
                from {package}.hooks import Hooks_{label}

                LABEL = "{label}"
                HOOKS = (Hooks_{label},)
            """,
        },
    )


def open_session(session_factory, root: Path):
    return session_factory.session(
        root, save_on_close=False, plugins=[Declares()], disable_plugins=OTHERS
    )


def settings_hook_names(session) -> list[str]:
    return [i.name for i in session.plugin_manager.plugin_infos() if i.source == "settings"]


def test_two_projects_with_different_packages(make_project, session_factory) -> None:
    first = hooked_project(make_project, "alpha_pkg", "alpha", name="a")
    plain = make_project("plain_pkg", name="p")

    one = open_session(session_factory, first)
    two = open_session(session_factory, plain)
    again = open_session(session_factory, first)

    assert one.settings.LABEL == again.settings.LABEL == "alpha"
    assert two.settings.LABEL == "default"
    assert settings_hook_names(one) == ["alpha_pkg.hooks.Hooks_alpha"]
    assert settings_hook_names(two) == []
    assert settings_hook_names(again) == ["alpha_pkg.hooks.Hooks_alpha"]


def test_two_projects_with_the_same_package_name(make_project, session_factory) -> None:
    left = hooked_project(make_project, "same_pkg", "left", name="left")
    right = hooked_project(make_project, "same_pkg", "right", name="right")

    sessions = [open_session(session_factory, root) for root in (left, right, left, right)]

    assert [s.settings.LABEL for s in sessions] == ["left", "right", "left", "right"]
    assert [settings_hook_names(s) for s in sessions] == [
        ["same_pkg.hooks.Hooks_left"],
        ["same_pkg.hooks.Hooks_right"],
        ["same_pkg.hooks.Hooks_left"],
        ["same_pkg.hooks.Hooks_right"],
    ]
    assert sessions[0].settings.source == str(left.resolve() / "src/same_pkg/settings.py")
    assert sessions[1].settings.source == str(right.resolve() / "src/same_pkg/settings.py")


def test_an_edited_settings_file_is_read_again(make_project, session_factory) -> None:
    root = make_project("edited", files={"src/edited/settings.py": 'LABEL = "aaa"\n'})
    settings_file = root / "src" / "edited" / "settings.py"
    first = open_session(session_factory, root).settings.LABEL
    stat = settings_file.stat()

    settings_file.write_text('LABEL = "bbb"\n', encoding="utf-8")  # same size, same second
    os.utime(settings_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    second = open_session(session_factory, root).settings.LABEL

    assert (first, second) == ("aaa", "bbb")


def test_sessions_of_two_projects_created_from_many_threads(make_project, session_factory) -> None:
    roots = {
        "north": hooked_project(make_project, "north_pkg", "north", name="n"),
        "south": hooked_project(make_project, "south_pkg", "south", name="s"),
    }
    results: list[tuple[str, str, list[str]]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create(label: str) -> None:
        try:
            session = open_session(session_factory, roots[label])
            with lock:
                results.append((label, session.settings.LABEL, settings_hook_names(session)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(label,)) for label in ["north", "south"] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(results) == 8
    for label, seen, hooks in results:
        assert seen == label
        assert hooks == [f"{label}_pkg.hooks.Hooks_{label}"]
