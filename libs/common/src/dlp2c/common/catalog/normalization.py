"""Normalisation: BatchNormalization, LayerNormalization, LRN, Normalization, Rescaling, Scale."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dlp2c.common.catalog import params as P
from dlp2c.common.catalog.rules import axis_index, known, require_rank, same
from dlp2c.common.catalog.spec import OpSpec, TensorType


def _axis_size(op: str, t: TensorType, axis: int) -> int:
    return known(op, t.shape[axis_index(op, axis, t.rank)], f"size of axis {axis}")


def _bn_count(p: Mapping[str, Any], inputs: Sequence[TensorType], _o: TensorType) -> int:
    c = _axis_size("BatchNormalization", inputs[0], p["axis"])
    learned = (c if p["center"] else 0) + (c if p["scale"] else 0)
    return learned + 2 * c + (1 if p["moving_stats_factor"] else 0)


def _ln_count(p: Mapping[str, Any], inputs: Sequence[TensorType], _o: TensorType) -> int:
    size = 1
    for axis in p["axis"]:
        size *= _axis_size("LayerNormalization", inputs[0], axis)
    return size * (int(p["center"]) + int(p["scale"]))


def _normalization_count(p: Mapping[str, Any], inputs: Sequence[TensorType], _o: TensorType) -> int:
    size = 1
    for axis in p["axis"]:
        size *= _axis_size("Normalization", inputs[0], axis)
    return 2 * size + 1  # mean, variance, and the sample count Keras keeps for adapt()


def _lrn(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    require_rank("LRN", inputs[0], 3)
    return inputs[0]


def _scale_count(p: Mapping[str, Any], inputs: Sequence[TensorType], _o: TensorType) -> int:
    c = _axis_size("Scale", inputs[0], p["axis"])
    return c + (c if p["bias_term"] else 0)


OPS = [
    OpSpec(
        "BatchNormalization", "normalization", "Batch normalisation with learned scale and offset.",
        (P.int_("axis", -1, "Keras axis of the features (batch is 0)"),
         P.float_("momentum", 0.99, "moving average momentum", min=0, max=1),
         P.float_("epsilon", 0.001, "added to the variance", min=0),
         P.bool_("center", True, "learn an offset (beta)"),
         P.bool_("scale", True, "learn a scale (gamma)"),
         P.bool_("moving_stats_factor", False,
                 "keep one more scalar that normalises the stored statistics, as Caffe's BatchNorm does")),
        same, _bn_count,
        aliases=("batchnormalization", "batch normalization", "batch norm", "batchnorm", "bn", "batch-norm",
                 "batch normalisation"),
    ),
    OpSpec(
        "LayerNormalization", "normalization", "Layer normalisation over the feature axes.",
        (P.ints("axis", -1, None, "Keras axes normalised over"),
         P.float_("epsilon", 0.001, "added to the variance", min=0),
         P.bool_("center", True, "learn an offset"), P.bool_("scale", True, "learn a scale")),
        same, _ln_count,
        aliases=("layernormalization", "layer norm", "layernorm", "ln", "layer normalization"),
    ),
    OpSpec(
        "LRN", "normalization", "Local response normalisation across channels (AlexNet, GoogLeNet).",
        (P.int_("size", 5, "channels in the window", min=1),
         P.float_("alpha", 0.0001, "scale"), P.float_("beta", 0.75, "exponent"),
         P.float_("bias", 1.0, "additive constant (Caffe's k)"),
         P.str_("region", "across_channels", ("across_channels", "within_channel"), "where the window runs")),
        _lrn, aliases=("lrn", "local response normalization", "norm", "response normalization",
                       "local response norm", "lrn layer"),
    ),
    OpSpec(
        "Normalization", "normalization", "Feature-wise standardisation with stored mean and variance.",
        (P.ints("axis", -1, None, "Keras axes with separate statistics"),
         P.floats("mean", None, "stored mean"), P.floats("variance", None, "stored variance"),
         P.bool_("invert", False, "undo the normalisation instead")),
        same, _normalization_count, aliases=("normalization", "standardization"),
    ),
    OpSpec(
        "Rescaling", "normalization", "Multiply by a constant and add an offset.",
        (P.float_("scale", P.REQUIRED, "multiplier"), P.float_("offset", 0.0, "offset")),
        same, aliases=("rescaling", "rescale", "scaling"),
    ),
    OpSpec(
        "Scale", "normalization", "Learned per-channel scale and optional bias (Caffe's Scale layer).",
        (P.int_("axis", -1, "Keras axis of the channels"), P.bool_("bias_term", False, "learn a bias too")),
        same, _scale_count, aliases=("scale", "channel scale", "affine channel"),
    ),
]
