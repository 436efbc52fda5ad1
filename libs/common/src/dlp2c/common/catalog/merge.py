"""Merges: where branches meet (Concatenate, Add, Multiply, ...)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dlp2c.common.catalog import params as P
from dlp2c.common.catalog.rules import axis_index, broadcast
from dlp2c.common.catalog.spec import OpSpec, TensorType
from dlp2c.common.errors import ShapeError


def _concat(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    ranks = {t.rank for t in inputs}
    listing = ", ".join(str(t) for t in inputs)
    if len(ranks) > 1:
        raise ShapeError(f"Concatenate needs inputs of the same rank, got {listing}",
                         hint="flatten or pool the branches to the same rank first")
    rank = ranks.pop()
    axis = axis_index("Concatenate", p["axis"], rank)
    out: list[int | None] = []
    for i in range(rank):
        sizes = [t.shape[i] for t in inputs]
        if i == axis:
            out.append(None if None in sizes else sum(sizes))  # type: ignore[arg-type]
            continue
        fixed = {s for s in sizes if s is not None}
        if len(fixed) > 1:
            raise ShapeError(
                f"Concatenate along axis {p['axis']} needs equal sizes on the other axes, got {listing}",
                hint="use padding 'same' or matching strides in every branch so their spatial sizes agree",
            )
        out.append(fixed.pop() if fixed else None)
    return TensorType(tuple(out), inputs[0].dtype)


def _elementwise(op: str):
    def rule(_p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
        return broadcast(op, inputs)
    return rule


def _merge_spec(op: str, aliases: tuple[str, ...], doc: str, *, exactly_two: bool = False,
                ordered: bool = False) -> OpSpec:
    return OpSpec(op, "merge", doc, (), _elementwise(op), aliases=aliases, min_inputs=2,
                  max_inputs=2 if exactly_two else None, ordered_inputs=ordered)


def _scaled_add(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    return broadcast("ScaledAdd", inputs)


OPS = [
    OpSpec(
        "Concatenate", "merge", "Join tensors along an axis (channels by default).",
        (P.int_("axis", -1, "Keras axis joined along (batch is 0)"),),
        _concat, min_inputs=2, max_inputs=None, ordered_inputs=True, accepts_int=True,
        aliases=("concatenate", "concat", "concatenation", "merge", "depthconcat", "depth concat",
                 "filter concatenation", "filter concat", "join"),
    ),
    _merge_spec("Add", ("add", "sum", "plus", "+", "eltwise", "eltwise (sum)", "addition", "residual add",
                        "elementwise sum", "element-wise sum", "residual", "shortcut"),
               "Element-wise sum (residual connections)."),
    _merge_spec("Subtract", ("subtract", "minus", "-", "difference"), "First input minus the second.",
                exactly_two=True, ordered=True),
    _merge_spec("Multiply", ("multiply", "mul", "product", "x", "eltwise (prod)", "elementwise product",
                             "hadamard"), "Element-wise product (gates, squeeze-and-excitation)."),
    _merge_spec("Average", ("average", "elementwise mean"), "Element-wise mean."),
    _merge_spec("Maximum", ("maximum", "eltwise (max)", "maxout"), "Element-wise maximum."),
    _merge_spec("Minimum", ("minimum", "elementwise min"), "Element-wise minimum."),
    OpSpec(
        "ScaledAdd", "merge",
        "inputs[0] + scale * inputs[1]: the scaled residual of Inception-ResNet (Keras' CustomScaleLayer).",
        (P.float_("scale", P.REQUIRED, "factor on the second input"),),
        _scaled_add, min_inputs=2, max_inputs=2, ordered_inputs=True,
        aliases=("scaledadd", "scaled add", "customscalelayer", "scaled residual"),
    ),
]
