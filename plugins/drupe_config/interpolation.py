"""``${...}`` interpolation of one key's configuration, lazily by path, memoized.

Forms:

* ``${a.b}`` (or ``${a.0}`` into a list): another value of the same key;
* ``${globals:a.b, default}``: a value of the ``globals`` key;
* ``${runtime_params:a.b, default}``: a runtime parameter of this loader;
* ``${env:VAR, default}``: an environment variable, only inside ``credentials``;
* ``${name:arg, ...}``: a resolver a plugin contributed (``config_resolvers``).

A string that is exactly one interpolation takes the value's type; otherwise
the pieces are joined as text. ``\\${`` writes a literal ``${``. Resolution
records which paths each interpolated value read, so a loader derived with
other runtime parameters re-resolves only what those parameters touch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

import drupe
from drupe.scalars import scalar
from drupe_config.merging import Path, dotted

BUILTIN_RESOLVERS = ("globals", "runtime_params", "env")


class Verbatim:
    """A runtime-parameter value placed in the tree: used as given, never interpolated."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Scope(Protocol):
    """What a resolution may read besides its own tree (the loader provides it)."""

    @property
    def runtime_params(self) -> Mapping[str, Any]: ...

    @property
    def resolvers(self) -> Mapping[str, Callable[..., Any]]: ...

    def resolved_globals(self) -> Mapping[str, Any]: ...


class Resolved(NamedTuple):
    """A resolved tree and what its interpolations read."""

    value: dict[str, Any]
    refs: Mapping[Path, frozenset[Path]]
    runtime_leaves: frozenset[Path]
    globals_leaves: frozenset[Path]


# -- parsing ---------------------------------------------------------------


class Interp(NamedTuple):
    """One ``${...}``: a reference (``resolver`` is None) or a resolver call."""

    resolver: str | None
    args: tuple[Any, ...]  # str (already typed) or a Template for nested interpolation
    text: str


class Template(NamedTuple):
    """A string split into literal text and `Interp` pieces."""

    pieces: tuple[str | Interp, ...]


_PARSE_CACHE: dict[str, Template] = {}  # pure function of the text: a cache, not state


def parse_template(text: str) -> Template:
    cached = _PARSE_CACHE.get(text)
    if cached is None:
        pieces, _ = _parse(text, 0, nested=False)
        cached = Template(tuple(pieces))
        if len(_PARSE_CACHE) < 100_000:
            _PARSE_CACHE[text] = cached
    return cached


class _SyntaxProblem(Exception):
    pass


def _parse(text: str, i: int, nested: bool) -> tuple[list[str | Interp], int]:
    pieces: list[str | Interp] = []
    literal: list[str] = []
    while i < len(text):
        if text.startswith("\\${", i):
            literal.append("${")
            i += 3
        elif text.startswith("${", i):
            if literal:
                pieces.append("".join(literal))
                literal = []
            interp, i = _parse_interp(text, i + 2)
            pieces.append(interp)
        elif nested and text[i] in ",}":
            break
        else:
            literal.append(text[i])
            i += 1
    if literal:
        pieces.append("".join(literal))
    return pieces, i


def _parse_interp(text: str, start: int) -> tuple[Interp, int]:
    i = start
    while i < len(text) and text[i] not in ":}$,":
        i += 1
    head = text[start:i].strip()
    if i >= len(text):
        raise _SyntaxProblem(f"'${{{text[start:]}' is not closed with '}}'")
    if text[i] == "}":
        if not head:
            raise _SyntaxProblem("'${}' names nothing")
        return Interp(None, (head,), text[start - 2 : i + 1]), i + 1
    if text[i] != ":" or not head.replace("_", "a").replace(".", "a").isalnum():
        raise _SyntaxProblem(f"cannot read the interpolation starting at '${{{text[start:]}'")
    i += 1
    args: list[Any] = []
    while True:
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] in "'\"":
            quote = text[i]
            end = text.find(quote, i + 1)
            if end == -1:
                raise _SyntaxProblem(f"unterminated {quote} in '{text}'")
            args.append(text[i + 1 : end])
            i = end + 1
            while i < len(text) and text[i] == " ":
                i += 1
        else:
            pieces, i = _parse(text, i, nested=True)
            if (len(pieces) == 1 and isinstance(pieces[0], str)) or not pieces:
                raw = (pieces[0] if pieces else "").strip()  # type: ignore[union-attr]
                args.append(scalar(raw) if raw else "")
            else:
                if pieces and isinstance(pieces[0], str):
                    pieces[0] = pieces[0].lstrip()
                if pieces and isinstance(pieces[-1], str):
                    pieces[-1] = pieces[-1].rstrip()
                args.append(Template(tuple(p for p in pieces if p != "")))
        if i >= len(text):
            raise _SyntaxProblem(f"'${{{text[start:]}' is not closed with '}}'")
        if text[i] == "}":
            return Interp(head, tuple(args), text[start - 2 : i + 1]), i + 1
        if text[i] != ",":
            raise _SyntaxProblem(f"cannot read the interpolation starting at '${{{text[start:]}'")
        i += 1


# -- resolving -------------------------------------------------------------


_ABSENT = object()


class Resolution:
    """Resolves the tree of one key; create one per resolution (it is not thread-safe)."""

    def __init__(
        self, key: str, tree: Mapping[str, Any], origin: Mapping[str, str], scope: Scope
    ) -> None:
        self.key = key
        self.tree = tree
        self.origin = origin
        self.scope = scope
        self.memo: dict[Path, Any] = {}
        self.active: list[Path] = []
        self.refs: dict[Path, set[Path]] = {}
        self.runtime_leaves: set[Path] = set()
        self.globals_leaves: set[Path] = set()
        self._plain: dict[int, bool] = {}  # container id -> nothing inside needs resolving

    # public -------------------------------------------------------------

    def resolve_all(self) -> Resolved:
        value = self.node(self.tree, ())
        return self.result(value)

    def result(self, value: dict[str, Any]) -> Resolved:
        return Resolved(
            value=value,
            refs={k: frozenset(v) for k, v in self.refs.items()},
            runtime_leaves=frozenset(self.runtime_leaves),
            globals_leaves=frozenset(self.globals_leaves),
        )

    def resolve_path(self, path: Path) -> Any:
        """The resolved value at ``path`` (which must exist in the tree)."""
        found, raw = self._raw_at(path)
        if not found:
            raise KeyError(path)
        return self.node(raw, path)

    # tree walk ------------------------------------------------------------

    def node(self, value: Any, path: Path) -> Any:
        if isinstance(value, str):
            return self._string(value, path) if "${" in value else value
        if isinstance(value, (dict, list)) and _is_plain(value, self._plain):
            return value  # shared (aliased) plain branches cost one look, not one per alias
        if isinstance(value, dict):
            out: dict[Any, Any] | None = None
            for key, child in value.items():
                new = self.node(child, (*path, key))
                if new is not child:
                    if out is None:
                        out = dict(value)
                    out[key] = new
            return value if out is None else out
        if isinstance(value, list):
            items: list[Any] | None = None
            for index, child in enumerate(value):
                new = self.node(child, (*path, index))
                if new is not child:
                    if items is None:
                        items = list(value)
                    items[index] = new
            return value if items is None else items
        if isinstance(value, Verbatim):
            return value.value
        return value

    def _string(self, text: str, path: Path) -> Any:
        cached = self.memo.get(path, _ABSENT)
        if cached is not _ABSENT:
            return cached
        if path in self.active:
            chain = [*self.active[self.active.index(path) :], path]
            raise self._error(
                path,
                "interpolation cycle "
                + " -> ".join(self._name(p) for p in chain)
                + "; break the loop",
            )
        try:
            template = parse_template(text)
        except _SyntaxProblem as exc:
            raise self._error(path, f"bad interpolation {text!r}: {exc}") from None
        self.active.append(path)
        self.refs.setdefault(path, set())
        try:
            value = self._template(template, path)
        finally:
            self.active.pop()
        self.memo[path] = value
        return value

    def _template(self, template: Template, leaf: Path) -> Any:
        pieces = template.pieces
        if len(pieces) == 1 and isinstance(pieces[0], Interp):
            return self._interp(pieces[0], leaf)
        out: list[str] = []
        for piece in pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            value = self._interp(piece, leaf)
            if isinstance(value, (dict, list)):
                raise self._error(
                    leaf,
                    f"{piece.text} is a {type(value).__name__} and cannot be part of a "
                    f"longer string; make the interpolation the whole value",
                )
            out.append(str(value))
        return "".join(out)

    def _interp(self, interp: Interp, leaf: Path) -> Any:
        args = [self._template(a, leaf) if isinstance(a, Template) else a for a in interp.args]
        if interp.resolver is None:
            return self._reference(str(args[0]), interp, leaf)
        return self._call(interp.resolver, args, interp, leaf)

    def _reference(self, target: str, interp: Interp, leaf: Path) -> Any:
        parts = target.split(".")
        if not all(parts):
            raise self._error(leaf, f"{interp.text} is not a dotted key like 'a.b'")
        path: Path = ()
        node: Any = self.tree
        resolved = False  # True once node came out of a resolution: never interpolate it again
        for part in parts:
            key: Any = part
            if isinstance(node, list):
                if not part.isdigit():
                    node = _ABSENT
                    break
                key = int(part)
            path = (*path, key)
            if isinstance(node, Verbatim):
                node, resolved = node.value, True
            found, node = _child(node, key)
            if not found:
                node = _ABSENT
                break
            if resolved:
                continue
            if isinstance(node, str) and "${" in node:
                node, resolved = self._string(node, path), True
            elif isinstance(node, Verbatim):
                node, resolved = node.value, True
        if node is _ABSENT:
            raise self._error(
                leaf,
                f"{interp.text}: key {target!r} is not defined in {self.key}; define it "
                f"or fix the reference",
            )
        for active in self.active:
            self.refs[active].add(path)
        return node if resolved else self.node(node, path)

    def _call(self, name: str, args: list[Any], interp: Interp, leaf: Path) -> Any:
        if name == "globals":
            if self.key == "globals":
                raise self._error(
                    leaf, f"{interp.text}: inside globals, refer to a value with ${{a.b}}"
                )
            for active in self.active:
                self.globals_leaves.add(active)
            return self._lookup(self.scope.resolved_globals(), args, interp, leaf, "globals")
        if name == "runtime_params":
            for active in self.active:
                self.runtime_leaves.add(active)
            return self._lookup(
                self.scope.runtime_params, args, interp, leaf, "the runtime parameters"
            )
        if name == "env":
            if self.key != "credentials":
                raise self._error(
                    leaf,
                    f"{interp.text}: the env resolver is only allowed in credentials; "
                    f"move the secret to a credentials file",
                )
            if not 1 <= len(args) <= 2:
                raise self._error(leaf, f"{interp.text}: use ${{env:VAR}} or ${{env:VAR, default}}")
            value = os.environ.get(str(args[0]))
            if value is not None:
                return value
            if len(args) == 2:
                return None if args[1] is None else str(args[1])
            raise self._error(
                leaf,
                f"{interp.text}: environment variable {args[0]!r} is not set; set it or "
                f"give a default",
            )
        function = self.scope.resolvers.get(name)
        if function is None:
            known = ", ".join(sorted({*BUILTIN_RESOLVERS, *self.scope.resolvers}))
            raise self._error(
                leaf, f"{interp.text}: unknown resolver {name!r}; known resolvers: {known}"
            )
        try:
            return function(*args)
        except drupe.DrupeError:
            raise
        except Exception as exc:
            raise self._error(
                leaf, f"{interp.text}: resolver {name!r} failed: {type(exc).__name__}: {exc}"
            ) from exc

    def _lookup(
        self, source: Mapping[str, Any], args: list[Any], interp: Interp, leaf: Path, what: str
    ) -> Any:
        if not 1 <= len(args) <= 2 or not isinstance(args[0], str) or not args[0]:
            raise self._error(leaf, f"{interp.text}: give a dotted key and optionally a default")
        node: Any = source
        for part in args[0].split("."):
            key: Any = part
            if isinstance(node, list) and part.isdigit():
                key = int(part)
            found, node = _child(node, key)
            if not found:
                if len(args) == 2:
                    return args[1]
                raise self._error(
                    leaf,
                    f"{interp.text}: key {args[0]!r} is not in {what}; define it or give a default",
                )
        return node

    # helpers --------------------------------------------------------------

    def _raw_at(self, path: Path) -> tuple[bool, Any]:
        node: Any = self.tree
        for part in path:
            if isinstance(node, Verbatim):
                node = node.value
            found, node = _child(node, part)
            if not found:
                return False, None
        return True, node

    def _name(self, path: Path) -> str:
        return f"{self.key}:{dotted(path)}"

    def _error(self, path: Path, message: str) -> drupe.ConfigError:
        where = self.origin.get(path[0]) if path else None
        location = f"{self.key} key {dotted(path)!r}" + (f" ({where})" if where else "")
        return drupe.ConfigError(f"{location}: {message}")


def _is_plain(value: Any, memo: dict[int, bool]) -> bool:
    """True when nothing inside ``value`` is interpolated or a `Verbatim` (memoized by identity)."""
    if isinstance(value, str):
        return "${" not in value
    if isinstance(value, Verbatim):
        return False
    if not isinstance(value, (dict, list)):
        return True
    known = memo.get(id(value))
    if known is None:
        items = value.values() if isinstance(value, dict) else value
        known = all(_is_plain(item, memo) for item in items)
        memo[id(value)] = known
    return known


def _child(node: Any, key: Any) -> tuple[bool, Any]:
    if isinstance(node, Verbatim):
        node = node.value
    if isinstance(node, Mapping):
        if key in node:
            return True, node[key]
        return False, None
    if isinstance(node, list) and isinstance(key, int) and not isinstance(key, bool):
        return (True, node[key]) if 0 <= key < len(node) else (False, None)
    return False, None
