"""Each op's shape rule and parameter count against Keras itself: one case per op, built and measured."""

from __future__ import annotations

import os
from typing import Any

import pytest
from dlp2c.common.graph import Graph
from dlp2c.common.inference import infer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")

# (op, params, input shapes). Keras takes the same names; only ZeroPadding/Cropping differ (flat here).
CASES: list[tuple[str, dict[str, Any], list[tuple[int | None, ...]]]] = [
    ("Dense", {"units": 7}, [(5,)]),
    ("Dense", {"units": 7, "use_bias": False}, [(4, 5)]),
    ("Activation", {"activation": "relu"}, [(3, 3, 2)]),
    ("ReLU", {"max_value": 6.0}, [(4,)]),
    ("LeakyReLU", {"negative_slope": 0.1}, [(4,)]),
    ("PReLU", {"shared_axes": [1, 2]}, [(6, 6, 3)]),
    ("PReLU", {}, [(6, 6, 3)]),
    ("ELU", {"alpha": 0.5}, [(4,)]),
    ("Softmax", {}, [(4,)]),
    ("Dropout", {"rate": 0.5}, [(4,)]),
    ("Conv1D", {"filters": 8, "kernel_size": 3, "strides": 2}, [(20, 4)]),
    ("Conv1D", {"filters": 8, "kernel_size": 3, "padding": "causal"}, [(20, 4)]),
    ("Conv2D", {"filters": 8, "kernel_size": [3, 5], "strides": 2, "padding": "valid"}, [(32, 31, 3)]),
    ("Conv2D", {"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"}, [(31, 31, 4)]),
    ("Conv2D", {"filters": 8, "kernel_size": 3, "dilation_rate": 2, "groups": 2}, [(16, 16, 4)]),
    ("Conv3D", {"filters": 4, "kernel_size": 3}, [(8, 8, 8, 2)]),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2}, [(7, 7, 8)]),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same"}, [(7, 7, 8)]),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, [(10, 10, 6)]),
    ("SeparableConv2D", {"filters": 16, "kernel_size": 3, "strides": 2, "padding": "same"}, [(15, 15, 6)]),
    ("MaxPooling1D", {"pool_size": 3}, [(10, 4)]),
    ("MaxPooling2D", {"pool_size": 3, "strides": 2}, [(15, 15, 4)]),
    ("AveragePooling2D", {"pool_size": 2, "padding": "same"}, [(15, 15, 4)]),
    ("AveragePooling1D", {"pool_size": 2}, [(10, 4)]),
    ("GlobalAveragePooling2D", {}, [(5, 5, 7)]),
    ("GlobalAveragePooling2D", {"keepdims": True}, [(5, 5, 7)]),
    ("GlobalMaxPooling1D", {}, [(5, 7)]),
    ("GlobalMaxPooling2D", {}, [(5, 5, 7)]),
    ("GlobalAveragePooling1D", {}, [(5, 7)]),
    ("BatchNormalization", {}, [(5, 5, 7)]),
    ("BatchNormalization", {"center": False}, [(7,)]),
    ("LayerNormalization", {}, [(5, 7)]),
    ("Normalization", {"axis": [-1]}, [(5, 5, 3)]),
    ("Rescaling", {"scale": 0.5}, [(5, 5, 3)]),
    ("Concatenate", {}, [(4, 4, 3), (4, 4, 5)]),
    ("Concatenate", {"axis": 1}, [(4, 3), (6, 3)]),
    ("Add", {}, [(4, 4, 3), (4, 4, 3)]),
    ("Subtract", {}, [(6,), (6,)]),
    ("Multiply", {}, [(4, 4, 3), (1, 1, 3)]),
    ("Average", {}, [(6,), (6,)]),
    ("Maximum", {}, [(6,), (6,), (6,)]),
    ("Minimum", {}, [(6,), (6,)]),
    ("Flatten", {}, [(4, 5, 6)]),
    ("Reshape", {"target_shape": [-1, 6]}, [(4, 5, 6)]),
    ("Permute", {"dims": [2, 1]}, [(4, 5)]),
    ("RepeatVector", {"n": 3}, [(5,)]),
    ("ZeroPadding1D", {"padding": [1, 2]}, [(5, 2)]),
    ("ZeroPadding2D", {"padding": [0, 1, 2, 3]}, [(5, 5, 2)]),
    ("Cropping1D", {"cropping": [1, 2]}, [(9, 2)]),
    ("Cropping2D", {"cropping": [1, 1, 2, 0]}, [(9, 9, 2)]),
    ("UpSampling1D", {"size": 3}, [(5, 2)]),
    ("UpSampling2D", {"size": [2, 3]}, [(5, 5, 2)]),
    ("Embedding", {"input_dim": 100, "output_dim": 8}, [(12,)]),
    ("SimpleRNN", {"units": 5}, [(7, 3)]),
    ("LSTM", {"units": 5, "return_sequences": True}, [(7, 3)]),
    ("GRU", {"units": 5}, [(7, 3)]),
    ("GRU", {"units": 5, "reset_after": False}, [(7, 3)]),
    ("Bidirectional", {"layer": {"op": "LSTM", "params": {"units": 5, "return_sequences": True}}}, [(7, 3)]),
    ("Bidirectional", {"layer": {"op": "GRU", "params": {"units": 5}}, "merge_mode": "sum"}, [(7, 3)]),
    ("TimeDistributed", {"layer": {"op": "Dense", "params": {"units": 4}}}, [(7, 3)]),
    ("TimeDistributed", {"layer": {"op": "Conv2D", "params": {"filters": 4, "kernel_size": 3}}}, [(2, 8, 8, 3)]),
]


def _keras_kwargs(op: str, params: dict[str, Any]) -> dict[str, Any]:
    kwargs = dict(params)
    for key in ("padding", "cropping"):
        value = kwargs.get(key)
        if op.endswith("2D") and isinstance(value, list):
            kwargs[key] = ((value[0], value[1]), (value[2], value[3]))
        elif op.endswith("1D") and isinstance(value, list):
            kwargs[key] = tuple(value)
    if "layer" in kwargs:
        inner = kwargs["layer"]
        kwargs["layer"] = getattr(keras.layers, inner["op"])(**_keras_kwargs(inner["op"], inner["params"]))
    return kwargs


@pytest.mark.parametrize(("op", "params", "shapes"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_shape_and_parameter_count_match_keras(op: str, params: dict[str, Any], shapes: list[tuple]) -> None:
    inputs = [keras.Input(shape=s, dtype="int32" if op == "Embedding" else "float32") for s in shapes]
    layer = getattr(keras.layers, op)(**_keras_kwargs(op, params))
    output = layer(inputs if len(inputs) > 1 else inputs[0])
    model = keras.Model(inputs, output)

    graph = Graph("case")
    dtype = "int32" if op == "Embedding" else "float32"
    sources = [graph.add("Input", {"shape": list(s), "dtype": dtype}) for s in shapes]
    node = graph.add(op, params, inputs=sources)
    result = infer(graph)

    assert result.output(node).shape == tuple(model.output_shape[1:])
    assert result.total_params == model.count_params()
