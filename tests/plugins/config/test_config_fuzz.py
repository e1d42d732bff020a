"""Fuzzing the config reader: whatever a file holds, only `drupe.ConfigError` comes out."""

from __future__ import annotations

import tempfile
from pathlib import Path

from config_testkit import loader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import drupe
from drupe_config.reading import parse

YAMLISH = st.lists(
    st.sampled_from(
        [*"ab01 :-[]{},&*!|>'\"\n#$.%@`\\\t\u00e9<=", "${", "${a}", "${globals:a}", "&x ", "*x"]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(data=st.one_of(st.binary(max_size=200), YAMLISH.map(str.encode)), json=st.booleans())
def test_any_file_content_parses_or_is_a_config_error(data: bytes, json: bool) -> None:
    name = "conf/base/parameters." + ("json" if json else "yml")
    try:
        value = parse(data, name)
    except drupe.ConfigError as error:
        assert name in str(error)
        return
    assert isinstance(value, dict)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=YAMLISH)
def test_any_parameters_file_resolves_or_is_a_config_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        conf = Path(folder)
        (conf / "base").mkdir()
        (conf / "base" / "parameters.yml").write_text(text, encoding="utf-8")
        try:
            params = loader(conf)["parameters"]
        except drupe.ConfigError:
            return
        assert hasattr(params, "keys")
