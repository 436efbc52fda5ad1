"""How many numbers each framework stores for a graph, and why it differs from the catalog's count.

The catalog counts as Keras' ``count_params()`` does: every weight a layer keeps, trainable or
not (BatchNormalization's moving mean and variance included). Verification compares each target
with that count plus the differences listed here, layer by layer; nothing is loosened:

- PyTorch counts parameters and buffers (a saved state_dict), without ``num_batches_tracked``.
- PyTorch and ONNX keep two bias vectors in recurrent layers (input and recurrent) where Keras
  keeps one for SimpleRNN and LSTM, and for GRU with reset_after=false.
- ONNX counts initialisers except the ``.const.`` ones (shapes, pads, fixed factors); a
  Normalization with given mean and variance holds them as constants.
- Caffe counts every blob of every layer: its BatchNorm keeps a third blob (the moving-average
  factor) that Keras does not, unless the graph came from Caffe and already counts it.
- Keras' Normalization keeps a sample count beside mean and variance; PyTorch and ONNX do not.
  Given mean and variance are constants in every target (non-persistent buffers in PyTorch).
- A Caffe BatchNorm's factor (moving_stats_factor) exists only in Caffe.
"""

from __future__ import annotations

from typing import Any

from dlp2c.codegen.plan import Plan, Step
from dlp2c.codegen.targets.pytorch import resolve_layer, stat_shape


def _rnn_extra(op: str, p: dict[str, Any]) -> int:
    """The second bias vector PyTorch and ONNX keep, per direction."""
    if not p["use_bias"]:
        return 0
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[op]
    if op == "GRU" and p["reset_after"]:
        return 0
    return gates * p["units"]


def _stat_size(s: Step) -> int:
    size = 1
    for d in stat_shape(s):
        size *= d
    return size


def adjustment(s: Step, target: str) -> int:
    """What ``target`` stores for this layer minus what the catalog counts."""
    op, p = s.op, s.params
    if op == "BatchNormalization":
        if target == "caffe":
            return 0 if p["moving_stats_factor"] else 1
        return -1 if p["moving_stats_factor"] else 0
    if op == "Normalization":
        given = p["mean"] is not None and p["variance"] is not None
        if target == "keras":
            return -(2 * _stat_size(s) + 1) if given else 0
        if target in ("onnx", "pytorch") and given:
            return -(2 * _stat_size(s) + 1)
        return -1  # Caffe: a Bias and a Scale blob per channel, no sample count
    if target in ("pytorch", "onnx"):
        if op in ("SimpleRNN", "LSTM", "GRU"):
            return _rnn_extra(op, p)
        if op == "Bidirectional":
            inner = p["layer"]
            return 2 * _rnn_extra(inner["op"], resolve_layer(inner))
        if op == "TimeDistributed" and p["layer"]["op"] in ("SimpleRNN", "LSTM", "GRU"):
            return _rnn_extra(p["layer"]["op"], resolve_layer(p["layer"]))
    return 0


def expected_count(plan: Plan, target: str) -> int:
    return plan.total_params + sum(adjustment(s, target) for s in plan.steps)
