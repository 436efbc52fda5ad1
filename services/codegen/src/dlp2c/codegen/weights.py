"""Weights from Keras' layout to PyTorch, ONNX and Caffe, layer by layer.

The graph is channels-last and Keras-named, so Keras weights (``layer.get_weights()`` per layer,
saved as ``<layer>/<index>`` in an .npz) are the canonical form. The other targets differ in:

- layout: kernels (kh, kw, in, out) become (out, in, kh, kw); Dense kernels are transposed;
- a Flatten of an image flattens (C, H, W) in channels-first targets, (H, W, C) in Keras: the
  Dense that reads it gets its input rows permuted;
- recurrent gate order: Keras LSTM i,f,c,o (PyTorch the same, ONNX i,o,f,c, Caffe i,f,o,c); Keras GRU z,r,h
  (ONNX the same, PyTorch r,z,n); PyTorch and ONNX keep a second bias, set to zero;
- BatchNorm: Caffe keeps mean, variance and a factor in BatchNorm, and gamma, beta in a Scale layer.

``convert`` returns ``{name: array}``: PyTorch state_dict keys, ONNX initialiser names, or Caffe
``<layer>/<blob index>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from dlp2c.codegen.layout import cf_shape, is_spatial
from dlp2c.codegen.plan import Plan, Step
from dlp2c.codegen.targets.caffe import _main_name as caffe_main_name
from dlp2c.codegen.targets.caffe import lstm_core_name
from dlp2c.codegen.targets.pytorch import resolve_layer
from dlp2c.common.catalog import TensorType
from dlp2c.common.errors import UnsupportedError
from dlp2c.common.graph import Node

Arrays = list[np.ndarray]
Out = dict[str, np.ndarray]

# Ops that keep a vector's element order (and have no weights): a permuted Flatten passes through them.
_ORDER_KEEPING = {"Dropout", "Activation", "ReLU", "LeakyReLU", "ELU", "Lambda", "Rescaling"}


def _conv_kernel(k: np.ndarray) -> np.ndarray:
    """(spatial..., in, out) -> (out, in, spatial...)."""
    n = k.ndim - 2
    return np.ascontiguousarray(k.transpose(n + 1, n, *range(n)))


def _depthwise_kernel(k: np.ndarray) -> np.ndarray:
    kh, kw, c, m = k.shape
    return np.ascontiguousarray(k.reshape(kh, kw, c * m).transpose(2, 0, 1)[:, None])


def _flatten_order(shape: tuple[int | None, ...]) -> np.ndarray:
    """For each position of a channels-first flatten, the position in Keras' channels-last flatten."""
    dims = [int(d) for d in shape]  # type: ignore[arg-type]
    n = int(np.prod(dims))
    return np.arange(n).reshape(dims).transpose(len(dims) - 1, *range(len(dims) - 1)).reshape(-1)


def _split_gates(w: np.ndarray, gates: int, axis: int = -1) -> list[np.ndarray]:
    return np.split(w, gates, axis=axis)


def _reorder(w: np.ndarray, order: list[int], gates: int, axis: int = -1) -> np.ndarray:
    parts = _split_gates(w, gates, axis)
    return np.concatenate([parts[i] for i in order], axis=axis)


# Gate order of each framework, as indices into Keras' order.
_TORCH_GATES = {"SimpleRNN": [0], "LSTM": [0, 1, 2, 3], "GRU": [1, 0, 2]}
_ONNX_GATES = {"SimpleRNN": [0], "LSTM": [0, 3, 1, 2], "GRU": [0, 1, 2]}
_CAFFE_LSTM_GATES = [0, 1, 3, 2]  # Caffe: i, f, o, g
_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def _rnn_parts(op: str, p: Mapping[str, Any], ws: Arrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keras kernel, recurrent kernel, input bias, recurrent bias (zeros where Keras has one bias)."""
    kernel, recurrent = ws[0], ws[1]
    u = recurrent.shape[0]
    gates = _GATES[op]
    zeros = np.zeros(gates * u, np.float32)
    if not p["use_bias"]:
        return kernel, recurrent, zeros, zeros
    bias = ws[2]
    if bias.ndim == 2:  # GRU with reset_after: (2, 3u)
        return kernel, recurrent, bias[0], bias[1]
    return kernel, recurrent, bias, zeros


class Converter:
    """Walks the plan in order, tracking which vectors hold a channels-first flatten."""

    def __init__(self, plan: Plan, keras: Mapping[str, np.ndarray], target: str) -> None:
        self.plan, self.keras, self.target = plan, keras, target
        self.flattened: dict[str, tuple[int | None, ...]] = {}  # step name -> the image shape it flattens
        self.out: Out = {}

    def weights(self, name: str) -> Arrays:
        ws = []
        while f"{name}/{len(ws)}" in self.keras:
            ws.append(np.asarray(self.keras[f"{name}/{len(ws)}"], np.float32))
        return ws

    def run(self) -> Out:
        for s in self.plan.steps:
            self.step(s)
        return self.out

    def step(self, s: Step, name: str | None = None, ws: Arrays | None = None) -> None:
        name = name or s.name
        ws = self.weights(s.name) if ws is None else ws
        flat = [self.flattened[i] for i in s.inputs if i in self.flattened]
        if s.op == "Flatten" and is_spatial(s.t):
            self.flattened[s.name] = s.t.shape
        elif flat and s.op in _ORDER_KEEPING:
            self.flattened[s.name] = flat[0]
        elif flat and s.op != "Dense":
            raise UnsupportedError(f"weights cannot be converted: {s.op} reads a flattened image, whose element "
                                   f"order differs between Keras and {self.target}", f"layer {s.name!r}")
        if not ws:
            return
        handler = _HANDLERS.get(s.op)
        if handler is None:
            raise UnsupportedError(f"weights of {s.op} cannot be converted to {self.target}", f"layer {s.name!r}")
        handler(self, s, name, ws, flat[0] if flat else None)

    def put(self, key: str, value: np.ndarray) -> None:
        self.out[key] = np.ascontiguousarray(value, dtype=np.float32)

    def caffe(self, layer: str, blobs: Arrays) -> None:
        for i, blob in enumerate(blobs):
            self.put(f"{layer}/{i}", blob)


Handler = Callable[[Converter, Step, str, Arrays, Any], None]
_HANDLERS: dict[str, Handler] = {}


def handles(*ops: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for op in ops:
            _HANDLERS[op] = fn
        return fn
    return register


@handles("Dense")
def _dense(c: Converter, s: Step, name: str, ws: Arrays, flattened: Any) -> None:
    kernel = ws[0]
    if flattened is not None:
        kernel = kernel[_flatten_order(flattened)]
    bias = ws[1] if len(ws) > 1 else None
    if c.target == "caffe":
        c.caffe(caffe_main_name(s), [kernel.T] + ([bias] if bias is not None else []))
        return
    if c.target == "onnx" and s.t.rank != 1:
        c.put(f"{name}.kernel", kernel)
    else:
        c.put(f"{name}.weight", kernel.T)
    if bias is not None:
        c.put(f"{name}.bias", bias)


@handles("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "DepthwiseConv2D")
def _conv(c: Converter, s: Step, name: str, ws: Arrays, _f: Any) -> None:
    kernel = (_depthwise_kernel if s.op == "DepthwiseConv2D" else _conv_kernel)(ws[0])
    if c.target == "caffe":
        c.caffe(caffe_main_name(s), [kernel, *ws[1:]])
        return
    c.put(f"{name}.weight", kernel)
    if len(ws) > 1:
        c.put(f"{name}.bias", ws[1])


@handles("SeparableConv2D")
def _separable(c: Converter, s: Step, name: str, ws: Arrays, _f: Any) -> None:
    dw, pw = _depthwise_kernel(ws[0]), _conv_kernel(ws[1])
    if c.target == "caffe":
        c.caffe(f"{s.name}_depthwise", [dw])
        c.caffe(caffe_main_name(s), [pw, *ws[2:]])
        return
    c.put(f"{name}_depthwise.weight", dw)
    c.put(f"{name}_pointwise.weight", pw)
    if len(ws) > 2:
        c.put(f"{name}_pointwise.bias", ws[2])


@handles("BatchNormalization")
def _bn(c: Converter, s: Step, name: str, ws: Arrays, _f: Any) -> None:
    p = s.params
    ws = list(ws)
    gamma = ws.pop(0) if p["scale"] else None
    beta = ws.pop(0) if p["center"] else None
    mean, var = ws[0], ws[1]
    if c.target == "caffe":
        affine = p["scale"] or p["center"]
        c.caffe(f"{s.name}_bn" if affine else s.name, [mean, var, np.ones(1, np.float32)])
        if gamma is not None:
            c.caffe(s.name, [gamma] + ([beta] if beta is not None else []))
        elif beta is not None:
            c.caffe(s.name, [beta])
        return
    affine = p["scale"] and p["center"]
    if c.target == "pytorch" and not affine:
        if gamma is not None:
            c.put(f"{name}_gamma", gamma)
        if beta is not None:
            c.put(f"{name}_beta", beta)
    else:
        if gamma is not None:
            c.put(f"{name}.weight", gamma)
        if beta is not None:
            c.put(f"{name}.bias", beta)
    c.put(f"{name}.running_mean", mean)
    c.put(f"{name}.running_var", var)


@handles("LayerNormalization")
def _ln(c: Converter, s: Step, name: str, ws: Arrays, _f: Any) -> None:
    ws = list(ws)
    if s.params["scale"]:
        c.put(f"{name}.weight", ws.pop(0))
    if s.params["center"]:
        c.put(f"{name}.bias", ws.pop(0))


@handles("PReLU")
def _prelu(c: Converter, s: Step, name: str, ws: Arrays, _f: Any) -> None:
    alpha = ws[0]
    if alpha.ndim >= 3:
        alpha = alpha.transpose(alpha.ndim - 1, *range(alpha.ndim - 1))
    if c.target == "caffe":
        c.caffe(s.name, [alpha.reshape(-1)[: s.t.shape[-1]] if alpha.size > 1 else alpha.reshape(1)])
        return
    c.put(name if c.target == "pytorch" else f"{name}.alpha", alpha)


@handles("Embedding")
def _embedding(c: Converter, s: Step, name: str, ws: Arrays, _f: Any) -> None:
    if c.target == "caffe":
        c.caffe(s.name, [ws[0]])
    else:
        c.put(f"{name}.weight", ws[0])


@handles("Scale")
def _scale(c: Converter, s: Step, name: str, ws: Arrays, _f: Any) -> None:
    if c.target == "caffe":
        c.caffe(s.name, ws)
        return
    c.put(f"{name}_gamma", ws[0])
    if len(ws) > 1:
        c.put(f"{name}_beta", ws[1])


@handles("Normalization")
def _normalization(c: Converter, s: Step, name: str, ws: Arrays, _f: Any) -> None:
    from dlp2c.codegen.targets.pytorch import stat_shape

    if c.target == "caffe":  # a Bias (-mean) then a Scale (1 / std)
        c.caffe(f"{s.name}_center", [-ws[0].reshape(-1)])
        c.caffe(s.name, [1.0 / np.maximum(np.sqrt(ws[1].reshape(-1)), 1e-7)])
        return
    shape = stat_shape(s)
    sep = "_" if c.target == "pytorch" else "."
    c.put(f"{name}{sep}mean", ws[0].reshape(shape))
    c.put(f"{name}{sep}variance", ws[1].reshape(shape))


def _rnn_torch(c: Converter, op: str, p: Mapping[str, Any], ws: Arrays, name: str, suffix: str = "") -> None:
    kernel, recurrent, b_in, b_rec = _rnn_parts(op, p, ws)
    order, gates = _TORCH_GATES[op], _GATES[op]
    c.put(f"{name}.weight_ih_l0{suffix}", _reorder(kernel, order, gates).T)
    c.put(f"{name}.weight_hh_l0{suffix}", _reorder(recurrent, order, gates).T)
    if p["use_bias"]:
        c.put(f"{name}.bias_ih_l0{suffix}", _reorder(b_in, order, gates))
        c.put(f"{name}.bias_hh_l0{suffix}", _reorder(b_rec, order, gates))


def _rnn_onnx(op: str, p: Mapping[str, Any], ws: Arrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    kernel, recurrent, b_in, b_rec = _rnn_parts(op, p, ws)
    order, gates = _ONNX_GATES[op], _GATES[op]
    w = _reorder(kernel, order, gates).T
    r = _reorder(recurrent, order, gates).T
    b = np.concatenate([_reorder(b_in, order, gates), _reorder(b_rec, order, gates)])
    return w, r, b


@handles("SimpleRNN", "LSTM", "GRU")
def _rnn(c: Converter, s: Step, name: str, ws: Arrays, _f: Any) -> None:
    if c.target == "caffe":  # LSTM only: W_xc (4H, D), b_c (4H), W_hc (4H, H)
        kernel, recurrent, b_in, _ = _rnn_parts(s.op, s.params, ws)
        c.caffe(lstm_core_name(s), [_reorder(kernel, _CAFFE_LSTM_GATES, 4).T, _reorder(b_in, _CAFFE_LSTM_GATES, 4),
                         _reorder(recurrent, _CAFFE_LSTM_GATES, 4).T])
        return
    if c.target == "pytorch":
        _rnn_torch(c, s.op, s.params, ws, name)
        return
    w, r, b = _rnn_onnx(s.op, s.params, ws)
    c.put(f"{name}.W", w[None])
    c.put(f"{name}.R", r[None])
    if s.params["use_bias"]:
        c.put(f"{name}.B", b[None])


@handles("Bidirectional")
def _bidirectional(c: Converter, s: Step, name: str, ws: Arrays, _f: Any) -> None:
    inner = s.params["layer"]
    op, p = inner["op"], resolve_layer(inner)
    half = len(ws) // 2
    forward, backward = ws[:half], ws[half:]
    if c.target == "pytorch":
        _rnn_torch(c, op, p, forward, name)
        _rnn_torch(c, op, p, backward, name, "_reverse")
        return
    parts = [_rnn_onnx(op, p, forward), _rnn_onnx(op, p, backward)]
    c.put(f"{name}.W", np.stack([parts[0][0], parts[1][0]]))
    c.put(f"{name}.R", np.stack([parts[0][1], parts[1][1]]))
    if p["use_bias"]:
        c.put(f"{name}.B", np.stack([parts[0][2], parts[1][2]]))


@handles("TimeDistributed")
def _time_distributed(c: Converter, s: Step, name: str, ws: Arrays, _f: Any) -> None:
    inner = s.params["layer"]
    item = TensorType(s.t.shape[1:], s.t.dtype)
    out_item = TensorType(s.out.shape[1:], s.out.dtype)
    inner_step = Step(Node(s.node.id, inner["op"], inner["params"]), s.name, (), (item,), out_item,
                      resolve_layer(inner), 0)
    handler = _HANDLERS[inner["op"]]
    handler(c, inner_step, name if c.target == "pytorch" else f"{name}_step", ws, None)


def convert(plan: Plan, keras_weights: Mapping[str, np.ndarray], target: str) -> Out:
    """Keras weights (``<layer>/<index>``) as ``target`` names them."""
    if target == "keras":
        return {k: np.asarray(v, np.float32) for k, v in keras_weights.items()}
    return Converter(plan, keras_weights, target).run()


def output_orders(plan: Plan) -> dict[str, np.ndarray]:
    """Outputs that are flattened images, with the channels-last position of each channels-first value.

    A channels-first target lists such an output's values in (C, H, W) order; ``out[:, order]``
    would be wrong, ``keras_order = np.empty_like(out); keras_order[:, order] = out`` is right.
    """
    c = Converter(plan, {}, "pytorch")
    c.run()
    return {s.name: _flatten_order(c.flattened[s.name]) for s in plan.outputs if s.name in c.flattened}


def keras_shape_to_target(shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
    return cf_shape(shape)
