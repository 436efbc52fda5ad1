"""Core ops: Input, Dense, activations, Dropout, Lambda."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dlp2c.common.catalog import params as P
from dlp2c.common.catalog.rules import known, require_rank, same, single
from dlp2c.common.catalog.spec import OpSpec, TensorType
from dlp2c.common.errors import ShapeError


def _input(p: Mapping[str, Any], _inputs: Sequence[TensorType]) -> TensorType:
    return TensorType(tuple(p["shape"]), p["dtype"])


def _dense(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    t = single(inputs)
    require_rank("Dense", t, 1, 2)
    return TensorType((*t.shape[:-1], p["units"]))


def _dense_count(p: Mapping[str, Any], inputs: Sequence[TensorType], _o: TensorType) -> int:
    n_in = known("Dense", inputs[0].shape[-1], "input width")
    return n_in * p["units"] + (p["units"] if p["use_bias"] else 0)


def _prelu_count(p: Mapping[str, Any], inputs: Sequence[TensorType], _o: TensorType) -> int:
    shared = {a - 1 for a in (p["shared_axes"] or ())}
    count = 1
    for axis, dim in enumerate(inputs[0].shape):
        if axis not in shared:
            count *= known("PReLU", dim, f"size of axis {axis + 1}")
    return count


def _lambda(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    if p["output_shape"] is not None:
        return TensorType(tuple(p["output_shape"]), inputs[0].dtype)
    if len(inputs) > 1:
        raise ShapeError("Lambda with several inputs needs an explicit output_shape",
                         hint="set output_shape on the Lambda node")
    return inputs[0]


OPS = [
    OpSpec(
        "Input", "core", "The network's input tensor (shape without the batch dimension).",
        (P.shape("shape", doc="tensor shape without batch, channels last; null for a free size"),
         P.str_("dtype", "float32", P.DTYPES, "element type; int32 for token ids")),
        _input, min_inputs=0, max_inputs=0,
        aliases=("input", "inputlayer", "input layer", "data", "input data", "inputdata", "image", "input image"),
    ),
    OpSpec(
        "Dense", "core", "Fully connected layer.",
        (P.int_("units", doc="number of output units", min=1), P.activation(), P.use_bias()),
        _dense, _dense_count,
        aliases=("dense", "fc", "fully connected", "fully-connected", "fullyconnected", "innerproduct",
                 "inner product", "ip", "linear", "affine", "gemm", "fc layer", "hidden", "connected"),
    ),
    OpSpec(
        "Activation", "activation", "Element-wise activation function.",
        (P.str_("activation", P.REQUIRED, P.ACTIVATIONS, "the function"),),
        same, aliases=("activation", "act", "nonlinearity"),
    ),
    OpSpec("ReLU", "activation", "Rectified linear unit, optionally capped (ReLU6) or leaky.",
           (P.float_("max_value", None, "cap, 6 for ReLU6", min=0),
            P.float_("negative_slope", 0.0, "slope below the threshold", min=0),
            P.float_("threshold", 0.0, "values below are damped")),
           same, aliases=("relu", "re lu", "rectifier", "relu6", "relu 6")),
    OpSpec("LeakyReLU", "activation", "Leaky rectified linear unit.",
           (P.float_("negative_slope", 0.3, "slope for negative inputs", min=0),),
           same, aliases=("leakyrelu", "leaky relu", "lrelu", "leaky")),
    OpSpec("PReLU", "activation", "Parametric ReLU with learned slopes.",
           (P.ints("shared_axes", None, doc="axes (1-based, batch excluded) sharing one slope"),),
           same, _prelu_count, aliases=("prelu", "parametric relu")),
    OpSpec("ELU", "activation", "Exponential linear unit.", (P.float_("alpha", 1.0, "scale for negatives"),),
           same, aliases=("elu",)),
    OpSpec("Softmax", "activation", "Softmax over an axis.", (P.int_("axis", -1, "Keras axis (batch is 0)"),),
           same, aliases=("softmax", "soft-max", "soft max", "softmx", "classifier", "prob", "probabilities")),
    OpSpec(
        "Dropout", "core", "Randomly zeroes inputs during training.",
        (P.float_("rate", P.REQUIRED, "fraction dropped", min=0.0, max=1.0),
         P.shape("noise_shape", None, "mask shape; 1 = shared along that axis", nullable=True),
         P.int_("seed", None, "random seed", nullable=True)),
        same, aliases=("dropout", "drop out", "drop", "dropout layer"), accepts_int=True,
    ),
    OpSpec(
        "Lambda", "core",
        "An arbitrary function from a Keras model. Its code is never imported (it is untrusted): "
        "the node keeps the place and the shape, the code generators write a marked identity.",
        (P.shape("output_shape", None, "declared output shape; default: the input shape", nullable=True),
         P.str_("function", "", doc="the function's name as the source model called it")),
        _lambda, min_inputs=1, max_inputs=None, accepts_int=True, aliases=("lambda",),
    ),
]
