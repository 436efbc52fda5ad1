"""Shape inference over graphs: Caffe's window rules, and errors that name the node, the shapes and the fix."""

from __future__ import annotations

import pytest
from dlp2c.common.errors import GraphError, ShapeError
from dlp2c.common.graph import Edge, Graph
from dlp2c.common.inference import infer


def _chain(*layers: tuple[str, dict], shape: list[int | None] | None = None, dtype: str = "float32") -> Graph:
    graph = Graph("chain")
    last = graph.add("Input", {"shape": shape or [28, 28, 1], "dtype": dtype}, name="input")
    for op, params in layers:
        last = graph.add(op, params, inputs=[last], name=op.lower())
    return graph


def test_dense_after_conv_without_flatten_names_node_shapes_and_fix() -> None:
    graph = _chain(("Conv2D", {"filters": 32, "kernel_size": 3}), ("Dense", {"units": 10}))
    with pytest.raises(ShapeError) as info:
        infer(graph)
    text = str(info.value)
    assert "'dense'" in text and "(26, 26, 32)" in text and "insert Flatten" in text


def test_kernel_larger_than_input_is_reported_with_sizes() -> None:
    graph = _chain(("Conv2D", {"filters": 8, "kernel_size": 7}), shape=[5, 5, 3])
    with pytest.raises(ShapeError, match=r"window of 7 does not fit in an input of 5"):
        infer(graph)


def test_concatenate_of_mismatched_branches_lists_both_shapes() -> None:
    graph = Graph("branches")
    x = graph.add("Input", {"shape": [32, 32, 3]})
    a = graph.add("Conv2D", {"filters": 8, "kernel_size": 3}, inputs=[x], name="a")
    b = graph.add("Conv2D", {"filters": 8, "kernel_size": 3, "padding": "same"}, inputs=[x], name="b")
    graph.add("Concatenate", {}, inputs=[a, b], name="merge")
    with pytest.raises(ShapeError) as info:
        infer(graph)
    assert "'merge'" in str(info.value) and "(30, 30, 8)" in str(info.value) and "(32, 32, 8)" in str(info.value)


def test_add_of_different_channel_counts_fails() -> None:
    graph = Graph("residual")
    x = graph.add("Input", {"shape": [8, 8, 4]})
    y = graph.add("Conv2D", {"filters": 6, "kernel_size": 1}, inputs=[x])
    graph.add("Add", {}, inputs=[x, y], name="sum")
    with pytest.raises(ShapeError, match="'sum'"):
        infer(graph)


def test_cycle_is_reported_with_its_nodes() -> None:
    graph = _chain(("Dense", {"units": 4}), ("Dense", {"units": 4}), shape=[4])
    graph.edges.append(Edge(graph.nodes[2].id, graph.nodes[1].id))
    with pytest.raises(GraphError, match="cycle through") as info:
        infer(graph)
    assert set(info.value.details["nodes"]) == {graph.nodes[1].id, graph.nodes[2].id}


def test_merge_with_one_input_and_layer_with_two_are_arity_errors() -> None:
    graph = _chain(("Add", {}), shape=[4])
    with pytest.raises(GraphError, match="takes at least 2 input"):
        infer(graph)
    graph = Graph("two")
    x = graph.add("Input", {"shape": [4]})
    y = graph.add("Input", {"shape": [4]})
    graph.add("Dense", {"units": 2}, inputs=[x, y], name="d")
    with pytest.raises(GraphError, match="merge the branches first"):
        infer(graph)


def test_token_ids_need_an_embedding() -> None:
    graph = _chain(("LSTM", {"units": 4}), shape=[100], dtype="int32")
    with pytest.raises(ShapeError, match="insert Embedding"):
        infer(graph)
    ok = _chain(("Embedding", {"input_dim": 5000, "output_dim": 64}), ("LSTM", {"units": 8}), ("Dense", {"units": 2}),
                shape=[100], dtype="int32")
    result = infer(ok)
    assert result.outputs()[0].output.shape == (2,)
    assert result.total_params == 5000 * 64 + 4 * 8 * (64 + 8 + 1) + 8 * 2 + 2


def test_graph_without_input_is_rejected() -> None:
    graph = Graph("empty")
    with pytest.raises(GraphError, match="no Input"):
        infer(graph)


@pytest.mark.parametrize(("size", "kernel", "stride", "pad", "ceil", "expected"), [
    (112, 3, 2, 0, True, 56),   # GoogLeNet pool1: Caffe rounds up
    (112, 3, 2, 0, False, 55),  # Keras rounds down
    (7, 3, 2, 1, True, 4),      # ceil with padding
    (6, 2, 2, 1, True, 4),      # last window may not start in the padding
    (13, 3, 2, 0, True, 6),
])
def test_caffe_ceil_mode_pooling(size: int, kernel: int, stride: int, pad: int, ceil: bool, expected: int) -> None:
    graph = _chain(("MaxPooling2D", {"pool_size": kernel, "strides": stride, "padding": [pad, pad] if pad else "valid",
                                     "ceil_mode": ceil}), shape=[size, size, 3])
    assert infer(graph).outputs()[0].output.shape == (expected, expected, 3)


def test_unknown_sizes_flow_through_and_block_only_weight_sizing() -> None:
    graph = _chain(("Conv2D", {"filters": 4, "kernel_size": 3}), ("GlobalAveragePooling2D", {}),
                   ("Dense", {"units": 3}), shape=[None, None, 3])
    result = infer(graph)
    assert result.output(graph.nodes[1].id).shape == (None, None, 4)
    assert result.total_params == 3 * 3 * 3 * 4 + 4 + 4 * 3 + 3
    bad = _chain(("Flatten", {}), ("Dense", {"units": 3}), shape=[None, 4])
    with pytest.raises(ShapeError, match="needs a known input width"):
        infer(bad)


def test_summary_lists_every_layer_in_order() -> None:
    graph = _chain(("Conv2D", {"filters": 4, "kernel_size": 3}), ("Flatten", {}), ("Dense", {"units": 2}))
    summary = infer(graph).summary()
    assert [layer["op"] for layer in summary["layers"]] == ["Input", "Conv2D", "Flatten", "Dense"]
    assert summary["outputs"][0]["shape"] == [2]
    assert summary["params"] == 40 + 2704 * 2 + 2
