"""`Pipeline`: an immutable set of nodes, ordered by the data that flows between them.

A pipeline is validated once, when it is built: no two nodes share a name
(listing one node twice is a mistake too, as in Kedro), no dataset is written
by two nodes, a transcoded dataset (``df@pandas``) is never also named plainly
(``df``), and no chain of nodes feeds itself. After that it never changes;
operators and filters return new pipelines.

Transcoding: ``df@pandas`` and ``df@spark`` are one dataset ``df`` for
dependencies, ordering, free inputs/outputs and selection by dataset; the
names themselves are kept, so the catalog loads and saves each form through
its own entry.

Operators (``+``, ``|``, ``-``, ``&``) compare nodes by function, inputs,
outputs and name (not tags), as Kedro does.

Order is deterministic: nodes are grouped in topological layers (a node sits
one layer below the deepest node it reads from) and each layer is sorted by
node name, so the same nodes always run in the same order, whatever order
they were listed in.

Filters follow Kedro's semantics, and `Pipeline.filter` combines them with
AND; an empty result is an error that says which filter emptied it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from drupe_pipeline.errors import (
    PipelineError,
    SelectionError,
    close_matches,
    did_you_mean,
    listing,
)
from drupe_pipeline.node import TRANSCODING_SEPARATOR, Node, is_parameter, strip_transcoding


class Pipeline:
    """An immutable, validated, topologically ordered collection of nodes.

    Args:
        nodes: nodes and/or pipelines (whose nodes are taken).
        tags: tags added to every node.
        namespace, inputs, outputs, parameters: as for
            `drupe_pipeline.modular.pipeline` (Kedro 1.x accepts them here
            too); given, the result is that modular pipeline.

    Raises:
        PipelineError: two nodes share a name (or one node is listed twice:
            combine pipelines with ``+`` to merge shared nodes), a dataset is
            the output of two nodes, a transcoded dataset is also used without
            ``@``, or the nodes form a cycle.
    """

    __slots__ = ("_all_inputs", "_all_outputs", "_consumers", "_deps", "_layers", "_nodes")

    _nodes: tuple[Node, ...]
    _layers: tuple[tuple[Node, ...], ...]
    _deps: dict[Node, frozenset[Node]]
    _consumers: dict[str, tuple[Node, ...]]
    _all_inputs: frozenset[str]
    _all_outputs: frozenset[str]

    def __init__(
        self,
        nodes: Iterable[Node | Pipeline],
        *,
        tags: str | Iterable[str] | None = None,
        namespace: str | None = None,
        inputs: Any = None,
        outputs: Any = None,
        parameters: Any = None,
    ) -> None:
        if namespace is not None or inputs or outputs or parameters:
            from drupe_pipeline.modular import pipeline  # modular builds on this module

            built = pipeline(
                nodes,
                namespace=namespace,
                inputs=inputs,
                outputs=outputs,
                parameters=parameters,
                tags=tags,
            )
            self._build(list(built._nodes))
            return
        if isinstance(nodes, (Node, str)) or not isinstance(nodes, Iterable):
            raise PipelineError(
                f"Pipeline() takes a list of nodes or pipelines, got {type(nodes).__name__}: "
                "wrap a single node in a list, Pipeline([node(...)])."
            )
        flat: list[Node] = []
        for item in nodes:
            if isinstance(item, Pipeline):
                flat.extend(item._nodes)
            elif isinstance(item, Node):
                flat.append(item)
            else:
                raise PipelineError(
                    f"Pipeline() got {item!r} ({type(item).__name__}), which is neither a "
                    "node nor a pipeline: build nodes with node(func, inputs, outputs)."
                )
        _check_listed_once(flat)
        if tags:
            flat = [n.tagged(tags) for n in flat]
        self._build(flat)

    @classmethod
    def _union(cls, nodes: Iterable[Node]) -> Pipeline:
        """The pipeline of ``nodes`` where equal nodes count once (what ``+`` and ``|`` do)."""
        union = cls.__new__(cls)
        union._build(list(dict.fromkeys(nodes)))
        return union

    def _build(self, unique: list[Node]) -> None:
        by_name: dict[str, Node] = {}
        producer: dict[str, Node] = {}
        consumers: dict[str, list[Node]] = {}
        written: set[str] = set()
        read: set[str] = set()
        for n in unique:
            other = by_name.setdefault(n.name, n)
            if other is not n:
                raise PipelineError(
                    f"Two different nodes are named {n.name!r} "
                    f"({_describe_node(other)} and {_describe_node(n)}): "
                    "node names must be unique in a pipeline; rename one of them."
                )
            for output in n.outputs:
                writer = producer.setdefault(strip_transcoding(output), n)
                if writer is not n:
                    raise PipelineError(
                        f"Dataset {strip_transcoding(output)!r} is an output of both node "
                        f"{writer.name!r} and node {n.name!r}: each dataset must be written by "
                        "one node (transcoded forms such as 'df@pandas' count as 'df')."
                    )
                written.add(output)
            for name in dict.fromkeys(n.inputs):
                consumers.setdefault(strip_transcoding(name), []).append(n)
                read.add(name)
        _check_transcoding(written | read)
        deps = {
            n: frozenset(
                producer[base]
                for base in map(strip_transcoding, n.inputs)
                if base in producer and producer[base] is not n
            )
            for n in unique
        }
        layers = _layers(unique, deps)
        _set(self, "_nodes", tuple(n for layer in layers for n in layer))
        _set(self, "_layers", layers)
        _set(self, "_deps", deps)
        _set(self, "_consumers", {k: tuple(v) for k, v in consumers.items()})
        _set(self, "_all_inputs", frozenset(read))
        _set(self, "_all_outputs", frozenset(written))

    # -- immutability and value semantics ------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Pipeline is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Pipeline is immutable: cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Pipeline, (list(self._nodes),))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return set(self._deps) == set(other._deps)

    def __hash__(self) -> int:
        return hash(frozenset(self._deps))

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self._nodes)

    def __contains__(self, item: object) -> bool:
        return item in self._deps

    def __repr__(self) -> str:
        names = [n.name for n in self._nodes]
        if len(names) > 6:
            names = [*names[:5], f"... {len(names) - 5} more"]
        return f"Pipeline([{', '.join(names)}])"

    # -- structure ------------------------------------------------------------------------

    @property
    def nodes(self) -> tuple[Node, ...]:
        """The nodes in deterministic topological order."""
        return self._nodes

    @property
    def grouped_nodes(self) -> list[list[Node]]:
        """Topological layers: every node only reads from nodes of earlier layers."""
        return [list(layer) for layer in self._layers]

    @property
    def node_dependencies(self) -> dict[Node, set[Node]]:
        """Each node mapped to the nodes whose outputs it reads."""
        return {n: set(self._deps[n]) for n in self._nodes}

    def inputs(self) -> set[str]:
        """Free inputs: datasets read but written by no node (parameters included).

        Transcoded forms count as their dataset: ``df@spark`` is not free when
        a node writes ``df@pandas``.
        """
        written = set(map(strip_transcoding, self._all_outputs))
        return {name for name in self._all_inputs if strip_transcoding(name) not in written}

    def outputs(self) -> set[str]:
        """Free outputs: datasets written but read by no node (transcoded forms count as one)."""
        read = set(self._consumers)
        return {name for name in self._all_outputs if strip_transcoding(name) not in read}

    def all_inputs(self) -> set[str]:
        """Every dataset some node reads."""
        return set(self._all_inputs)

    def all_outputs(self) -> set[str]:
        """Every dataset some node writes."""
        return set(self._all_outputs)

    def datasets(self) -> set[str]:
        """Every dataset read or written."""
        return set(self._all_inputs | self._all_outputs)

    def namespaces(self) -> set[str]:
        """Every namespace of a node, with each of its dotted parents (``a``, ``a.b``)."""
        found: set[str] = set()
        for n in self._nodes:
            if n.namespace:
                parts = n.namespace.split(".")
                found.update(".".join(parts[: i + 1]) for i in range(len(parts)))
        return found

    def tags(self) -> set[str]:
        """Every tag of some node."""
        return {tag for n in self._nodes for tag in n.tags}

    def describe(self) -> str:
        """A readable summary: free inputs, nodes in execution order, free outputs."""
        lines = [f"Pipeline of {len(self._nodes)} node(s)"]
        lines.append("Inputs: " + (", ".join(sorted(self.inputs())) or "none"))
        lines += [f"  {i}. {n.name}" for i, n in enumerate(self._nodes, 1)]
        lines.append("Outputs: " + (", ".join(sorted(self.outputs())) or "none"))
        return "\n".join(lines)

    # -- operators ------------------------------------------------------------------------

    def __add__(self, other: object) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return Pipeline._union([*self._nodes, *other._nodes])

    def __radd__(self, other: object) -> Pipeline:
        if other == 0:  # so that sum(pipelines) works
            return self
        return NotImplemented

    def __or__(self, other: object) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return Pipeline._union([*self._nodes, *other._nodes])

    def __sub__(self, other: object) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return self._keep(set(self._deps) - set(other._deps))

    def __and__(self, other: object) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return self._keep(set(self._deps) & set(other._deps))

    def tag(self, tags: str | Iterable[str]) -> Pipeline:
        """A copy with ``tags`` added to every node."""
        return Pipeline(self._nodes, tags=tags)

    # -- single-purpose filters (each returns a new, possibly empty, pipeline) --------------

    def only_nodes(self, *node_names: str) -> Pipeline:
        """Exactly the named nodes. Unknown names fail, listing close matches."""
        return self._keep(self._named(node_names))

    def only_nodes_with_tags(self, *tags: str) -> Pipeline:
        """The nodes having at least one of ``tags``."""
        wanted = set(_check_names(tags, "tags"))
        return self._keep({n for n in self._nodes if n.tags & wanted})

    def only_nodes_with_namespaces(self, *namespaces: str) -> Pipeline:
        """The nodes in any of ``namespaces`` or below them (whole dotted parts only)."""
        known = self.namespaces()
        for ns in _check_names(namespaces, "node_namespaces"):
            if ns not in known:
                raise SelectionError(
                    f"No node is in namespace {ns!r}."
                    + (
                        did_you_mean(ns, known) + listing("Namespaces", known)
                        if known
                        else " The pipeline has no namespaces."
                    )
                )
        return self._keep({n for n in self._nodes if _in_namespaces(n.namespace, namespaces)})

    def only_nodes_with_inputs(self, *inputs: str) -> Pipeline:
        """The nodes reading any of ``inputs`` directly (``df`` matches ``df@pandas`` too)."""
        self._check_datasets(inputs, "from_inputs")
        return self._keep(
            {n for name in inputs for n in self._consumers.get(strip_transcoding(name), ())}
        )

    def only_nodes_with_outputs(self, *outputs: str) -> Pipeline:
        """The nodes writing any of ``outputs``."""
        return self._keep(self._producers_of(outputs))

    def from_nodes(self, *node_names: str) -> Pipeline:
        """The named nodes and every node downstream of them."""
        return self._keep(self._downstream(self._named(node_names)))

    def to_nodes(self, *node_names: str) -> Pipeline:
        """The named nodes and every node they need upstream."""
        return self._keep(self._upstream(self._named(node_names)))

    def from_inputs(self, *inputs: str) -> Pipeline:
        """Every node that depends, directly or transitively, on ``inputs``."""
        return self._keep(self._downstream(set(self.only_nodes_with_inputs(*inputs)._nodes)))

    def to_outputs(self, *outputs: str) -> Pipeline:
        """Every node needed to produce ``outputs``."""
        return self._keep(self._upstream(self._producers_of(outputs)))

    # -- combined filter --------------------------------------------------------------------

    def filter(
        self,
        tags: Iterable[str] | None = None,
        from_nodes: Iterable[str] | None = None,
        to_nodes: Iterable[str] | None = None,
        node_names: Iterable[str] | None = None,
        from_inputs: Iterable[str] | None = None,
        to_outputs: Iterable[str] | None = None,
        node_namespaces: Iterable[str] | None = None,
    ) -> Pipeline:
        """The nodes selected by every given filter (AND); each filter's names combine with OR.

        ``None`` or an empty list means "no filter". With no filter the
        pipeline itself is returned.

        Raises:
            PipelineError: an unknown node name, dataset or namespace (with
                close matches), or a selection left empty (naming the filter
                that emptied it).
        """
        steps: list[tuple[str, Iterable[str] | None, Callable[..., Pipeline]]] = [
            ("tags", tags, self.only_nodes_with_tags),
            ("from_nodes", from_nodes, self.from_nodes),
            ("to_nodes", to_nodes, self.to_nodes),
            ("node_names", node_names, self.only_nodes),
            ("from_inputs", from_inputs, self.from_inputs),
            ("to_outputs", to_outputs, self.to_outputs),
            ("node_namespaces", node_namespaces, self.only_nodes_with_namespaces),
        ]
        selected: set[Node] | None = None
        applied: list[str] = []
        for label, value, method in steps:
            # The error's field is the run() keyword that set this filter.
            field = "namespaces" if label == "node_namespaces" else label
            names = _as_names(value, label)
            if not names:
                continue
            shown = f"{label}={list(names)}"
            try:
                subset = set(method(*names)._nodes)
            except SelectionError as exc:
                if exc.field is None:
                    exc.field = field
                raise
            if not subset:
                hint = ""
                if label == "tags":
                    known = sorted(self.tags())
                    hint = f" (the pipeline's tags: {', '.join(known) or 'none'})"
                raise SelectionError(f"The filter {shown} selects no nodes{hint}.", field=field)
            selected = subset if selected is None else selected & subset
            applied.append(shown)
            if not selected:
                raise SelectionError(
                    f"No node matches all filters: {shown} leaves nothing of what "
                    f"{', '.join(applied[:-1])} selected (filters combine with AND).",
                    field=field,
                )
        if selected is None:
            return self
        return self._keep(selected)

    # -- helpers -----------------------------------------------------------------------------

    def _keep(self, nodes: set[Node]) -> Pipeline:
        """A pipeline of a subset of this one's nodes (already valid: no re-checks needed)."""
        if len(nodes) == len(self._nodes):
            return self
        subset = Pipeline.__new__(Pipeline)
        subset._build([n for n in self._nodes if n in nodes])
        return subset

    def _named(self, node_names: Iterable[str]) -> set[Node]:
        by_name = {n.name: n for n in self._nodes}
        unknown = [name for name in _check_names(node_names, "node_names") if name not in by_name]
        if unknown:
            hints = "".join(
                f" For {name!r}, did you mean " + " or ".join(repr(m) for m in matches) + "?"
                for name in unknown
                if (matches := close_matches(name, by_name))
            )
            raise SelectionError(
                f"The pipeline has no node named {', '.join(repr(u) for u in unknown)}.{hints}"
                + ("" if hints else listing("Nodes", by_name))
            )
        return {by_name[name] for name in node_names}

    def _check_datasets(self, names: Iterable[str], label: str) -> None:
        known = self._all_inputs | self._all_outputs
        bases = set(map(strip_transcoding, known))
        for name in _check_names(names, label):
            if name not in known and strip_transcoding(name) not in bases:
                raise SelectionError(
                    f"The pipeline has no dataset named {name!r}."
                    + (did_you_mean(name, known) or listing("Datasets", known))
                )

    def _producers_of(self, outputs: Iterable[str]) -> set[Node]:
        self._check_datasets(outputs, "to_outputs")
        producers = {strip_transcoding(o): n for n in self._nodes for o in n.outputs}
        for name in outputs:
            if strip_transcoding(name) not in producers:
                raise SelectionError(
                    f"Dataset {name!r} is not produced by any node (it is a free input "
                    "of the pipeline), so no node can be selected to produce it."
                )
        return {producers[strip_transcoding(name)] for name in outputs}

    def _upstream(self, start: set[Node]) -> set[Node]:
        seen = set(start)
        stack = list(start)
        while stack:
            for dep in self._deps[stack.pop()]:
                if dep not in seen:
                    seen.add(dep)
                    stack.append(dep)
        return seen

    def _downstream(self, start: set[Node]) -> set[Node]:
        seen = set(start)
        stack = list(start)
        while stack:
            for output in stack.pop().outputs:
                for consumer in self._consumers.get(strip_transcoding(output), ()):
                    if consumer not in seen:
                        seen.add(consumer)
                        stack.append(consumer)
        return seen


def _check_listed_once(nodes: list[Node]) -> None:
    """Kedro's rule: a list given to ``Pipeline()`` names each node once, even an equal one."""
    by_name: dict[str, Node] = {}
    twice: list[str] = []
    for n in nodes:
        other = by_name.get(n.name)
        if other is None:
            by_name[n.name] = n
            continue
        if n.name in twice:
            continue
        if other != n:
            raise PipelineError(
                f"Two different nodes are named {n.name!r} "
                f"({_describe_node(other)} and {_describe_node(n)}): "
                "node names must be unique in a pipeline; rename one of them."
            )
        twice.append(n.name)
    if twice:
        raise PipelineError(
            f"Pipeline() lists node(s) {', '.join(repr(name) for name in twice)} more than "
            "once: node names must be unique in a pipeline. Combine pipelines that share "
            "nodes with '+' (shared nodes count once), or list each node once."
        )


def _check_transcoding(names: set[str]) -> None:
    """A dataset used as ``df@pandas`` must not also be used as plain ``df``."""
    plain = sorted(
        base
        for base in {
            strip_transcoding(n)
            for n in names
            if TRANSCODING_SEPARATOR in n and not is_parameter(n)
        }
        if base in names
    )
    if plain:
        raise PipelineError(
            f"Dataset(s) {', '.join(repr(p) for p in plain)} are used transcoded "
            f"(e.g. {plain[0] + '@pandas'!r}) and also without a format: name every use "
            "with its format, or rename one of the datasets."
        )


def _set(obj: Pipeline, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def _layers(nodes: list[Node], deps: dict[Node, frozenset[Node]]) -> tuple[tuple[Node, ...], ...]:
    """Kahn's algorithm by layers, each layer sorted by name; fails on a cycle."""
    waiting = {n: len(deps[n]) for n in nodes}
    dependents: dict[Node, list[Node]] = {n: [] for n in nodes}
    for n in nodes:
        for dep in deps[n]:
            dependents[dep].append(n)
    layer = sorted((n for n, count in waiting.items() if count == 0), key=_by_name)
    layers: list[tuple[Node, ...]] = []
    placed = 0
    while layer:
        layers.append(tuple(layer))
        placed += len(layer)
        following = []
        for n in layer:
            for child in dependents[n]:
                waiting[child] -= 1
                if waiting[child] == 0:
                    following.append(child)
        layer = sorted(following, key=_by_name)
    if placed != len(nodes):
        left = {n for n, count in waiting.items() if count > 0}
        raise PipelineError(_cycle_message(left, deps))
    return tuple(layers)


def _cycle_message(left: set[Node], deps: dict[Node, frozenset[Node]]) -> str:
    # Every node left over waits on another node left over, so walking
    # dependencies from any of them must come back to a node already visited.
    path: list[Node] = []
    index: dict[Node, int] = {}
    current = min(left, key=_by_name)
    while current not in index:
        index[current] = len(path)
        path.append(current)
        current = min((d for d in deps[current] if d in left), key=_by_name)
    cycle = path[index[current] :]
    cycle.reverse()  # walking went consumer -> producer; show data flow instead
    steps = []
    for producer, consumer in zip(cycle, [*cycle[1:], cycle[0]], strict=True):
        shared = sorted(set(producer.outputs) & set(consumer.inputs))
        steps.append(f"{producer.name!r} -[{', '.join(shared)}]->")
    return (
        "The pipeline has a cycle: "
        + " ".join(steps)
        + f" {cycle[0].name!r}. Each of these nodes reads what the previous one writes; "
        "break the loop by renaming a dataset."
    )


def _by_name(n: Node) -> str:
    return n.name


def _describe_node(n: Node) -> str:
    return f"{n.func_name}({', '.join(n.inputs)}) -> {', '.join(n.outputs) or 'None'}"


def _in_namespaces(namespace: str | None, wanted: Iterable[str]) -> bool:
    if not namespace:
        return False
    return any(namespace == ns or namespace.startswith(ns + ".") for ns in wanted)


def _as_names(value: Iterable[str] | None, label: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return _check_names(tuple(value), label)


def _check_names(names: Iterable[str], label: str) -> tuple[str, ...]:
    names = tuple(names)
    for name in names:
        if not isinstance(name, str):
            raise SelectionError(f"Filter {label} takes names (strings), got {name!r}.")
    return names
