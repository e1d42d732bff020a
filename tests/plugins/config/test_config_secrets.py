"""The config plugin names the secret values: credentials, and secret-looking runtime params."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from config_testkit import ProjectAt, write_conf

import drupe
import drupe_config
from drupe.testing import FunctionExecutor
from drupe_config.secrets import DEFAULT_SECRET_KEY_PATTERN, compiled, normalised


@pytest.mark.parametrize(
    "key",
    ["password", "db_pass", "api_token", "dsn", "auth", "private_key", "apiKey", "AWS_SECRET"],
)
def test_default_pattern_covers_the_usual_names(key: str) -> None:
    assert compiled(DEFAULT_SECRET_KEY_PATTERN).search(normalised(key))


@pytest.mark.parametrize("key", ["monkey", "max_tokens", "keyboard", "passenger", "sort_keys"])
def test_default_pattern_leaves_ordinary_names_alone(key: str) -> None:
    assert not compiled(DEFAULT_SECRET_KEY_PATTERN).search(normalised(key))


def test_a_run_error_naming_a_credential_or_secret_param_is_scrubbed(tmp_path: Path) -> None:
    write_conf(
        tmp_path / "conf",
        {"base/credentials.yml": "db:\n  password: cred-value-1\n", "base/parameters.yml": ""},
    )

    def leak(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
        raise RuntimeError(f"{context.config_loader['credentials']} {context.params}")

    plugins = [drupe_config.ConfigPlugin, ProjectAt(tmp_path), FunctionExecutor(leak)]
    params = {"api": {"token": "param-value-2"}, "label": "kept-value"}
    with drupe.Session.create(entry_points=False, plugins=plugins, runtime_params=params) as s:
        with pytest.raises(RuntimeError) as caught:
            s.run()
    message = str(caught.value)
    assert "cred-value-1" not in message and "param-value-2" not in message
    assert "kept-value" in message and "***" in message


def test_a_bad_pattern_fails_naming_the_setting(tmp_path: Path) -> None:
    write_conf(tmp_path / "conf", {"base/parameters.yml": "a: 1\n"})
    plugins = [drupe_config.ConfigPlugin, ProjectAt(tmp_path, SECRET_KEY_PATTERN="(")]
    with drupe.Session.create(entry_points=False, plugins=plugins) as session:
        with pytest.raises(drupe.SettingsError, match="SECRET_KEY_PATTERN is not a valid"):
            assert session.load_context().params
