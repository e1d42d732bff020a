"""A drupe plugin answering ``create_config_loader`` with TOML files.

Layout: ``<project>/conf/base/<key>.toml`` then ``<project>/conf/<env>/<key>.toml``
(env from the argument, else ``DRUPE_ENV``, else ``local``); an env file's
top-level tables replace base's. Runtime parameters are deep-merged over
``parameters``.

The entry point names the class `TomlConfig`: drupe builds one instance per
session. The distribution ships a second plugin, `drupe_toml_config.report`,
an executor with a ``drupe run`` flag of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import tomllib

import drupe


def _deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _nest(params: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in params.items():
        *parents, last = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return nested


class TomlConfigLoader(Mapping[str, Any]):
    """A read-only mapping: one key per TOML file stem found in the base or env folder."""

    def __init__(self, files: Mapping[str, dict[str, Any]], runtime_params: Mapping[str, Any]):
        self._files = files  # parsed once, shared by siblings
        self._params = _nest(runtime_params)

    @classmethod
    def read(cls, conf: Path, env: str, runtime_params: Mapping[str, Any]) -> TomlConfigLoader:
        files: dict[str, dict[str, Any]] = {}
        for folder in ("base", env):
            for path in sorted((conf / folder).glob("*.toml")):
                try:
                    content = tomllib.loads(path.read_text(encoding="utf-8"))
                except tomllib.TOMLDecodeError as exc:
                    raise drupe.ConfigError(f"{path}: invalid TOML: {exc}") from exc
                files[path.stem] = {**files.get(path.stem, {}), **content}
        return cls(files, runtime_params)

    def __getitem__(self, key: str) -> Any:
        value = self._files.get(key, {}) if key in self or key == "parameters" else None
        if value is None:
            raise KeyError(key)
        if key == "parameters":
            return _deep_merge(value, self._params)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({*self._files, "parameters"}))

    def __len__(self) -> int:
        return len({*self._files, "parameters"})

    def __contains__(self, key: object) -> bool:
        return key == "parameters" or key in self._files

    def with_runtime_params(self, runtime_params: Mapping[str, Any]) -> TomlConfigLoader:
        return TomlConfigLoader(self._files, runtime_params)


class TomlConfig:
    """The plugin: answers ``create_config_loader`` for projects whose conf/ holds TOML."""

    @drupe.hookimpl(tryfirst=True)
    def create_config_loader(
        self,
        project: drupe.Project | None,
        env: str | None,
        conf_source: str | None,
        runtime_params: Mapping[str, Any],
    ) -> TomlConfigLoader | None:
        if conf_source is not None:
            conf = Path(conf_source)
        elif project is not None and project.root is not None:
            conf = project.root / "conf"
        else:
            return None  # nothing to read: let another plugin answer
        if not any(conf.glob("*/*.toml")):
            return None  # not a TOML project: let the YAML loader answer
        run_env = env or os.environ.get("DRUPE_ENV") or "local"
        return TomlConfigLoader.read(conf, run_env, runtime_params)
