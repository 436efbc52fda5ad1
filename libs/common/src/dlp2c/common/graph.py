"""The abstract computational graph in Python, and its JSON form (the contract of every interface).

``Graph.from_json`` accepts exactly the documented shape (see ``proto/dlp2c/graph/v1/graph.schema.json``)
and rejects anything else with an error naming the bad field; ``Graph.to_json`` gives it back
unchanged. Parameters are checked against the layer catalog but stored as given, so a round trip
does not add defaults; :meth:`Node.resolved` gives the full set that shape rules read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlp2c.common.catalog import CATALOG, OpSpec
from dlp2c.common.errors import GraphError, SchemaError

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
MAX_NAME_LENGTH = 256
SOURCES = ("figure", "table", "text", "model_file", "user", "simulated")


def _expect(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise SchemaError(f"must be {what}, got {type(value).__name__} {_short(value)}", where)
    return value


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _keys(obj: Mapping[str, Any], allowed: Iterable[str], required: Iterable[str], where: str) -> None:
    allowed = tuple(allowed)
    for key in obj:
        if key not in allowed:
            raise SchemaError(f"unknown field {key!r}; allowed: {', '.join(allowed)}", where)
    for key in required:
        if key not in obj:
            raise SchemaError(f"missing field {key!r}", where)


@dataclass(frozen=True)
class Provenance:
    """Where a node or edge came from, and how sure the extractor was."""

    source: str
    ref: str = ""
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None  # x, y, width, height in pixels
    confidence: float | None = None

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Provenance:
        _expect(obj, dict, where, "an object")
        _keys(obj, ("source", "ref", "page", "bbox", "confidence"), ("source",), where)
        source = _expect(obj["source"], str, f"{where}.source", "a string")
        if source not in SOURCES:
            raise SchemaError(f"is {source!r}, not one of {', '.join(SOURCES)}", f"{where}.source")
        ref = _expect(obj.get("ref", ""), str, f"{where}.ref", "a string")
        page = obj.get("page")
        if page is not None and (_expect(page, int, f"{where}.page", "an integer") < 1):
            raise SchemaError("must be 1 or more", f"{where}.page")
        bbox = obj.get("bbox")
        if bbox is not None:
            _expect(bbox, list, f"{where}.bbox", "[x, y, width, height]")
            if len(bbox) != 4 or any(isinstance(v, bool) or not isinstance(v, int | float) for v in bbox):
                raise SchemaError("must be four numbers [x, y, width, height]", f"{where}.bbox")
            bbox = tuple(float(v) for v in bbox)
        confidence = obj.get("confidence")
        if confidence is not None:
            _expect(confidence, (int, float), f"{where}.confidence", "a number")
            if not 0.0 <= confidence <= 1.0:
                raise SchemaError(f"must lie in [0, 1], got {confidence}", f"{where}.confidence")
            confidence = float(confidence)
        return cls(source, ref, page, bbox, confidence)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source}
        if self.ref:
            out["ref"] = self.ref
        if self.page is not None:
            out["page"] = self.page
        if self.bbox is not None:
            out["bbox"] = list(self.bbox)
        if self.confidence is not None:
            out["confidence"] = self.confidence
        return out


@dataclass
class Node:
    id: str
    op: str
    params: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    provenance: Provenance | None = None

    @property
    def spec(self) -> OpSpec:
        return CATALOG.get(self.op)

    def resolved(self) -> dict[str, Any]:
        """Every parameter, defaults filled in, scalars broadcast to tuples."""
        return self.spec.resolve(self.params)

    @property
    def label(self) -> str:
        """How errors name this node: its name when it has one, and its id and op."""
        if self.name and self.name != self.id:
            return f"node {self.name!r} ({self.id}, {self.op})"
        return f"node {self.id!r} ({self.op})"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "op": self.op}
        if self.name is not None:
            out["name"] = self.name
        out["params"] = dict(self.params)
        if self.provenance is not None:
            out["provenance"] = self.provenance.to_json()
        return out


@dataclass
class Edge:
    src: str
    dst: str
    dst_input: int | None = None  # position among dst's inputs; None: order of the edge list
    provenance: Provenance | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"src": self.src, "dst": self.dst}
        if self.dst_input is not None:
            out["dst_input"] = self.dst_input
        if self.provenance is not None:
            out["provenance"] = self.provenance.to_json()
        return out


@dataclass
class Graph:
    name: str = "model"
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    # --- construction ---------------------------------------------------------------------------

    def add(self, op: str, params: Mapping[str, Any] | None = None, *, inputs: Iterable[str] = (),
            name: str | None = None, id: str | None = None, provenance: Provenance | None = None) -> str:
        """Append a node (its params checked against the catalog) fed by ``inputs``; returns its id."""
        node_id = id or f"n{len(self.nodes)}"
        where = f"nodes[{len(self.nodes)}]"
        spec = CATALOG.get(op, f"{where}.op")
        checked = spec.check_params(params or {}, where)
        if any(n.id == node_id for n in self.nodes):
            raise SchemaError(f"duplicate node id {node_id!r}", f"{where}.id")
        self.nodes.append(Node(node_id, spec.name, checked, name, provenance))
        inputs = list(inputs)
        for position, src in enumerate(inputs):
            self.edges.append(Edge(src, node_id, position if spec.ordered_inputs and len(inputs) > 1 else None))
        return node_id

    def unique_id(self, preferred: str) -> str:
        """An unused node id close to ``preferred`` (a layer name): unsafe characters become '_'."""
        base = re.sub(r"[^A-Za-z0-9_.:\-]", "_", preferred)[:120] or "n"
        taken = {n.id for n in self.nodes}
        candidate, k = base, 1
        while candidate in taken:
            k += 1
            candidate = f"{base}_{k}"
        return candidate

    # --- lookups --------------------------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def inputs_of(self) -> dict[str, list[str]]:
        """For every node, the ids feeding it, in input order (dst_input, else edge order)."""
        incoming: dict[str, list[Edge]] = {n.id: [] for n in self.nodes}
        for e in self.edges:
            incoming[e.dst].append(e)
        ordered: dict[str, list[str]] = {}
        for node_id, edges in incoming.items():
            if any(e.dst_input is not None for e in edges):
                edges = sorted(edges, key=lambda e: (e.dst_input is None, e.dst_input or 0))
            ordered[node_id] = [e.src for e in edges]
        return ordered

    def outputs(self) -> list[Node]:
        """Nodes nothing reads from: the network's outputs."""
        feeding = {e.src for e in self.edges}
        return [n for n in self.nodes if n.id not in feeding]

    # --- JSON -----------------------------------------------------------------------------------

    @classmethod
    def from_json(cls, obj: Any) -> Graph:
        """Parse the documented JSON form; any other shape raises SchemaError naming the field."""
        _expect(obj, dict, "graph", "a JSON object")
        _keys(obj, ("name", "nodes", "edges"), ("nodes", "edges"), "graph")
        name = _expect(obj.get("name", "model"), str, "name", "a string")
        raw_nodes = _expect(obj["nodes"], list, "nodes", "a list")
        nodes = [_node_from_json(n, f"nodes[{i}]") for i, n in enumerate(raw_nodes)]
        ids: dict[str, int] = {}
        for i, n in enumerate(nodes):
            if n.id in ids:
                raise SchemaError(f"duplicate node id {n.id!r} (also nodes[{ids[n.id]}])", f"nodes[{i}].id")
            ids[n.id] = i
        raw_edges = _expect(obj["edges"], list, "edges", "a list")
        edges = [_edge_from_json(e, f"edges[{i}]", ids) for i, e in enumerate(raw_edges)]
        graph = cls(name, nodes, edges)
        _check_edges(graph)
        return graph

    @classmethod
    def loads(cls, text: str) -> Graph:
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        return cls.from_json(obj)

    @classmethod
    def load(cls, path: str | Path) -> Graph:
        return cls.loads(Path(path).read_text(encoding="utf-8"))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "nodes": [n.to_json() for n in self.nodes],
                "edges": [e.to_json() for e in self.edges]}

    def dumps(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_json(), indent=indent)


def _node_from_json(obj: Any, where: str) -> Node:
    _expect(obj, dict, where, "an object")
    _keys(obj, ("id", "op", "name", "params", "provenance"), ("id", "op"), where)
    node_id = _expect(obj["id"], str, f"{where}.id", "a string")
    if not ID_PATTERN.match(node_id):
        raise SchemaError(f"{node_id!r} is not a valid id: use 1-128 letters, digits, '_', '.', ':' or '-'",
                          f"{where}.id")
    op = _expect(obj["op"], str, f"{where}.op", "a string")
    spec = CATALOG.get(op, f"{where}.op")
    name = obj.get("name")
    if name is not None:
        _expect(name, str, f"{where}.name", "a string")
        if len(name) > MAX_NAME_LENGTH:
            raise SchemaError(f"is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}", f"{where}.name")
    params = _expect(obj.get("params", {}), dict, f"{where}.params", "an object")
    provenance = obj.get("provenance")
    return Node(
        node_id, spec.name, spec.check_params(params, where), name,
        None if provenance is None else Provenance.from_json(provenance, f"{where}.provenance"),
    )


def _edge_from_json(obj: Any, where: str, ids: Mapping[str, int]) -> Edge:
    _expect(obj, dict, where, "an object")
    _keys(obj, ("src", "dst", "dst_input", "provenance"), ("src", "dst"), where)
    for key in ("src", "dst"):
        ref = _expect(obj[key], str, f"{where}.{key}", "a node id")
        if ref not in ids:
            raise GraphError(f"dangling edge: no node has id {ref!r}", f"{where}.{key}",
                             "add the node or remove the edge")
    dst_input = obj.get("dst_input")
    if dst_input is not None and _expect(dst_input, int, f"{where}.dst_input", "an integer") < 0:
        raise SchemaError("must be 0 or more", f"{where}.dst_input")
    provenance = obj.get("provenance")
    return Edge(obj["src"], obj["dst"], dst_input,
                None if provenance is None else Provenance.from_json(provenance, f"{where}.provenance"))


def _check_edges(graph: Graph) -> None:
    """Self-loops, duplicate edges, and input positions that are partial, repeated or have gaps."""
    seen: set[tuple[str, str, int | None]] = set()
    positions: dict[str, list[int | None]] = {}
    for i, e in enumerate(graph.edges):
        if e.src == e.dst:
            raise GraphError(f"edge from {e.src!r} to itself", f"edges[{i}]", "remove the edge")
        key = (e.src, e.dst, e.dst_input)
        if key in seen:
            raise GraphError(f"duplicate edge {e.src!r} -> {e.dst!r}", f"edges[{i}]", "remove one of them")
        seen.add(key)
        positions.setdefault(e.dst, []).append(e.dst_input)
    for dst, given in positions.items():
        if all(p is None for p in given):
            continue
        if any(p is None for p in given) or sorted(given) != list(range(len(given))):  # type: ignore[type-var]
            raise GraphError(
                f"the edges into {dst!r} give input positions {given}; give every one, 0 to {len(given) - 1}",
                f"node {dst!r}",
            )
