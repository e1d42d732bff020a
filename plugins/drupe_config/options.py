"""`LoaderOptions`: what ``CONFIG_LOADER_ARGS`` may say, checked with errors naming the option.

Settings are read with ``getattr`` only: the settings object may be ``None``
(no settings plugin, no project) or any object the settings plugin returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import drupe
from drupe_config.secrets import DEFAULT_SECRET_KEY_PATTERN

#: File patterns per configuration key, relative to an environment folder.
#: Globals come from ``globals.yml`` alone (Kedro's documented pattern), so a
#: file such as ``globals_extra.yml`` never feeds ``${globals:...}`` by accident.
DEFAULT_CONFIG_PATTERNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        **{
            key: (f"{key}*", f"{key}*/**", f"**/{key}*")
            for key in ("parameters", "catalog", "credentials", "logging")
        },
        "globals": ("globals.yml",),
    }
)

MERGE_STRATEGIES = ("destructive", "soft")

#: The keys ``CONFIG_LOADER_ARGS`` accepts, with what each one means (used in errors).
KNOWN_ARGS: Mapping[str, str] = MappingProxyType(
    {
        "base_env": "name of the environment every run reads first (default 'base')",
        "default_run_env": "environment used when none is given (default 'local')",
        "config_patterns": "{key: [glob, ...]} added to or replacing the default patterns",
        "merge_strategy": "{key: 'destructive' | 'soft'} how an env overrides base",
        "strict_runtime_params": "True: runtime params that parameters does not declare fail",
        "custom_resolvers": "{name: callable} extra interpolation resolvers",
    }
)

SETTINGS_DECLARATION: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "CONF_SOURCE": {
            "type": str,
            "default": "conf",
            "doc": "Configuration folder (or archive), relative to the project root.",
        },
        "SECRET_KEY_PATTERN": {
            "type": str,
            "default": DEFAULT_SECRET_KEY_PATTERN,
            "doc": (
                "Regular expression: a runtime parameter whose key (split into lower-case "
                "words joined by '_') it matches is a secret, scrubbed by value from errors, "
                "records and logs. Default: whole words password, pass, token, secret, key, "
                "dsn, auth, credentials, private, ... (see docs/configuration.md)."
            ),
        },
        "CONFIG_LOADER_ARGS": {
            "type": dict,
            "default": {},
            "doc": "Options of the YAML config loader: " + ", ".join(KNOWN_ARGS) + ".",
        },
    }
)


def _fail(message: str) -> drupe.ConfigError:
    return drupe.ConfigError(f"CONFIG_LOADER_ARGS: {message}")


class LoaderOptions(NamedTuple):
    """The validated options of one loader."""

    base_env: str = "base"
    default_run_env: str = "local"
    config_patterns: Mapping[str, tuple[str, ...]] = DEFAULT_CONFIG_PATTERNS
    merge_strategy: Mapping[str, str] = MappingProxyType({})
    strict_runtime_params: bool = False
    custom_resolvers: Mapping[str, Callable[..., Any]] = MappingProxyType({})

    @classmethod
    def from_args(cls, args: Any) -> LoaderOptions:
        """Check ``CONFIG_LOADER_ARGS`` (a mapping or ``None``) and build the options."""
        if args is None:
            return cls()
        if not isinstance(args, Mapping):
            raise _fail(f"expected a dict, got {type(args).__name__}")
        for name in args:
            if name not in KNOWN_ARGS:
                import difflib  # error path only

                close = difflib.get_close_matches(str(name), list(KNOWN_ARGS), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                known = "; ".join(f"{k}: {v}" for k, v in KNOWN_ARGS.items())
                raise _fail(f"unknown option {name!r}{hint}; known options are {known}")
        base_env = _env_name(args, "base_env", "base")
        default_run_env = _env_name(args, "default_run_env", "local")
        patterns = dict(DEFAULT_CONFIG_PATTERNS)
        extra = args.get("config_patterns") or {}
        if not isinstance(extra, Mapping):
            raise _fail("config_patterns must be a dict of {key: [glob, ...]}")
        for key, globs in extra.items():
            if isinstance(globs, str) or not all(isinstance(g, str) and g for g in globs):
                raise _fail(f"config_patterns[{key!r}] must be a list of glob strings")
            patterns[str(key)] = tuple(globs)
        strategies = args.get("merge_strategy") or {}
        if not isinstance(strategies, Mapping):
            raise _fail("merge_strategy must be a dict of {key: 'destructive' | 'soft'}")
        for key, strategy in strategies.items():
            if strategy not in MERGE_STRATEGIES:
                raise _fail(f"merge_strategy[{key!r}] is {strategy!r}; use 'destructive' or 'soft'")
            if key not in patterns:
                raise _fail(
                    f"merge_strategy names unknown key {key!r}; known keys: "
                    f"{', '.join(sorted(patterns))}"
                )
        strict = args.get("strict_runtime_params", False)
        if not isinstance(strict, bool):
            raise _fail("strict_runtime_params must be True or False")
        resolvers = args.get("custom_resolvers") or {}
        if not isinstance(resolvers, Mapping) or not all(callable(fn) for fn in resolvers.values()):
            raise _fail("custom_resolvers must be a dict of {name: callable}")
        return cls(
            base_env=base_env,
            default_run_env=default_run_env,
            config_patterns=MappingProxyType(patterns),
            merge_strategy=MappingProxyType(dict(strategies)),
            strict_runtime_params=strict,
            custom_resolvers=MappingProxyType(dict(resolvers)),
        )

    def strategy_for(self, key: str) -> str:
        return self.merge_strategy.get(key, "destructive")


def _env_name(args: Mapping[str, Any], name: str, default: str) -> str:
    value = args.get(name, default)
    if not isinstance(value, str) or not value or "/" in value or value.startswith("."):
        raise _fail(f"{name} must be a folder name, got {value!r}")
    return value
