"""Graphs to generate from: one small case per op (shared by every target's tests, as ONNX's backend
tests share node cases), and random graphs from the paper's grammar until the simulator exists.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from dlp2c.common.graph import Graph

IMAGE = [12, 12, 4]
SEQUENCE = [6, 5]
VECTOR = [10]


def single(op: str, params: dict[str, Any] | None = None, shape: list[int | None] | None = None,
           dtype: str = "float32", case: str = "") -> tuple[str, Graph]:
    """Input -> op: the smallest graph that exercises one op."""
    g = Graph(f"{op}{'-' + case if case else ''}")
    x = g.add("Input", {"shape": shape or IMAGE, **({"dtype": dtype} if dtype != "float32" else {})}, name="x")
    g.add(op, params or {}, inputs=[x], name=op.lower())
    return g.name, g


def merge(op: str, params: dict[str, Any] | None = None, n: int = 2, case: str = "") -> tuple[str, Graph]:
    """Input -> n convolutions -> op, so the merged tensors differ."""
    g = Graph(f"{op}{'-' + case if case else ''}")
    x = g.add("Input", {"shape": IMAGE}, name="x")
    branches = [g.add("Conv2D", {"filters": 3, "kernel_size": 1}, inputs=[x], name=f"branch{i}") for i in range(n)]
    g.add(op, params or {}, inputs=branches, name=op.lower())
    return g.name, g


def channel_gate(keepdims: bool = False) -> tuple[str, Graph]:
    """Squeeze-and-excitation: an image times a per-channel vector, or a (1, 1, C) tensor (broadcast)."""
    g = Graph(f"Multiply-channel-{'tensor' if keepdims else 'vector'}")
    x = g.add("Input", {"shape": IMAGE}, name="x")
    pooled = g.add("GlobalAveragePooling2D", {"keepdims": keepdims}, inputs=[x], name="squeeze")
    if keepdims:  # EfficientNet's way: a 1x1 convolution on the (1, 1, C) tensor
        gate = g.add("Conv2D", {"filters": IMAGE[-1], "kernel_size": 1, "activation": "sigmoid"}, inputs=[pooled],
                     name="excite")
    else:
        gate = g.add("Dense", {"units": IMAGE[-1], "activation": "sigmoid"}, inputs=[pooled], name="excite")
    g.add("Multiply", {}, inputs=[x, gate], name="multiply")
    return g.name, g


def op_cases() -> Iterator[tuple[str, Graph]]:
    """(case id, graph) for every op of the catalog, with the parameter variants emitters branch on."""
    yield single("Dense", {"units": 7, "activation": "relu"}, VECTOR)
    yield single("Dense", {"units": 7, "use_bias": False}, SEQUENCE, case="sequence")
    yield single("Dense", {"units": 5, "activation": "softmax"}, SEQUENCE, case="sequence-softmax")
    for act in ("relu", "sigmoid", "tanh", "softmax", "elu", "relu6", "softplus", "hard_sigmoid", "exponential"):
        yield single("Activation", {"activation": act}, case=act)
    for act in ("gelu", "swish", "selu", "softsign", "log_softmax", "mish", "leaky_relu", "linear"):
        yield single("Activation", {"activation": act}, VECTOR, case=act)
    yield single("ReLU", {})
    yield single("ReLU", {"max_value": 6.0}, case="relu6")
    yield single("ReLU", {"negative_slope": 0.1, "threshold": 0.5, "max_value": 2.0}, VECTOR, case="general")
    yield single("LeakyReLU", {"negative_slope": 0.1})
    yield single("PReLU", {"shared_axes": [1, 2]}, case="channelwise")
    yield single("PReLU", {}, VECTOR, case="full")
    yield single("ELU", {"alpha": 0.5})
    yield single("Softmax", {})
    yield single("Softmax", {"axis": 1}, SEQUENCE, case="time")
    yield single("Dropout", {"rate": 0.3})
    yield single("Lambda", {"function": "scale_it"})
    yield single("Conv1D", {"filters": 4, "kernel_size": 3, "padding": "causal"}, SEQUENCE)
    yield single("Conv2D", {"filters": 5, "kernel_size": 3, "activation": "relu"}, case="valid")
    yield single("Conv2D", {"filters": 5, "kernel_size": 3, "strides": 2, "padding": "same"}, case="same-stride2")
    yield single("Conv2D", {"filters": 5, "kernel_size": [3, 1], "padding": [1, 0], "strides": [2, 1]},
                 case="explicit-pad")
    yield single("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "groups": 2, "padding": "same"},
                 case="dilated-grouped")
    yield single("Conv3D", {"filters": 3, "kernel_size": 2}, [4, 6, 6, 2])
    yield single("Conv2DTranspose", {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same"})
    yield single("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2}, case="valid")
    yield single("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"})
    yield single("SeparableConv2D", {"filters": 6, "kernel_size": 3, "strides": 2, "padding": "same"})
    yield single("MaxPooling1D", {"pool_size": 2}, SEQUENCE)
    yield single("MaxPooling2D", {"pool_size": 3, "strides": 2}, case="valid")
    yield single("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, [11, 11, 4], case="same")
    yield single("MaxPooling2D", {"pool_size": 3, "strides": 2, "ceil_mode": True}, case="ceil")
    yield single("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": [1, 1]}, case="explicit-pad")
    yield single("AveragePooling1D", {"pool_size": 2}, SEQUENCE)
    yield single("AveragePooling2D", {"pool_size": 2})
    yield single("AveragePooling2D", {"pool_size": 3, "strides": 1, "padding": "same"}, case="same")
    yield single("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, case="same-stride2")
    yield single("AveragePooling2D", {"pool_size": 3, "strides": 1, "padding": [1, 1]}, case="explicit-pad")
    yield single("AveragePooling2D", {"pool_size": 3, "strides": 2, "ceil_mode": True}, case="ceil")
    yield single("GlobalAveragePooling1D", {}, SEQUENCE)
    yield single("GlobalAveragePooling2D", {})
    yield single("GlobalAveragePooling2D", {"keepdims": True}, case="keepdims")
    yield single("GlobalMaxPooling1D", {}, SEQUENCE)
    yield single("GlobalMaxPooling2D", {})
    yield single("BatchNormalization", {"epsilon": 0.001})
    yield single("BatchNormalization", {"scale": False}, case="no-scale")
    yield single("BatchNormalization", {}, VECTOR, case="vector")
    yield single("LayerNormalization", {}, SEQUENCE)
    yield single("LRN", {"size": 3, "alpha": 0.001})
    yield single("LRN", {"size": 3, "alpha": 0.5, "region": "within_channel"}, case="within-channel")
    yield single("Normalization", {"mean": [0.5, 1.0, -1.0, 2.0], "variance": [1.0, 4.0, 0.25, 2.0]})
    yield single("Normalization", {}, case="adapted")
    yield single("Rescaling", {"scale": 0.5, "offset": -1.0})
    yield single("Scale", {"bias_term": True})
    yield merge("Concatenate", {})
    yield merge("Add", {}, n=3)
    yield merge("Subtract", {})
    yield merge("Multiply", {})
    yield merge("Average", {})
    yield merge("Maximum", {})
    yield merge("Minimum", {})
    yield merge("ScaledAdd", {"scale": 0.17})
    yield channel_gate()
    yield channel_gate(keepdims=True)
    yield single("Flatten", {})
    yield single("Reshape", {"target_shape": [24, 24]}, case="image-to-sequence")
    yield single("Reshape", {"target_shape": [2, 5, 1]}, VECTOR, case="vector-to-image")
    yield single("Permute", {"dims": [2, 1, 3]})
    yield single("RepeatVector", {"n": 3}, VECTOR)
    yield single("ZeroPadding1D", {"padding": [1, 2]}, SEQUENCE)
    yield single("ZeroPadding2D", {"padding": [1, 0, 2, 1]})
    yield single("Cropping1D", {"cropping": [1, 2]}, SEQUENCE)
    yield single("Cropping2D", {"cropping": [1, 0, 2, 1]})
    yield single("UpSampling1D", {"size": 2}, SEQUENCE)
    yield single("UpSampling2D", {"size": 2})
    yield single("UpSampling2D", {"size": 2, "interpolation": "bilinear"}, case="bilinear")
    yield single("Embedding", {"input_dim": 20, "output_dim": 4}, [6], dtype="int32")
    yield single("SimpleRNN", {"units": 4}, SEQUENCE)
    yield single("LSTM", {"units": 4, "return_sequences": True}, SEQUENCE)
    yield single("LSTM", {"units": 5}, SEQUENCE, case="last-step")
    yield single("LSTM", {"units": 3, "go_backwards": True}, SEQUENCE, case="backwards")
    yield single("LSTM", {"units": 3, "recurrent_activation": "hard_sigmoid"}, SEQUENCE, case="hard-sigmoid")
    yield single("GRU", {"units": 4}, SEQUENCE)
    yield single("GRU", {"units": 4, "reset_after": False, "return_sequences": True}, SEQUENCE, case="reset-before")
    yield single("Bidirectional", {"layer": {"op": "LSTM", "params": {"units": 3, "return_sequences": True}}},
                 SEQUENCE)
    yield single("Bidirectional", {"layer": {"op": "GRU", "params": {"units": 3}}, "merge_mode": "sum"}, SEQUENCE,
                 case="sum")
    yield single("TimeDistributed", {"layer": {"op": "Dense", "params": {"units": 3}}}, SEQUENCE)
    yield single("TimeDistributed", {"layer": {"op": "Conv2D", "params": {"filters": 2, "kernel_size": 3}}},
                 [3, 6, 6, 2], case="conv")


# --- random graphs from the grammar --------------------------------------------------------------

_CONV_LIKE = ("Conv2D", "MaxPooling2D", "AveragePooling2D", "BatchNormalization", "Activation", "Dropout",
              "DepthwiseConv2D", "SeparableConv2D", "ZeroPadding2D", "ReLU", "LeakyReLU")
_VECTOR_LIKE = ("Dense", "Dropout", "Activation", "BatchNormalization")


def _image_layer(rng: random.Random, size: int) -> tuple[str, dict[str, Any]]:
    op = rng.choice(_CONV_LIKE)
    if op == "Conv2D":
        k = rng.choice([1, 3, 5]) if size >= 5 else 1
        stride = rng.choice([1, 1, 2])
        return op, {"filters": rng.choice([8, 16, 32]), "kernel_size": k, "strides": stride,
                    "padding": rng.choice(["same", "valid"]) if k <= size else "same",
                    "activation": rng.choice(["relu", "linear", "tanh"])}
    if op in ("MaxPooling2D", "AveragePooling2D"):
        pad = "valid" if op == "AveragePooling2D" else rng.choice(["valid", "same"])
        return op, {"pool_size": 2 if size >= 2 else 1, "padding": pad}
    if op == "DepthwiseConv2D":
        return op, {"kernel_size": 3, "padding": "same", "strides": rng.choice([1, 2])}
    if op == "SeparableConv2D":
        return op, {"filters": rng.choice([8, 16]), "kernel_size": 3, "padding": "same"}
    if op == "ZeroPadding2D":
        return op, {"padding": [1, 1, 1, 1]}
    if op == "Activation":
        return op, {"activation": rng.choice(["relu", "sigmoid", "tanh"])}
    if op == "Dropout":
        return op, {"rate": 0.25}
    if op == "LeakyReLU":
        return op, {"negative_slope": 0.1}
    return op, {}


def random_graph(seed: int, layers: int = 12) -> Graph:
    """A random CNN in the paper's grammar (Table 1): image layers with residual and concatenating
    branches, then Flatten or global pooling, then dense layers and a softmax."""
    rng = random.Random(seed)
    g = Graph(f"random-{seed}")
    size = rng.choice([16, 24, 32])
    x = g.add("Input", {"shape": [size, size, rng.choice([1, 3])]}, name="input")
    from dlp2c.common.inference import infer

    image_layers = max(2, int(layers * 0.7))
    i = 0
    while i < image_layers:
        out = infer(g).output(x)
        h = out.shape[0]
        if h is not None and h >= 4 and rng.random() < 0.15:  # a branch pair, merged
            filters = rng.choice([8, 16])
            a = g.add("Conv2D", {"filters": filters, "kernel_size": 3, "padding": "same", "activation": "relu"},
                      inputs=[x], name=f"branch{i}a")
            b = g.add("Conv2D", {"filters": filters, "kernel_size": 1, "padding": "same"}, inputs=[x],
                      name=f"branch{i}b")
            x = g.add(rng.choice(["Add", "Concatenate"]), {}, inputs=[a, b], name=f"merge{i}")
            i += 3
            continue
        op, params = _image_layer(rng, h or 8)
        candidate = g.add(op, params, inputs=[x], name=f"{op.lower()}{i}")
        try:
            infer(g)
        except Exception:
            g.nodes.pop()
            g.edges.pop()
            continue
        x = candidate
        i += 1
    x = g.add(rng.choice(["Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D"]), {}, inputs=[x], name="to_vector")
    for j in range(max(1, layers - image_layers - 2)):
        op = rng.choice(_VECTOR_LIKE)
        params: dict[str, Any] = {"Dense": {"units": rng.choice([16, 32, 64]), "activation": "relu"},
                                  "Dropout": {"rate": 0.5}, "Activation": {"activation": "relu"},
                                  "BatchNormalization": {}}[op]
        x = g.add(op, params, inputs=[x], name=f"{op.lower()}_fc{j}")
    g.add("Dense", {"units": rng.choice([2, 10]), "activation": "softmax"}, inputs=[x], name="classifier")
    return g
