"""Which files belong to which key: glob patterns matched against paths inside an env folder.

``*`` and ``?`` never cross a ``/``; a ``**`` segment matches any number of
folders (zero included), so ``**/parameters*`` finds ``parameters.yml`` at
any depth and ``parameters*/**`` every file under a ``parameters*`` folder.
Only ``.yml``, ``.yaml`` and ``.json`` files are read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

EXTENSIONS = (".yml", ".yaml", ".json")


def _segment(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        i += 1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = segment.find("]", i + 1 if i < len(segment) and segment[i] == "!" else i)
            if end == -1:
                out.append(re.escape(char))
                continue
            body = segment[i:end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(char))
    return "".join(out)


def _glob_regex(pattern: str) -> str:
    segments = [s for s in pattern.strip("/").split("/") if s]
    parts: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".+" if last else "(?:[^/]+/)*")
        else:
            parts.append(_segment(segment) + ("" if last else "/"))
    return "".join(parts) + r"\Z"


@functools.lru_cache(maxsize=256)
def compile_globs(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex matching a path that any of ``patterns`` matches.

    A key has a few patterns (``parameters*``, ``parameters*/**``,
    ``**/parameters*``): one regex for all of them is compiled in a third of
    the time, and a start-up compiles one per key.
    """
    return re.compile("|".join(f"(?:{_glob_regex(p)})" for p in patterns))


def matching_files(files: Iterable[str], patterns: Iterable[str]) -> list[str]:
    """The config files (by extension) among ``files`` that match any of ``patterns``."""
    return list(_matching(tuple(files), tuple(patterns)))


@functools.lru_cache(maxsize=512)
def _matching(files: tuple[str, ...], patterns: tuple[str, ...]) -> tuple[str, ...]:
    # A pure function of its arguments, and every session asks the same
    # questions of the same listing (4 keys x 2 envs): matching each file
    # against each glob again was a tenth of a session.
    if not patterns:
        return ()
    regex = compile_globs(patterns)
    return tuple(path for path in files if path.lower().endswith(EXTENSIONS) and regex.match(path))
