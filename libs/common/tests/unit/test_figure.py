"""A figure graph: Caffe's blobs collapse into layer-to-layer edges; JSON round trip."""

from __future__ import annotations

from dlp2c.common.figure import FigureEdge, FigureGraph, FigureNode, collapse


def test_blobs_collapse_into_layer_edges_with_the_weakest_confidence() -> None:
    # data -> b0 -> conv -> b1 -> {relu, pool}; relu -> b2 -> concat; pool -> b3 -> concat
    edges = {("data", "b0"): 1.0, ("b0", "conv"): 0.9, ("conv", "b1"): 1.0, ("b1", "relu"): 0.5,
             ("b1", "pool"): 1.0, ("relu", "b2"): 1.0, ("pool", "b3"): 1.0, ("b2", "concat"): 1.0,
             ("b3", "concat"): 1.0}
    assert collapse({"b0", "b1", "b2", "b3"}, edges) == {
        ("conv", "pool"): 1.0, ("conv", "relu"): 0.5, ("data", "conv"): 0.9, ("pool", "concat"): 1.0,
        ("relu", "concat"): 1.0}


def test_in_place_layers_and_chains_of_blobs() -> None:
    # an in-place ReLU reads and writes the same blob: no self-loop; two blobs in a row pass through
    edges = {("conv", "b"): 1.0, ("b", "relu"): 1.0, ("relu", "b"): 1.0, ("b", "fc"): 1.0, ("fc", "x"): 1.0,
             ("x", "y"): 1.0, ("y", "out"): 1.0}
    assert collapse({"b", "x", "y"}, edges) == {("conv", "fc"): 1.0, ("conv", "relu"): 1.0, ("fc", "out"): 1.0,
                                                ("relu", "fc"): 1.0}


def test_layers_keeps_what_is_not_a_blob_and_json_round_trips() -> None:
    graph = FigureGraph(100, 50, "caffe", [
        FigureNode("a", "layer", (0, 0, 10, 10), "conv1", "Convolution", "Conv2D", 0.9, {"kernel_size": 3}),
        FigureNode("b", "blob", (20, 0, 30, 10), "conv1"),
        FigureNode("c", "unknown", (40, 0, 50, 10), text="??"),
        FigureNode("d", "layer", (60, 0, 70, 10), "fc", "InnerProduct", "Dense", output_shape=(None, 10)),
    ], [FigureEdge("a", "b"), FigureEdge("b", "d", 0.5), FigureEdge("b", "c")], {"flow": 0.1})
    layers = graph.layers()
    assert [n.id for n in layers.nodes] == ["a", "c", "d"]
    assert [(e.tail, e.head, e.confidence) for e in layers.edges] == [("a", "c", 1.0), ("a", "d", 0.5)]
    again = FigureGraph.from_json(graph.to_json())
    assert again.to_json() == graph.to_json()
    assert again.node("d").output_shape == (None, 10)
