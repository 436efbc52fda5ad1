"""From what was read in a figure to a graph that runs, and the fusion of a figure with a table.

A drawing gives the wiring (which layer feeds which) and often little else; a table in the same paper
gives the hyper-parameters of the same layers (the paper's second "future work"). :func:`assemble`
turns a figure graph into a graph IR: blobs and unread nodes are bridged, Caffe's printed numbers
renamed to the catalog's, Keras' printed output shapes turned into filters, units and the input
shape. When a table design of the paper has the same sequence of parameterised layers, its values
fill what the figure does not show, and a value the two print differently is flagged on the node.
What neither shows is assumed from the catalog's usual value and listed in ``notes``, so a person
sees exactly what was not read. Shape inference checks the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dlp2c.common.catalog import CATALOG, REQUIRED
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.figure import FigureEdge, FigureGraph, FigureNode, collapse
from dlp2c.common.graph import Graph, Provenance
from dlp2c.common.inference import infer, topological_order

# Ops that carry the hyper-parameters a table lists; the others (activations, flatten, dropout, ...)
# are often drawn but left out of tables, or the other way round, so they do not take part in matching.
PARAMETERISED = ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "Dense",
                 "MaxPooling2D", "AveragePooling2D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling2D",
                 "GlobalMaxPooling2D", "LSTM", "GRU", "SimpleRNN", "Embedding")
# What a drawing that shows nothing else most likely means; each use is reported as assumed.
ASSUMED: dict[tuple[str, str], Any] = {
    ("Input", "shape"): [224, 224, 3], ("Conv2D", "filters"): 64, ("Conv2D", "kernel_size"): 3,
    ("Conv1D", "filters"): 64, ("Conv1D", "kernel_size"): 3, ("Dense", "units"): 128,
    ("Dropout", "rate"): 0.5, ("Activation", "activation"): "relu", ("DepthwiseConv2D", "kernel_size"): 3,
    ("SeparableConv2D", "filters"): 64, ("SeparableConv2D", "kernel_size"): 3,
    ("Conv2DTranspose", "filters"): 64, ("Conv2DTranspose", "kernel_size"): 3,
    ("LSTM", "units"): 128, ("GRU", "units"): 128, ("SimpleRNN", "units"): 128,
    ("Embedding", "input_dim"): 10000, ("Embedding", "output_dim"): 128,
}
_CAFFE_PARAMS = {"kernel_size": "kernel_size", "stride": "strides", "pad": "padding", "num_output": "filters"}


class AssemblyError(Dlp2cError):
    code = "assembly"


@dataclass
class Assembled:
    graph: Graph
    notes: list[str] = field(default_factory=list)  # assumed values, disagreements, bridged nodes
    fused_with: str = ""  # the table design whose values were used
    assumed: int = 0  # parameters no figure or table showed

    def to_json(self) -> dict[str, Any]:
        return {"notes": self.notes, "fused_with": self.fused_with, "assumed": self.assumed}


def _bridge(figure: FigureGraph, notes: list[str]) -> FigureGraph:
    """Blobs collapsed; a node that was not read (or names no op) bridged, so the chain stays whole."""
    layers = figure.layers()
    unread = {n.id for n in layers.nodes if n.kind != "layer" or not n.op or n.op not in CATALOG}
    for node in layers.nodes:
        if node.id in unread:
            notes.append(f"{node.id}: not read as a layer ({node.text.strip()[:40]!r}); its edges are joined")
    edges = collapse(unread, {(e.tail, e.head): e.confidence for e in layers.edges})
    return FigureGraph(layers.width, layers.height, layers.style,
                       [n for n in layers.nodes if n.id not in unread],
                       [FigureEdge(t, h, c) for (t, h), c in edges.items()],
                       dict(layers.seconds))


def _read_params(node: FigureNode) -> dict[str, Any]:
    """What the drawing printed, under the catalog's names; shapes give filters, units, input shape."""
    spec = CATALOG.get(node.op)
    known = {p.name for p in spec.params}
    params: dict[str, Any] = {}
    for key, value in node.params.items():
        name = _CAFFE_PARAMS.get(key, key)
        if name in known and value not in ("", None):
            params[name] = value
    shape = node.output_shape
    if shape is not None and len(shape) >= 2 and shape[-1]:
        if node.op == "Input" and all(d for d in shape[1:]):
            params.setdefault("shape", [int(d) for d in shape[1:]])
        elif "filters" in known:
            params.setdefault("filters", int(shape[-1]))
        elif "units" in known and len(shape) == 2:
            params.setdefault("units", int(shape[-1]))
    checked = {}
    for key, value in params.items():  # each on its own: a misread number drops, the rest stays
        try:
            checked[key] = spec.param_index[key].check(value, f"{node.id}.params.{key}")
        except Dlp2cError:
            continue
    return checked


def _order(figure: FigureGraph) -> list[str]:
    """Nodes in flow order (Kahn's algorithm; ties in reading order: top to bottom, left to right)."""
    position = {n.id: (n.box[1], n.box[0]) for n in figure.nodes}
    incoming = {n.id: 0 for n in figure.nodes}
    for edge in figure.edges:
        incoming[edge.head] += 1
    ready = sorted((nid for nid, k in incoming.items() if k == 0), key=position.__getitem__)
    order: list[str] = []
    while ready:
        nid = ready.pop(0)
        order.append(nid)
        for edge in figure.edges:
            if edge.tail == nid:
                incoming[edge.head] -= 1
                if incoming[edge.head] == 0:
                    ready.append(edge.head)
        ready.sort(key=position.__getitem__)
    if len(order) != len(figure.nodes):
        raise AssemblyError("the figure's connections form a cycle")
    return order


def _signature(ops: Sequence[str]) -> list[str]:
    return [op for op in ops if op in PARAMETERISED]


def _table_match(ops: list[str], tables: Sequence[tuple[str, Graph]]) -> tuple[str, Graph] | None:
    """The table design with the same parameterised layers in the same order (the longest such)."""
    wanted = _signature(ops)
    if len(wanted) < 2:
        return None
    matches = []
    for name, table in tables:
        order = topological_order(table)
        if _signature([table.node(n).op for n in order]) == wanted:
            matches.append((name, table))
    return matches[0] if len(matches) == 1 else None


def assemble(figure: FigureGraph, tables: Sequence[tuple[str, Graph]] = (), name: str = "figure",
             ref: str = "") -> Assembled:
    """A figure graph (read by flow detection and OCR) to a graph that passes shape inference."""
    notes: list[str] = []
    bridged = _bridge(figure, notes)
    if len(bridged.nodes) < 2:
        raise AssemblyError(f"{len(bridged.nodes)} layer(s) read; a design needs at least two", ref)
    order = _order(bridged)
    nodes = {n.id: n for n in bridged.nodes}
    feeds: dict[str, list[str]] = {nid: [] for nid in order}
    for edge in sorted(bridged.edges, key=lambda e: nodes[e.tail].box[0]):
        feeds[edge.head].append(edge.tail)
    params = {nid: _read_params(nodes[nid]) for nid in order}
    ops = {nid: nodes[nid].op for nid in order}

    fused = _table_match([ops[n] for n in order], tables)
    if fused is not None:
        table_name, table = fused
        table_order = topological_order(table)
        pairs = zip([n for n in order if ops[n] in PARAMETERISED],
                    [n for n in table_order if table.node(n).op in PARAMETERISED], strict=True)
        inputs = [n for n in table_order if table.node(n).op == "Input"]
        if inputs and ops[order[0]] == "Input" and "shape" not in params[order[0]]:
            params[order[0]]["shape"] = table.node(inputs[0]).params["shape"]
        for ours, theirs in pairs:
            for key, value in table.node(theirs).params.items():
                mine = params[ours].get(key)
                if mine is None:
                    params[ours][key] = value
                elif _normal(mine) != _normal(value):
                    notes.append(f"{nodes[ours].name or ours}: the figure shows {key}={mine}, {table_name} "
                                 f"says {value}; the figure's value is kept")
        notes.append(f"hyper-parameters from {table_name}")

    graph = Graph(name)
    assumed = 0
    if ops[order[0]] != "Input":
        shape = None
        if fused is not None:
            table_inputs = [n for n in fused[1].nodes if n.op == "Input"]
            shape = table_inputs[0].params.get("shape") if table_inputs else None
        if shape is None:
            shape, assumed = ASSUMED[("Input", "shape")], assumed + 1
            notes.append(f"input: the figure draws no input; shape {shape} assumed")
        graph.add("Input", {"shape": shape}, id="input", name="input")
    for nid in order:
        node = nodes[nid]
        spec = CATALOG.get(ops[nid])
        for param in spec.params:
            if param.default is REQUIRED and param.name not in params[nid]:
                value = ASSUMED.get((spec.name, param.name))
                if value is None:
                    raise AssemblyError(f"{spec.name} needs {param.name!r}, which neither the figure nor a table "
                                        "shows", f"{ref} {node.name or nid}".strip())
                params[nid][param.name] = value
                assumed += 1
                notes.append(f"{node.name or nid} ({spec.name}): {param.name}={value} assumed (not shown)")
        sources = feeds[nid] or (["input"] if nid == order[0] and ops[nid] != "Input" else [])
        x0, y0, x1, y1 = node.box
        graph.add(spec.name, params[nid], inputs=sources, id=graph.unique_id(nid), name=node.name or None,
                  provenance=Provenance("figure", ref, None, (float(x0), float(y0), float(x1 - x0), float(y1 - y0)),
                                        round(max(0.0, min(1.0, node.confidence)), 3)))
    starts = [n for n in graph.nodes if n.op != "Input" and not any(e.dst == n.id for e in graph.edges)]
    if starts:
        raise AssemblyError(f"{len(starts)} layer(s) with no input: the figure's parts are not connected "
                            f"({', '.join(n.name or n.id for n in starts[:4])})", ref)
    try:
        infer(graph)
    except Dlp2cError as exc:
        raise AssemblyError(f"the graph read from the figure does not pass shape inference: {exc}", ref) from exc
    return Assembled(graph, notes, fused[0] if fused else "", assumed)


def _normal(value: Any) -> Any:
    if isinstance(value, list | tuple) and len(set(value)) == 1:
        return value[0]
    return value
