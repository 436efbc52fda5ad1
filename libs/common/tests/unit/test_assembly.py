"""A figure graph to a graph that runs, and a figure fused with a table of the same layers."""

from __future__ import annotations

import itertools

import pytest
from dlp2c.common.assembly import AssemblyError, assemble
from dlp2c.common.figure import FigureEdge, FigureGraph, FigureNode
from dlp2c.common.graph import Graph
from dlp2c.common.inference import infer


def _chain(*nodes: FigureNode) -> FigureGraph:
    edges = [FigureEdge(a.id, b.id, 0.95) for a, b in itertools.pairwise(nodes)]
    return FigureGraph(400, 100 * len(nodes), "keras", list(nodes), edges)


def _layer(i: int, op: str, shape: tuple | None = None, **params: object) -> FigureNode:
    return FigureNode(f"n{i}", "layer", (10, 100 * i, 200, 100 * i + 40), f"{op.lower()}_{i}", op, op, 0.9,
                      dict(params), shape)


def test_keras_output_shapes_give_the_input_filters_and_units() -> None:
    figure = _chain(_layer(0, "Input", (None, 28, 28, 1)), _layer(1, "Conv2D", (None, 26, 26, 32)),
                    _layer(2, "Flatten", (None, 21632)), _layer(3, "Dense", (None, 10)))
    result = assemble(figure, name="net", ref="Figure 3")
    graph = result.graph
    assert [n.op for n in graph.nodes] == ["Input", "Conv2D", "Flatten", "Dense"]
    assert graph.node("n0").params["shape"] == [28, 28, 1]
    assert graph.node("n1").params["filters"] == 32 and graph.node("n3").params["units"] == 10
    assert graph.node("n1").provenance.source == "figure" and graph.node("n1").provenance.bbox == (10, 100, 190, 40)
    # the kernel is not printed: assumed, and said so
    assert result.assumed == 1 and any("kernel_size=3 assumed" in n for n in result.notes)
    assert tuple(infer(graph).outputs()[0].output.shape) == (10,)


def test_caffe_numbers_take_the_catalog_names_and_blobs_are_bridged() -> None:
    blob = FigureNode("b0", "blob", (10, 150, 100, 180), "data")
    conv = FigureNode("n1", "layer", (10, 200, 200, 240), "conv1", "Convolution", "Conv2D", 0.9,
                      {"kernel_size": 5, "stride": 2, "pad": 1})
    pool = FigureNode("n2", "layer", (10, 300, 200, 340), "pool1", "Pooling", "MaxPooling2D", 0.9,
                      {"kernel_size": 2, "stride": 2, "pool": "MAX"})
    figure = FigureGraph(300, 400, "caffe", [blob, conv, pool], [FigureEdge("b0", "n1"), FigureEdge("n1", "n2")])
    result = assemble(figure)
    node = result.graph.node("n1")
    assert node.params["kernel_size"] == 5 and node.params["strides"] == 2 and node.params["padding"] == 1
    assert result.graph.nodes[0].op == "Input"  # no input drawn: one is added, its shape assumed
    assert any("input" in n and "assumed" in n for n in result.notes)


def _table() -> Graph:
    table = Graph("Table 1")
    x = table.add("Input", {"shape": [32, 32, 3]})
    x = table.add("Conv2D", {"filters": 16, "kernel_size": 3, "padding": "same"}, inputs=[x])
    x = table.add("MaxPooling2D", {"pool_size": 2}, inputs=[x])
    x = table.add("Flatten", inputs=[x])
    table.add("Dense", {"units": 10}, inputs=[x])
    return table


def test_a_table_of_the_same_layers_fills_in_what_the_figure_does_not_show() -> None:
    figure = _chain(_layer(0, "Conv2D"), _layer(1, "MaxPooling2D"), _layer(2, "Flatten"), _layer(3, "Dense", None))
    result = assemble(figure, [("Table 1", _table())])
    assert result.fused_with == "Table 1" and result.assumed == 0
    graph = result.graph
    assert graph.nodes[0].params["shape"] == [32, 32, 3]
    assert graph.node("n0").params["filters"] == 16 and graph.node("n3").params["units"] == 10
    assert infer(graph).total_params == infer(_table()).total_params


def test_a_value_the_figure_and_table_print_differently_is_flagged() -> None:
    figure = _chain(_layer(0, "Input", (None, 32, 32, 3)), _layer(1, "Conv2D", (None, 32, 32, 24)),
                    _layer(2, "MaxPooling2D"), _layer(3, "Flatten"), _layer(4, "Dense", (None, 10)))
    result = assemble(figure, [("Table 1", _table())])
    assert result.graph.node("n1").params["filters"] == 24
    assert any("filters=24" in n and "says 16" in n for n in result.notes)


def test_a_table_of_other_layers_is_not_used() -> None:
    figure = _chain(_layer(0, "Input", (None, 8)), _layer(1, "Dense", (None, 5)), _layer(2, "Dense", (None, 2)))
    result = assemble(figure, [("Table 1", _table())])
    assert result.fused_with == ""


def test_unconnected_parts_and_tiny_figures_are_refused() -> None:
    a, b, c = _layer(0, "Input", (None, 8)), _layer(1, "Dense", (None, 4)), _layer(2, "Dense", (None, 2))
    with pytest.raises(AssemblyError, match="not connected"):
        assemble(FigureGraph(100, 100, "keras", [a, b, c], [FigureEdge("n0", "n1")]))
    with pytest.raises(AssemblyError, match="at least two"):
        assemble(FigureGraph(100, 100, "keras", [a], []))
    with pytest.raises(AssemblyError, match="cycle"):
        assemble(FigureGraph(100, 100, "keras", [b, c], [FigureEdge("n1", "n2"), FigureEdge("n2", "n1")]))


def test_an_unread_node_in_a_chain_is_bridged() -> None:
    unread = FigureNode("n1", "unknown", (10, 100, 200, 140), text="C@#v")
    figure = _chain(_layer(0, "Input", (None, 16)), unread, _layer(2, "Dense", (None, 4)))
    result = assemble(figure)
    assert [n.op for n in result.graph.nodes] == ["Input", "Dense"]
    assert [(e.src, e.dst) for e in result.graph.edges] == [("n0", "n2")]
    assert any("not read" in n for n in result.notes)
