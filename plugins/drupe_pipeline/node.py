"""`node()` and `Node`: one function, the datasets it reads and the datasets it writes.

A node is a value: frozen, hashable, picklable when its function is, and
checked completely when it is defined, so a wrongly shaped node fails where
it is written (with its name) instead of in the middle of a run.

How a node's declaration maps onto its function:

* inputs ``None``: the function takes no arguments; ``"a"``: one positional
  argument; ``["a", "b"]``: positional arguments in that order;
  ``{"x": "a"}``: keyword argument ``x`` gets dataset ``a``.
* outputs ``None``: the return value is ignored; ``"c"``: the return value is
  dataset ``c``; ``["c", "d"]``: the returned tuple or list is unpacked;
  ``{"k": "c"}``: key ``k`` of the returned dict is dataset ``c``.
* ``"params:x.y"`` reads parameter ``x.y``; ``"parameters"`` reads them all.
* ``"df@pandas"`` is dataset ``df`` in its ``pandas`` form (transcoding): the
  pipeline treats every ``df@...`` as one dataset for ordering and selection,
  while the catalog loads and saves each form through its own entry.

Names and tags follow Kedro's rule (letters, digits, ``-``, ``_`` and ``.``)
so that a project moving between the two keeps working, and the command line
can always split them on commas.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from drupe.frozen import FrozenInstanceError
from drupe_pipeline.errors import PipelineError

#: How a node's return value becomes its outputs.
OutputKind = Literal["none", "single", "list", "dict"]

PARAMS_PREFIX = "params:"
ALL_PARAMETERS = "parameters"
TRANSCODING_SEPARATOR = "@"

# Kedro's charset for node names and tags: letters (any script), digits, "-", "_", ".".
_NAME_CHARS = re.compile(r"[\w.-]+")


def is_parameter(name: str) -> bool:
    """True for the datasets that carry parameters (``parameters``, ``params:...``)."""
    return name == ALL_PARAMETERS or name.startswith(PARAMS_PREFIX)


def strip_transcoding(name: str) -> str:
    """The dataset a transcoded name stands for: ``df@pandas`` -> ``df``."""
    if TRANSCODING_SEPARATOR not in name:
        return name
    return name.split(TRANSCODING_SEPARATOR, 1)[0]


def transcode_split(name: str) -> tuple[str, str]:
    """``df@pandas`` -> ``("df", "pandas")``; a plain name gets an empty format."""
    base, _, form = name.partition(TRANSCODING_SEPARATOR)
    return base, form


#: A node's fields, as `_validated_fields` returns them and `Node.__dict__` holds them.
FIELDS = (
    "func",
    "inputs",
    "outputs",
    "name",
    "tags",
    "namespace",
    "input_args",
    "output_kind",
    "output_keys",
    "given_name",
)


class Node:
    """One step of a pipeline: ``Node(func, inputs, outputs, name=..., tags=..., namespace=...)``.

    ``Node(...)`` and `node()` are the same call and validate the same way, so
    a Kedro habit (``Node(func=..., inputs=[...], ...)``) builds a checked node.

    Two nodes are equal when they have the same function, inputs, outputs and
    name; tags do not count. That is the identity ``+``, ``-``, ``&`` and ``|``
    of pipelines use: ``p - p.tag("x")`` is empty, as in Kedro.

    Attributes:
        func: the function to call.
        inputs: dataset names in binding order (``params:x`` and ``parameters`` allowed).
        outputs: dataset names.
        name: the full name, prefixed by the namespace: ``"ns.sub.node_name"``.
        tags: the node's tags.
        namespace: the dotted namespace, or ``None``.
        input_args: for keyword inputs, the argument name of each input (same
            order as ``inputs``); ``None`` when inputs bind positionally.
        output_kind: how the return value maps onto ``outputs``.
        output_keys: for dict outputs, the key of the returned dict for each output.
        given_name: the name given to `node()` without namespace, or ``None``
            when the name is derived from the function and datasets (a
            derived name follows renamed datasets in modular pipelines).
    """

    func: Callable[..., Any]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    name: str
    tags: frozenset[str]
    namespace: str | None
    input_args: tuple[str, ...] | None
    output_kind: OutputKind
    output_keys: tuple[str, ...] | None
    given_name: str | None

    __match_args__ = FIELDS

    def __init__(
        self,
        func: Callable[..., Any],
        inputs: str | list[str] | tuple[str, ...] | Mapping[str, str] | None,
        outputs: str | list[str] | tuple[str, ...] | Mapping[str, str] | None,
        *,
        name: str | None = None,
        tags: str | Iterable[str] | None = None,
        namespace: str | None = None,
    ) -> None:
        fields = _validated_fields(func, inputs, outputs, name=name, tags=tags, namespace=namespace)
        self.__dict__.update(fields)

    @classmethod
    def _from_fields(cls, **fields: Any) -> Node:
        """A node from already validated fields (copies made by `tagged`, `renamed`)."""
        made = cls.__new__(cls)
        made.__dict__.update(fields)
        return made

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"Node is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"Node is frozen: cannot delete {name!r}")

    def _identity(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.func,
            self.inputs,
            self.outputs,
            self.input_args,
            self.output_kind,
            self.output_keys,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        return self is other or self._identity() == other._identity()

    def __hash__(self) -> int:
        # The function is left out of the hash (a callable object may not be
        # hashable); equality still compares it. Pipelines hash nodes a lot, so
        # the hash is cached on the instance, and never pickled: string hashes
        # differ between processes.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.name, self.inputs, self.outputs))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_hash", None)
        return state

    def __repr__(self) -> str:
        return f"Node({self.name!r})"

    def __str__(self) -> str:
        return self.name

    @property
    def short_name(self) -> str:
        """The name without its namespace."""
        if self.namespace and self.name.startswith(self.namespace + "."):
            return self.name[len(self.namespace) + 1 :]
        return self.name

    @property
    def func_name(self) -> str:
        """A readable name for the node's function (``<lambda>`` for lambdas)."""
        return _func_name(self.func)

    def run(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``func`` with ``inputs`` bound and map its return value onto output names.

        ``inputs`` maps dataset names to loaded values. Exceptions raised by
        the function propagate unchanged (the runner wraps them); a return
        value that does not match the declared outputs raises `PipelineError`.
        """
        missing = [name for name in self.inputs if name not in inputs]
        if missing:
            raise PipelineError(
                f"Node {self.name!r} was run without its input(s) {_listing(missing)}."
            )
        if self.input_args is None:
            result = self.func(*[inputs[name] for name in self.inputs])
        else:
            result = self.func(
                **{
                    arg: inputs[name]
                    for arg, name in zip(self.input_args, self.inputs, strict=True)
                }
            )
        return self._map_outputs(result)

    def _map_outputs(self, result: Any) -> dict[str, Any]:
        kind = self.output_kind
        if kind == "none":
            return {}
        if kind == "single":
            return {self.outputs[0]: result}
        if kind == "list":
            if not isinstance(result, (list, tuple)):
                raise PipelineError(
                    f"Node {self.name!r} declares {len(self.outputs)} outputs "
                    f"{_listing(self.outputs)} but returned a {type(result).__name__}, "
                    "not a tuple or list: return one value per output."
                )
            if len(result) != len(self.outputs):
                raise PipelineError(
                    f"Node {self.name!r} declares {len(self.outputs)} outputs "
                    f"{_listing(self.outputs)} but returned {len(result)} values."
                )
            return dict(zip(self.outputs, result, strict=True))
        keys = self.output_keys or ()
        if not isinstance(result, Mapping):
            raise PipelineError(
                f"Node {self.name!r} declares dict outputs with keys {_listing(keys)} "
                f"but returned a {type(result).__name__}, not a dict."
            )
        absent = [key for key in keys if key not in result]
        extra = [str(key) for key in result if key not in keys]
        if absent or extra:
            problems = []
            if absent:
                problems.append(f"missing key(s) {_listing(absent)}")
            if extra:
                problems.append(f"unexpected key(s) {_listing(extra)}")
            raise PipelineError(
                f"Node {self.name!r} returned a dict with {' and '.join(problems)}; "
                f"its declared output keys are {_listing(keys)}."
            )
        return {name: result[key] for key, name in zip(keys, self.outputs, strict=True)}

    def tagged(self, tags: str | Iterable[str]) -> Node:
        """A copy of this node with ``tags`` added."""
        extra = _tags(tags, self.name)
        if extra <= self.tags:
            return self
        return Node._from_fields(**{**_fields_of(self), "tags": self.tags | extra})

    def renamed(
        self,
        rename: Callable[[str], str],
        *,
        namespace: str | None = None,
    ) -> Node:
        """A copy with every dataset renamed through ``rename`` and ``namespace`` prepended.

        Used by `drupe_pipeline.modular.pipeline`; the shape (positional or
        keyword inputs, kind of outputs) is kept. The result is validated again.
        """
        new_namespace = self.namespace
        if namespace:
            new_namespace = f"{namespace}.{self.namespace}" if self.namespace else namespace
        inputs: list[str] | dict[str, str] | None
        if self.input_args is not None:
            inputs = {
                arg: rename(name) for arg, name in zip(self.input_args, self.inputs, strict=True)
            }
        elif self.inputs:
            inputs = [rename(name) for name in self.inputs]
        else:
            inputs = None
        outputs: str | list[str] | dict[str, str] | None
        if self.output_kind == "none":
            outputs = None
        elif self.output_kind == "single":
            outputs = rename(self.outputs[0])
        elif self.output_kind == "list":
            outputs = [rename(name) for name in self.outputs]
        else:
            outputs = {
                key: rename(name)
                for key, name in zip(self.output_keys or (), self.outputs, strict=True)
            }
        return Node._from_fields(
            **_validated_fields(
                self.func,
                inputs,
                outputs,
                name=self.given_name,
                tags=self.tags,
                namespace=new_namespace,
                check_signature=False,
            )
        )


def node(
    func: Callable[..., Any],
    inputs: str | list[str] | tuple[str, ...] | Mapping[str, str] | None,
    outputs: str | list[str] | tuple[str, ...] | Mapping[str, str] | None,
    *,
    name: str | None = None,
    tags: str | Iterable[str] | None = None,
    namespace: str | None = None,
) -> Node:
    """Define a node: ``func`` reads ``inputs`` and writes ``outputs``.

    Args:
        func: any callable; its signature must accept the inputs as declared.
        inputs: ``None``, a dataset name, a list of names (positional
            arguments) or a dict ``{argument: dataset}`` (keyword arguments).
        outputs: ``None``, a dataset name, a list of names (the returned
            tuple/list is unpacked) or a dict ``{returned key: dataset}``.
        name: the node's name; derived from the function and datasets when
            omitted (give one: derived names are long and change with the datasets).
        tags: a tag or tags, used to select nodes (``drupe run --tags``).
        namespace: a dotted namespace; the node's full name becomes
            ``namespace.name``. Dataset names are not changed (use
            `drupe_pipeline.modular.pipeline` to namespace datasets).

    Raises:
        PipelineError: the declaration is malformed; the message names the node.
    """
    return Node(func, inputs, outputs, name=name, tags=tags, namespace=namespace)


def _fields_of(n: Node) -> dict[str, Any]:
    return {name: n.__dict__[name] for name in FIELDS}


def _validated_fields(
    func: Callable[..., Any],
    inputs: Any,
    outputs: Any,
    *,
    name: str | None,
    tags: Any,
    namespace: str | None,
    check_signature: bool = True,
) -> dict[str, Any]:
    label = _label(func, name, namespace)
    if not callable(func):
        raise PipelineError(
            f"Node {label}: the first argument must be a function, got {type(func).__name__}."
        )
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise PipelineError(f"Node {label}: name must be a non-empty string, got {name!r}.")
    if name is not None and not _NAME_CHARS.fullmatch(name):
        raise PipelineError(
            f"Node {label}: name {name!r} may contain only letters, digits, '-', '_' and '.'; "
            f"e.g. {_suggest(name)!r}."
        )
    if namespace is not None and (
        not isinstance(namespace, str) or not all(part for part in namespace.split("."))
    ):
        raise PipelineError(
            f"Node {label}: namespace must be a dotted name like 'a.b', got {namespace!r}."
        )

    input_names, input_args = _parse_inputs(inputs, label)
    output_names, output_kind, output_keys = _parse_outputs(outputs, label)
    if not input_names and not output_names:
        raise PipelineError(
            f"Node {label} has neither inputs nor outputs: a node must read or write "
            "at least one dataset (a function run for its side effects can read a parameter)."
        )

    duplicates = sorted({o for o in output_names if output_names.count(o) > 1})
    if duplicates:
        raise PipelineError(f"Node {label} declares output(s) {_listing(duplicates)} twice.")
    both = sorted(
        {strip_transcoding(o) for o in output_names} & {strip_transcoding(i) for i in input_names}
    )
    if both:
        raise PipelineError(
            f"Node {label} has {_listing(both)} as both input and output (transcoded forms "
            "such as 'df@pandas' count as 'df'): a node cannot overwrite what it reads; "
            "give the output another name."
        )
    params_out = [o for o in output_names if is_parameter(o)]
    if params_out:
        raise PipelineError(
            f"Node {label} declares parameter output(s) {_listing(params_out)}: "
            "parameters are read-only; give the output another name."
        )

    base = name if name is not None else _derived_name(func, input_names, output_names)
    full_name = f"{namespace}.{base}" if namespace else base
    label = repr(full_name)
    if check_signature:
        _check_binds(func, input_names, input_args, label)
    return dict(
        func=func,
        inputs=input_names,
        outputs=output_names,
        name=full_name,
        tags=_tags(tags, full_name),
        namespace=namespace or None,
        input_args=input_args,
        output_kind=output_kind,
        output_keys=output_keys,
        given_name=name,
    )


def _parse_inputs(inputs: Any, label: str) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    if inputs is None:
        return (), None
    if isinstance(inputs, str):
        return (_dataset_name(inputs, label, "input"),), None
    if isinstance(inputs, Mapping):
        args, names = [], []
        for arg, dataset in inputs.items():
            if not isinstance(arg, str) or not arg.isidentifier():
                raise PipelineError(
                    f"Node {label}: keyword input {arg!r} is not a valid argument name."
                )
            args.append(arg)
            names.append(_dataset_name(dataset, label, "input"))
        return tuple(names), tuple(args)
    if isinstance(inputs, (list, tuple)):
        return tuple(_dataset_name(item, label, "input") for item in inputs), None
    raise PipelineError(
        f"Node {label}: inputs must be None, a dataset name, a list of names or a dict "
        f"{{argument: dataset}}, got {type(inputs).__name__}."
    )


def _parse_outputs(
    outputs: Any, label: str
) -> tuple[tuple[str, ...], OutputKind, tuple[str, ...] | None]:
    if outputs is None:
        return (), "none", None
    if isinstance(outputs, str):
        return (_dataset_name(outputs, label, "output"),), "single", None
    if isinstance(outputs, Mapping):
        keys, names = [], []
        for key, dataset in outputs.items():
            if not isinstance(key, str):
                raise PipelineError(f"Node {label}: output key {key!r} must be a string.")
            keys.append(key)
            names.append(_dataset_name(dataset, label, "output"))
        return tuple(names), "dict", tuple(keys)
    if isinstance(outputs, (list, tuple)):
        return tuple(_dataset_name(item, label, "output") for item in outputs), "list", None
    raise PipelineError(
        f"Node {label}: outputs must be None, a dataset name, a list of names or a dict "
        f"{{returned key: dataset}}, got {type(outputs).__name__}."
    )


def _dataset_name(value: Any, label: str, role: str) -> str:
    if not isinstance(value, str):
        raise PipelineError(
            f"Node {label}: {role} names must be strings, got {value!r} ({type(value).__name__})."
        )
    if not value.strip() or value != value.strip():
        raise PipelineError(
            f"Node {label}: {role} name {value!r} is empty or has surrounding spaces."
        )
    if value.startswith(PARAMS_PREFIX) and len(value) == len(PARAMS_PREFIX):
        raise PipelineError(f"Node {label}: {role} {value!r} names no parameter.")
    if TRANSCODING_SEPARATOR in value and not is_parameter(value):
        parts = value.split(TRANSCODING_SEPARATOR)
        if len(parts) != 2 or not all(parts):
            raise PipelineError(
                f"Node {label}: {role} {value!r} is not a valid transcoded name: write "
                "exactly one '@' between the dataset and its format, like 'df@pandas'."
            )
    return value


def _tags(tags: Any, label: str) -> frozenset[str]:
    if tags is None:
        return frozenset()
    if isinstance(tags, str):
        tags = [tags]
    elif not isinstance(tags, Iterable):
        raise PipelineError(
            f"Node {label!r}: tags must be a string or a list of strings, "
            f"got {type(tags).__name__}."
        )
    result = set()
    for tag in tags:
        if not isinstance(tag, str) or not _NAME_CHARS.fullmatch(tag):
            raise PipelineError(
                f"Node {label!r}: tag {tag!r} may contain only letters, digits, '-', '_' "
                f"and '.'" + (f"; e.g. {_suggest(tag)!r}." if isinstance(tag, str) else ".")
            )
        result.add(tag)
    return frozenset(result)


def _suggest(text: str) -> str:
    """A valid name close to ``text``: every other character becomes ``_``."""
    return re.sub(r"[^\w.-]", "_", text.strip()) or "name"


def _check_binds(
    func: Callable[..., Any],
    names: tuple[str, ...],
    args: tuple[str, ...] | None,
    label: str,
) -> None:
    """Fail now if calling ``func`` with these inputs would fail with a TypeError."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # some builtins have no introspectable signature
        return
    try:
        if args is None:
            signature.bind(*names)
        else:
            signature.bind(**dict.fromkeys(args))
    except TypeError as exc:
        if args is None:
            given = f"{len(names)} positional input(s) {_listing(names)}"
        else:
            given = f"keyword input(s) {_listing(args)}"
        raise PipelineError(
            f"Node {label}: {_func_name(func)}{signature} cannot take {given}: {exc}."
        ) from None


def _func_name(func: Any) -> str:
    while isinstance(func, functools.partial):
        func = func.func
    name = getattr(func, "__name__", None)
    if isinstance(name, str):
        return name
    return type(func).__name__


def _derived_name(func: Any, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> str:
    # ";" separates names because the command line splits --nodes on commas.
    return f"{_func_name(func)}([{';'.join(inputs)}]) -> [{';'.join(outputs)}]"


def _label(func: Any, name: Any, namespace: Any) -> str:
    base = name if isinstance(name, str) and name else _func_name(func)
    if isinstance(namespace, str) and namespace:
        base = f"{namespace}.{base}"
    return repr(base)


def _listing(names: Iterable[Any]) -> str:
    return ", ".join(repr(str(n)) for n in names)
