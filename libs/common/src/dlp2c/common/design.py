"""Do two graphs describe the same network design? Model files spell some things as layers of their
own (Caffe: activations, softmax, asymmetric zero padding), so the comparison is between designs: the
same layers in the same order with the same output shapes, wired the same way, with the same
parameter count. Used to check round trips (generated code imported back, simulated ground truth)."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from dlp2c.common.graph import Graph
from dlp2c.common.inference import infer

# What Caffe writes as a layer and a design figure does not count as one
_SPELLING = {"Activation", "ReLU", "Softmax", "ZeroPadding2D"}


@dataclass(frozen=True)
class Design:
    """A graph up to the order its layers were written in: each layer signed by its op, its output
    shape and, recursively, the signatures of its inputs in input order (a Concatenate's order
    matters) and of its consumers. Equal designs have equal signature counts."""

    layers: Counter[str]
    params: int


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def design(graph: Graph) -> Design:
    result = infer(graph)
    kept = [n for n in result.order if graph.node(n).op not in _SPELLING]
    keep = set(kept)
    feeds = graph.inputs_of()

    def sources(node: str) -> list[str]:
        found: list[str] = []
        for src in feeds[node]:
            found += [src] if src in keep else sources(src)
        return found

    inputs = {n: sources(n) for n in kept}
    consumers: dict[str, list[str]] = {n: [] for n in kept}
    for n in kept:
        for src in inputs[n]:
            consumers[src].append(n)
    local = {n: (graph.node(n).op, tuple(result.output(n).shape)) for n in kept}
    up: dict[str, str] = {}
    for n in kept:  # topological: inputs first
        up[n] = _digest(local[n], [up[s] for s in inputs[n]])
    down: dict[str, str] = {}
    for n in reversed(kept):
        down[n] = _digest(local[n], sorted(down[c] for c in consumers[n]))
    return Design(Counter(_digest(up[n], down[n]) for n in kept), result.total_params)


def differences(truth: Graph, other: Graph) -> list[str]:
    """What differs between two graphs' designs; empty when they describe the same network."""
    a, b = design(truth), design(other)
    found = []
    if a.layers != b.layers:
        missing, extra = a.layers - b.layers, b.layers - a.layers
        found.append(f"{sum(missing.values())} layer(s) placed differently or missing, {sum(extra.values())} extra "
                     f"(of {sum(a.layers.values())})")
    if a.params != b.params:
        found.append(f"parameters differ: {a.params:,} vs {b.params:,}")
    return found


def version_diff(old: Graph, new: Graph) -> dict[str, list]:
    """Two versions of one design, node by node (the editor keeps node ids): what was added, removed or
    changed (op, name, parameters), and which connections came and went."""
    before, after = {n.id: n for n in old.nodes}, {n.id: n for n in new.nodes}
    changed = []
    for nid in sorted(before.keys() & after.keys()):
        a, b = before[nid], after[nid]
        fields = {}
        if a.op != b.op:
            fields["op"] = [a.op, b.op]
        if (a.name or "") != (b.name or ""):
            fields["name"] = [a.name, b.name]
        for key in sorted(a.params.keys() | b.params.keys()):
            if a.params.get(key) != b.params.get(key):
                fields[f"params.{key}"] = [a.params.get(key), b.params.get(key)]
        if fields:
            changed.append({"id": nid, "changes": fields})
    edges_a = {(e.src, e.dst) for e in old.edges}
    edges_b = {(e.src, e.dst) for e in new.edges}
    return {"added": [{"id": n, "op": after[n].op, "name": after[n].name}
                      for n in sorted(after.keys() - before.keys())],
            "removed": [{"id": n, "op": before[n].op, "name": before[n].name}
                        for n in sorted(before.keys() - after.keys())],
            "changed": changed,
            "edges_added": [list(e) for e in sorted(edges_b - edges_a)],
            "edges_removed": [list(e) for e in sorted(edges_a - edges_b)]}
