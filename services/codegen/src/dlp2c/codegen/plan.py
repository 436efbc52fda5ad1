"""What every target generates from: the graph in run order, with safe names and inferred shapes.

A :class:`Plan` is built once per graph; the emitters of every target read it and never look at
raw node names (untrusted) or re-run shape inference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlp2c.codegen.names import Namer, comment, identifier
from dlp2c.common.catalog import TensorType
from dlp2c.common.graph import Graph, Node
from dlp2c.common.inference import Inference, infer


@dataclass(frozen=True)
class Step:
    """One node, ready to emit."""

    node: Node
    name: str  # unique safe identifier: layer name, variable, attribute and blob name
    inputs: tuple[str, ...]  # names of the steps feeding this one, in input order
    in_types: tuple[TensorType, ...]
    out: TensorType
    params: dict[str, Any]  # every parameter, defaults filled in
    count: int  # parameters under the catalog's convention

    @property
    def op(self) -> str:
        return self.node.op

    @property
    def given(self) -> dict[str, Any]:
        """The parameters the graph set explicitly (the rest are defaults)."""
        return self.node.params

    @property
    def label(self) -> str:
        """A safe one-line description for comments: the source name and the op."""
        source = comment(self.node.name or self.node.id)
        return f"{source} ({self.node.op})" if source and source != self.name else self.node.op

    @property
    def x(self) -> str:
        return self.inputs[0]

    @property
    def t(self) -> TensorType:
        return self.in_types[0]


@dataclass
class Plan:
    graph: Graph
    inference: Inference
    steps: list[Step]
    model_name: str
    by_id: dict[str, Step] = field(default_factory=dict)

    @property
    def inputs(self) -> list[Step]:
        return [s for s in self.steps if s.op == "Input"]

    @property
    def outputs(self) -> list[Step]:
        return [self.by_id[n.id] for n in self.graph.outputs()]

    @property
    def total_params(self) -> int:
        return self.inference.total_params

    def consumers(self, name: str) -> list[Step]:
        return [s for s in self.steps if name in s.inputs]

    def id_limit(self) -> int:
        """Random token ids must stay below the smallest vocabulary of the graph's Embeddings."""
        sizes = [s.params["input_dim"] for s in self.steps if s.op == "Embedding"]
        sizes += [s.params["layer"]["params"]["input_dim"] for s in self.steps
                  if s.op == "TimeDistributed" and s.params["layer"]["op"] == "Embedding"]
        return min(sizes, default=2)


def make_plan(graph: Graph, inference: Inference | None = None) -> Plan:
    """Shape-check the graph (a graph that cannot run is refused here) and name every node safely."""
    result = inference or infer(graph)
    namer = Namer()
    names: dict[str, str] = {}
    for node_id in result.order:
        node = result.info[node_id].node
        names[node_id] = namer(node.name or node.id, fallback=node.op.lower())
    feeds = graph.inputs_of()
    steps: list[Step] = []
    for node_id in result.order:
        info = result.info[node_id]
        steps.append(Step(
            node=info.node,
            name=names[node_id],
            inputs=tuple(names[s] for s in feeds[node_id]),
            in_types=info.inputs,
            out=info.output,
            params=info.node.resolved(),
            count=info.params,
        ))
    plan = Plan(graph, result, steps, identifier(graph.name, "model"))
    plan.by_id = {s.node.id: s for s in steps}
    return plan
