"""Containment: a dataset reads and writes inside the project, or where its entry says.

A catalog entry's path may be built by interpolation, from globals or from
the run's runtime parameters, and runtime parameters come from whoever
calls the run: a ``drupe run --params`` line, a Python caller, an HTTP
client of ``drupe serve``. ``filepath: data/${runtime_params:folder}/x.json``
with ``folder = "../../../../etc"`` must not write outside the project, and
a pickle whose path a caller chooses is a way to run that caller's code. So,
for every dataset the catalog builds (every runner, every entry point,
because this is the one place a dataset path is resolved):

* a local path is made absolute (relative paths against the project root),
  resolved through symlinks, and must lie inside the project root or inside
  one of the folders the entry lists under ``allowed_roots``;
* a URL (``s3://...``) that runtime parameters changed must start with one of
  the entry's ``allowed_roots``; a URL written in the configuration alone
  names its location explicitly and is kept as it is;
* a pickle-family dataset (`unsafe_to_load` set on its class, or a class
  name saying pickle, joblib, dill or cloudpickle) refuses a path, or a
  type, that runtime parameters built.

Which keys runtime parameters built is told by the catalog (it compares the
entry with the same entry resolved without runtime parameters); this module
only applies the rules. ``allowed_roots`` is read from that runtime-free
entry, so a caller can never widen it.

Every refusal is a `ContainmentError` raised before the dataset exists, so
before any read or write; it names the entry and the resolved path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from drupe_pipeline.datasets import DatasetError

#: Entry keys holding a dataset's location.
PATH_KEYS = ("filepath", "path")
#: The reserved entry key listing folders (or URL prefixes) allowed besides the project.
ALLOWED_ROOTS_KEY = "allowed_roots"
#: What a key is said to be built from when the catalog cannot tell (see `contain`).
UNKNOWN = "?"

# Patterns as text: re compiles (and caches) them on first use, which most runs never reach.
_URL = r"^[A-Za-z][A-Za-z0-9+.-]*://"
_PICKLE_FAMILY = r"(?i)pickle|joblib|dill"


class ContainmentError(DatasetError):
    """A dataset path resolves outside the places its catalog entry may use.

    ``entry`` is the catalog entry, ``path`` the resolved path, ``field`` the
    input at fault: ``"runtime_params"`` when runtime parameters built the
    path (the caller's mistake: exit status 2, a 422 over HTTP), else
    ``"catalog"`` (the configuration's).
    """

    def __init__(self, message: str, *, entry: str, path: str, field: str) -> None:
        super().__init__(message)
        self.field = field
        self.entry = entry
        self.path = path
        self.exit_code = 2 if field == "runtime_params" else 1


def is_pickle_family(cls: type) -> bool:
    """Whether loading this dataset class may execute code stored in the data."""
    flag = getattr(cls, "unsafe_to_load", None)
    if flag is not None:
        return bool(flag)
    return any(re.search(_PICKLE_FAMILY, klass.__name__) for klass in cls.__mro__)


def contain(
    entry: str,
    kwargs: Mapping[str, Any],
    *,
    keys: Iterable[str] = PATH_KEYS,
    dataset_class: type,
    root: Path | None,
    allowed_roots: Any,
    steered: Collection[str],
) -> dict[str, Any]:
    """The entry's path values, resolved and checked; `ContainmentError` when one may not be used.

    Args:
        entry: the catalog entry's name (for the message).
        kwargs: the arguments the dataset will get (paths as the catalog resolved them).
        keys: the keys of ``kwargs`` that hold the dataset's location.
        dataset_class: the dataset's class (pickle-family rule).
        root: the project root; ``None`` (no project) skips the inside-the-project rule.
        allowed_roots: the runtime-free entry's ``allowed_roots`` (a path or a list).
        steered: the entry keys whose values runtime parameters changed
            (`UNKNOWN` in it: the catalog cannot tell, so every key counts).

    Returns:
        ``{key: value}`` for each path key present: local paths as absolute `Path`
        (relative ones joined to ``root``), URLs unchanged.
    """
    allowed = _allowed(entry, allowed_roots, root)
    unknown = UNKNOWN in steered
    resolved: dict[str, Any] = {}
    for key in keys:
        if key not in kwargs or kwargs[key] is None:
            continue
        from_params = unknown or key in steered
        value = kwargs[key]
        if from_params and is_pickle_family(dataset_class):
            raise ContainmentError(
                f"catalog entry {entry!r}: {dataset_class.__name__} loads code, and its {key} "
                f"{value!s} was built from runtime parameters; write the path in the catalog "
                f"(loading a pickle a caller chose would run that caller's code)",
                entry=entry,
                path=str(value),
                field="runtime_params",
            )
        if isinstance(value, str) and re.match(_URL, value) and not value.startswith("file://"):
            resolved[key] = _contain_url(entry, key, value, allowed, from_params)
        else:
            resolved[key] = _contain_local(entry, key, value, root, allowed, from_params)
    if ("type" in steered or unknown) and is_pickle_family(dataset_class) and not resolved:
        raise ContainmentError(
            f"catalog entry {entry!r}: its type {dataset_class.__name__} was chosen by "
            f"runtime parameters, and it loads code; name the type in the catalog",
            entry=entry,
            path="",
            field="runtime_params",
        )
    return resolved


def _allowed(entry: str, value: Any, root: Path | None) -> list[str]:
    if value is None:
        return []
    items: Iterable[Any] = [value] if isinstance(value, (str, os.PathLike)) else value
    if not isinstance(items, Iterable) or isinstance(items, Mapping):
        raise DatasetError(
            f"catalog entry {entry!r}: {ALLOWED_ROOTS_KEY} must be a folder or a list of "
            f"folders, not {type(value).__name__}"
        )
    out: list[str] = []
    for item in items:
        text = str(item)
        if not text:
            continue
        if re.match(_URL, text) and not text.startswith("file://"):
            out.append(text)
            continue
        path = Path(text.removeprefix("file://")).expanduser()
        if not path.is_absolute():
            if root is None:
                continue
            path = root / path
        out.append(os.path.realpath(path))
    return out


def _contain_local(
    entry: str, key: str, value: Any, root: Path | None, allowed: list[str], from_params: bool
) -> Path:
    text = str(value).removeprefix("file://")
    path = Path(text).expanduser()
    if root is None and not from_params:
        return path  # no project: nothing to stay inside of; relative to the working folder
    if not path.is_absolute():
        path = (root if root is not None else Path.cwd()) / path
    path = Path(os.path.normpath(path))
    real = os.path.realpath(path)
    places = [os.path.realpath(root)] if root is not None else []
    places += [place for place in allowed if not re.match(_URL, place)]
    if any(_inside(real, place) for place in places):
        return path
    where = "the project" if root is not None else "any allowed root"
    if allowed:
        where += " or " + ", ".join(allowed)
    source = "runtime parameters" if from_params else "the catalog configuration"
    raise ContainmentError(
        f"catalog entry {entry!r}: {key} resolves to {real}, outside {where} (built from "
        f"{source}); keep it inside the project, or list its folder under "
        f"{ALLOWED_ROOTS_KEY} in the entry",
        entry=entry,
        path=real,
        field="runtime_params" if from_params else "catalog",
    )


def _contain_url(entry: str, key: str, url: str, allowed: list[str], from_params: bool) -> str:
    if not from_params:
        return url
    scheme, _, rest = url.partition("://")
    normal = f"{scheme}://{_normalise(rest)}"
    for place in allowed:
        if not re.match(_URL, place):
            continue
        p_scheme, _, p_rest = place.partition("://")
        prefix = f"{p_scheme}://{_normalise(p_rest)}"
        if p_scheme == scheme and (normal == prefix or normal.startswith(prefix.rstrip("/") + "/")):
            return url
    raise ContainmentError(
        f"catalog entry {entry!r}: {key} {normal} was built from runtime parameters and is "
        f"under none of the entry's {ALLOWED_ROOTS_KEY}; list the URL prefix there",
        entry=entry,
        path=normal,
        field="runtime_params",
    )


def _normalise(rest: str) -> str:
    """``bucket/a/../b`` -> ``bucket/b`` (a ``..`` never climbs above the bucket)."""
    parts: list[str] = []
    for part in rest.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if len(parts) > 1:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
