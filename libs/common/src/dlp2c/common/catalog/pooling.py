"""Pooling: max and average over windows, and global pooling."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dlp2c.common.catalog import params as P
from dlp2c.common.catalog.rules import require_rank, spatial
from dlp2c.common.catalog.spec import OpSpec, TensorType


def _pool(op: str, n: int):
    def rule(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
        t = inputs[0]
        require_rank(op, t, n + 1)
        strides = p["strides"] if p["strides"] is not None else p["pool_size"]
        dims = spatial(op, t.shape[:-1], p["pool_size"], strides, p["padding"], ceil_mode=p["ceil_mode"])
        return TensorType((*dims, t.shape[-1]))
    return rule


def _pool_spec(op: str, n: int, aliases: tuple[str, ...], doc: str) -> OpSpec:
    return OpSpec(
        op, "pooling", doc,
        (P.ints("pool_size", 2, n, "window size per spatial axis", min=1),
         P.ints("strides", None, n, "step per axis; default: the pool size", min=1),
         P.padding(n),
         P.bool_("ceil_mode", False, "round the output size up (Caffe's rule) instead of down")),
        _pool(op, n), aliases=aliases,
    )


def _global(op: str, n: int):
    def rule(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
        t = inputs[0]
        require_rank(op, t, n + 1)
        return TensorType((*([1] * n), t.shape[-1]) if p["keepdims"] else (t.shape[-1],))
    return rule


def _global_spec(op: str, n: int, aliases: tuple[str, ...], doc: str) -> OpSpec:
    return OpSpec(op, "pooling", doc, (P.bool_("keepdims", False, "keep the spatial axes with size 1"),),
                  _global(op, n), aliases=aliases)


OPS = [
    _pool_spec("MaxPooling1D", 1, ("maxpooling1d", "max pooling 1d", "maxpool1d", "temporal max pooling"),
               "Max over windows of a sequence."),
    _pool_spec("MaxPooling2D", 2, ("maxpooling2d", "maxpool", "max pool", "max pooling", "max-pool",
                                   "mpool", "pool", "pooling", "pooling (max)", "maxpool2d", "max-pooling",
                                   "subsampling"),
               "Max over windows of an image."),
    _pool_spec("AveragePooling1D", 1, ("averagepooling1d", "avgpool1d", "average pooling 1d"),
               "Mean over windows of a sequence."),
    _pool_spec("AveragePooling2D", 2, ("averagepooling2d", "avgpool", "avg pool", "average pool",
                                       "average pooling", "avg-pool", "apool", "pooling (ave)",
                                       "pooling (avg)", "mean pooling", "avgpool2d"),
               "Mean over windows of an image."),
    _global_spec("GlobalAveragePooling1D", 1, ("globalaveragepooling1d", "global average pooling 1d"),
                 "Mean over the whole sequence."),
    _global_spec("GlobalAveragePooling2D", 2, ("globalaveragepooling2d", "global average pooling", "gap",
                                               "global avg pool", "global avgpool", "avg pool global",
                                               "global pool", "global pooling"),
                 "Mean over the whole image, per channel."),
    _global_spec("GlobalMaxPooling1D", 1, ("globalmaxpooling1d", "global max pooling 1d"),
                 "Max over the whole sequence."),
    _global_spec("GlobalMaxPooling2D", 2, ("globalmaxpooling2d", "global max pooling", "global max pool"),
                 "Max over the whole image, per channel."),
]
