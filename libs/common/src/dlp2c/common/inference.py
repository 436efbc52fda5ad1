"""Shape inference over a whole graph: every node's output, its parameter count, and the total.

A graph that cannot run gets one :class:`~dlp2c.common.errors.Dlp2cError` naming the node, the
shapes and the fix: a cycle, a node with the wrong number of inputs, a layer given a tensor of the
wrong rank (Dense after Conv2D: insert Flatten), merges of mismatched shapes, kernels bigger than
their input.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from dlp2c.common.catalog import TensorType
from dlp2c.common.errors import Dlp2cError, GraphError
from dlp2c.common.graph import Graph, Node


@dataclass(frozen=True)
class NodeInfo:
    node: Node
    inputs: tuple[TensorType, ...]
    output: TensorType
    params: int


@dataclass(frozen=True)
class Inference:
    graph: Graph
    order: tuple[str, ...]  # topological order of node ids
    info: dict[str, NodeInfo]

    @property
    def total_params(self) -> int:
        return sum(i.params for i in self.info.values())

    def output(self, node_id: str) -> TensorType:
        return self.info[node_id].output

    def outputs(self) -> list[NodeInfo]:
        return [self.info[n.id] for n in self.graph.outputs()]

    def inputs(self) -> list[NodeInfo]:
        return [self.info[n.id] for n in self.graph.nodes if n.op == "Input"]

    def summary(self) -> dict[str, Any]:
        """The machine-readable summary `dlp2c validate --json` prints."""
        return {
            "name": self.graph.name,
            "valid": True,
            "nodes": len(self.graph.nodes),
            "edges": len(self.graph.edges),
            "params": self.total_params,
            "inputs": [{"id": i.node.id, "name": i.node.name, "shape": list(i.output.shape),
                        "dtype": i.output.dtype} for i in self.inputs()],
            "outputs": [{"id": o.node.id, "name": o.node.name, "shape": list(o.output.shape)}
                        for o in self.outputs()],
            "layers": [{"id": nid, "name": self.info[nid].node.name, "op": self.info[nid].node.op,
                        "output_shape": list(self.info[nid].output.shape), "params": self.info[nid].params}
                       for nid in self.order],
        }


def topological_order(graph: Graph) -> list[str]:
    """Kahn's algorithm, stable in the order nodes are listed; a cycle raises naming its nodes."""
    indegree = {n.id: 0 for n in graph.nodes}
    consumers: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for e in graph.edges:
        indegree[e.dst] += 1
        consumers[e.src].append(e.dst)
    position = {n.id: i for i, n in enumerate(graph.nodes)}
    ready = deque(sorted((nid for nid, d in indegree.items() if d == 0), key=position.__getitem__))
    order: list[str] = []
    while ready:
        nid = ready.popleft()
        order.append(nid)
        for dst in consumers[nid]:
            indegree[dst] -= 1
            if indegree[dst] == 0:
                ready.append(dst)
    if len(order) < len(graph.nodes):
        stuck = [nid for nid, d in indegree.items() if d > 0]
        raise GraphError(
            f"the graph has a cycle through {', '.join(map(repr, stuck[:8]))}"
            + (" ..." if len(stuck) > 8 else ""),
            "graph", "remove the edge that feeds a layer back into an earlier one",
            nodes=stuck,
        )
    return order


def infer(graph: Graph) -> Inference:
    """Run every node's shape rule in topological order."""
    if not any(n.op == "Input" for n in graph.nodes):
        raise GraphError("the graph has no Input node", "graph", "add an Input node with the input shape")
    order = topological_order(graph)
    feeds = graph.inputs_of()
    nodes = {n.id: n for n in graph.nodes}
    info: dict[str, NodeInfo] = {}
    for nid in order:
        node = nodes[nid]
        spec = node.spec
        sources = feeds[nid]
        count = len(sources)
        if count < spec.min_inputs or (spec.max_inputs is not None and count > spec.max_inputs):
            hint = ""
            if spec.min_inputs == 0:
                hint = "an Input has no incoming edges; remove them"
            elif count == 0:
                hint = "connect it to the layer before it"
            elif spec.min_inputs >= 2:
                hint = f"connect at least {spec.min_inputs} branches, or remove the {node.op}"
            else:
                hint = f"merge the branches first (Concatenate or Add), then feed the {node.op}"
            raise GraphError(f"{node.op} takes {spec.arity_text()} input(s), got {count}", node.label, hint, node=nid)
        inputs = tuple(info[s].output for s in sources)
        params = node.resolved()
        try:
            output = spec.output(params, inputs)
            n_params = spec.count(params, inputs, output)
        except Dlp2cError as exc:
            if not exc.where:
                exc.where = node.label
            exc.details.setdefault("node", nid)  # which node to mark, for the editor
            if inputs and "inputs" not in exc.details:
                exc.details["inputs"] = [list(t.shape) for t in inputs]
            raise
        info[nid] = NodeInfo(node, inputs, output, n_params)
    return Inference(graph, tuple(order), info)
