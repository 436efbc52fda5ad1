"""The paper's grammar (its Table 1: which layer may follow which), derived from the shape rules.

A layer may follow a tensor when its shape rule accepts that tensor with the smallest parameters it
can take. Nothing here is a hand-written table: add an op to the catalog and the grammar knows it.
"""

from __future__ import annotations

from typing import Any

from dlp2c.common.catalog import CATALOG, Kind, OpSpec, Param, TensorType
from dlp2c.common.errors import Dlp2cError

# Ops that are not a "next layer" a design chooses: the input itself, and opaque or wrapping ones.
_NOT_CHOSEN = ("Input", "Lambda", "Bidirectional", "TimeDistributed")


def _smallest(param: Param) -> Any:
    """The least demanding value of a required parameter (1-wide kernels, one unit, ...)."""
    if param.kind is Kind.INT:
        return max(int(param.min or 1), 1)
    if param.kind is Kind.FLOAT:
        return float(param.min or 0.0) if param.max is None else min(float(param.min or 0.0), param.max)
    if param.kind is Kind.INTS:
        return [1] * (param.length or 1)
    if param.kind is Kind.STRING:
        return (param.choices or ("",))[0]
    raise ValueError(f"no smallest value for {param.kind}")


def probe_params(spec: OpSpec, t: TensorType) -> dict[str, Any]:
    """Required params at their smallest; shape-dependent ones (Reshape, Permute) kept trivially valid."""
    if spec.name == "Reshape":
        return {"target_shape": [-1]}
    if spec.name == "Permute":
        return {"dims": list(range(1, t.rank + 1))}
    return {p.name: _smallest(p) for p in spec.params if p.required}


def can_follow(op: str, t: TensorType) -> bool:
    """Whether ``op`` can take ``t`` as its only input."""
    spec = CATALOG.get(op)
    if spec.min_inputs > 1 or spec.max_inputs == 0:
        return False
    try:
        spec.output(spec.resolve(probe_params(spec, t)), [t])
    except Dlp2cError:
        return False
    return True


def next_layers(t: TensorType) -> list[str]:
    """Every single-input op a design may put after a tensor like ``t``, in catalog order."""
    return [spec.name for spec in CATALOG if spec.name not in _NOT_CHOSEN and can_follow(spec.name, t)]
