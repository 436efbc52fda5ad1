"""ONNX models built with onnx.helper and run in onnxruntime: the imported graph has their shapes and weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dlp2c.common.errors import UnsupportedError
from dlp2c.common.importers import load_model
from dlp2c.common.inference import infer

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
helper, numpy_helper = onnx.helper, onnx.numpy_helper


def _weight(name: str, *shape: int) -> onnx.TensorProto:
    return numpy_helper.from_array(np.random.default_rng(0).normal(size=shape).astype(np.float32), name)


def _model(path: Path) -> onnx.ModelProto:
    """conv-bn-relu, a residual branch, asymmetric padding, concat, global pool, flatten, MatMul+Add, softmax."""
    inits = [
        _weight("w1", 8, 3, 3, 3), _weight("b1", 8),
        _weight("bn_s", 8), _weight("bn_b", 8), _weight("bn_m", 8), _weight("bn_v", 8),
        _weight("w2", 8, 8, 3, 3), _weight("w3", 4, 8, 1, 1),
        _weight("fc_w", 12, 5), _weight("fc_b", 5),
        numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "shape"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn_s", "bn_b", "bn_m", "bn_v"], ["bn"], name="bn1"),
        helper.make_node("Relu", ["bn"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["r1", "c2"], ["res"], name="residual"),
        helper.make_node("MaxPool", ["res"], ["p"], name="pool", kernel_shape=[3, 3], strides=[2, 2],
                         pads=[0, 0, 1, 1]),
        helper.make_node("Conv", ["p", "w3"], ["c3"], name="conv3", kernel_shape=[1, 1]),
        helper.make_node("Concat", ["p", "c3"], ["cat"], name="cat", axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["g"], name="gap"),
        helper.make_node("Reshape", ["g", "shape"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "fc_w"], ["mm"], name="fc"),
        helper.make_node("Add", ["mm", "fc_b"], ["logits"], name="fc_bias"),
        helper.make_node("Softmax", ["logits"], ["y"], name="prob", axis=-1),
    ]
    graph = helper.make_graph(nodes, "tiny_resnet", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT,
                                                                                   [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 5])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return model


def test_onnx_model_imports_with_its_shapes_and_weight_count(tmp_path: Path) -> None:
    path = tmp_path / "tiny.onnx"
    model = _model(path)
    graph = load_model(path)
    result = infer(graph)

    session = ort.InferenceSession(str(path))
    (y,) = session.run(None, {"x": np.zeros((1, 3, 16, 16), np.float32)})
    assert result.outputs()[0].output.shape == y.shape[1:]
    weights = sum(int(np.prod(t.dims)) for t in model.graph.initializer if t.name != "shape")
    assert result.total_params == weights
    ops = [n.op for n in graph.nodes]
    assert "ZeroPadding2D" in ops  # asymmetric pads became their own node
    assert ops.count("Dense") == 1 and graph.nodes[ops.index("Dense")].params["use_bias"] is True
    pool = next(n for n in graph.nodes if n.op == "MaxPooling2D")
    assert result.output(pool.id).shape == (8, 8, 8)


def test_unsupported_onnx_op_is_named(tmp_path: Path) -> None:
    node = helper.make_node("Hardmax", ["x"], ["y"], name="hm")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 4])])
    path = tmp_path / "hm.onnx"
    onnx.save(helper.make_model(graph), path)
    with pytest.raises(UnsupportedError, match="ONNX op 'Hardmax' is not supported"):
        load_model(path)
