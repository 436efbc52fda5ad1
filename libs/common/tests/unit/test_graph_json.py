"""The JSON contract: exactly the documented shape is accepted, errors name the bad field, the schema is published."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from dlp2c.common.errors import Dlp2cError, GraphError, SchemaError, UnknownOpError
from dlp2c.common.graph import Graph
from dlp2c.common.schema import graph_schema

ROOT = Path(__file__).resolve().parents[4]
PUBLISHED = ROOT / "proto" / "dlp2c" / "graph" / "v1" / "graph.schema.json"

VALID: dict[str, Any] = {
    "name": "tiny",
    "nodes": [
        {"id": "n0", "op": "Input", "params": {"shape": [28, 28, 1]}},
        {"id": "n1", "op": "Conv2D", "name": "conv1", "params": {"filters": 64, "kernel_size": [3, 3]},
         "provenance": {"source": "figure", "ref": "figure 3", "page": 4, "bbox": [10, 20, 30, 40],
                        "confidence": 0.9}},
        {"id": "n2", "op": "Conv2D", "name": "conv2", "params": {"filters": 64, "kernel_size": 3, "padding": "same"}},
        {"id": "n3", "op": "Concatenate", "params": {"axis": -1}},
    ],
    "edges": [{"src": "n0", "dst": "n1"}, {"src": "n0", "dst": "n2"},
              {"src": "n2", "dst": "n3", "dst_input": 0}, {"src": "n1", "dst": "n3", "dst_input": 1}],
}


def _broken(path: list[Any], value: Any, delete: bool = False) -> dict[str, Any]:
    graph = copy.deepcopy(VALID)
    target = graph
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return graph


BAD = [
    (_broken(["nodes", 1, "params", "filters"], "64"), SchemaError, "nodes[1].params.filters"),
    (_broken(["nodes", 1, "op"], "Conv2", ), UnknownOpError, "nodes[1].op"),
    (_broken(["nodes", 1, "colour"], "red"), SchemaError, "unknown field 'colour'"),
    (_broken(["nodes", 2, "id"], "n1"), SchemaError, "duplicate node id 'n1'"),
    (_broken(["nodes", 2, "id"], "bad id!"), SchemaError, "nodes[2].id"),
    (_broken(["edges", 0, "dst"], "n9"), GraphError, "edges[0].dst"),
    (_broken(["edges"], None, delete=True), SchemaError, "missing field 'edges'"),
    (_broken(["edges", 3, "dst_input"], 0), GraphError, "input positions"),
    (_broken(["nodes", 1, "provenance", "confidence"], 1.5), SchemaError, "nodes[1].provenance.confidence"),
    (_broken(["nodes", 1, "provenance", "source"], "ocr"), SchemaError, "nodes[1].provenance.source"),
    (_broken(["nodes"], {"n0": {}}), SchemaError, "nodes: must be a list"),
    (_broken(["nodes", 0, "params", "shape"], [28, -1]), SchemaError, "negative dimension"),
]


def test_valid_graph_round_trips_unchanged() -> None:
    assert Graph.from_json(copy.deepcopy(VALID)).to_json() == VALID


def test_edge_order_follows_dst_input() -> None:
    assert Graph.from_json(VALID).inputs_of()["n3"] == ["n2", "n1"]


@pytest.mark.parametrize(("graph", "error", "where"), BAD, ids=[b[2] for b in BAD])
def test_bad_graphs_are_rejected_naming_the_field(graph: dict, error: type[Dlp2cError], where: str) -> None:
    with pytest.raises(error) as info:
        Graph.from_json(graph)
    assert where in str(info.value)


def test_not_json_is_a_clear_error() -> None:
    with pytest.raises(SchemaError, match=r"not valid JSON.*line 1"):
        Graph.loads("{nodes: ")


def test_published_schema_is_current() -> None:
    assert json.loads(PUBLISHED.read_text()) == graph_schema(), "run `make schema` and commit the result"


def test_published_schema_accepts_valid_and_rejects_invalid_params() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(PUBLISHED.read_text()))
    validator.validate(VALID)
    for graph, _, where in BAD:
        if "params" in where or "unknown field" in where or "provenance" in where or "must be a list" in where:
            assert not validator.is_valid(graph), where
