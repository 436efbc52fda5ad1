"""ONNX models to a graph: the common vision ops, NCHW tensors turned channels last.

Weights (initializers and Constant nodes) are read only for their shapes and for the constants that
shape ops need (Reshape targets, Pad amounts); MatMul followed by a bias Add becomes one Dense.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from dlp2c.common.catalog import CATALOG, TensorType
from dlp2c.common.errors import Dlp2cError, ModelImportError, UnsupportedError
from dlp2c.common.graph import Graph, Provenance
from dlp2c.common.registry import Registry


@dataclass
class _Ctx:
    graph: Graph
    consts: dict[str, np.ndarray]
    producer: dict[str, str] = field(default_factory=dict)  # ONNX value name -> node id
    types: dict[str, TensorType] = field(default_factory=dict)  # node id -> output
    readers: dict[str, int] = field(default_factory=dict)  # ONNX value name -> number of nodes reading it

    def add(self, op: str, params: dict[str, Any], inputs: Sequence[str], name: str, where: str) -> str:
        sources = []
        for value in inputs:
            if value not in self.producer:
                raise ModelImportError(f"input {value!r} is not produced before it is used", where)
            sources.append(self.producer[value])
        node_id = self.graph.add(op, params, inputs=sources, name=name, id=self.graph.unique_id(name),
                                 provenance=Provenance("model_file", f"onnx node {name}"))
        try:
            self.types[node_id] = CATALOG.get(op).output(self.graph.nodes[-1].resolved(),
                                                        [self.types[s] for s in sources])
        except Dlp2cError as exc:
            exc.where = where
            raise
        return node_id

    def shape(self, value: str) -> TensorType:
        return self.types[self.producer[value]]


def import_onnx(source: str | Path | Any) -> Graph:
    """An ONNX model (a path or a loaded ModelProto) as a graph."""
    import onnx  # optional dependency: only this importer needs it

    if isinstance(source, str | Path):
        try:
            model = onnx.load(str(source), load_external_data=False)
        except Exception as exc:  # onnx raises DecodeError and others for a bad file
            raise ModelImportError(f"not a readable ONNX model: {exc}", str(source)) from None
        label = Path(source).stem
    else:
        model, label = source, "model"
    g = model.graph
    consts = {t.name: onnx.numpy_helper.to_array(t) if t.data_location != onnx.TensorProto.EXTERNAL
              else np.zeros(tuple(t.dims), dtype=np.float32) for t in g.initializer}
    ctx = _Ctx(Graph(g.name or label), consts)
    for node in g.node:
        for value in node.input:
            ctx.readers[value] = ctx.readers.get(value, 0) + 1
    for value in g.input:
        if value.name in consts:
            continue
        dims = [d.dim_value if d.HasField("dim_value") else None for d in value.type.tensor_type.shape.dim]
        if not dims:
            raise ModelImportError(f"graph input {value.name!r} has no shape", label)
        ours = dims[1:]
        ours = [*ours[1:], ours[0]] if len(ours) >= 3 else ours
        elem = value.type.tensor_type.elem_type
        dtype = "int64" if elem == onnx.TensorProto.INT64 else "int32" if elem == onnx.TensorProto.INT32 else "float32"
        ctx.producer[value.name] = ctx.add("Input", {"shape": ours, "dtype": dtype}, [], value.name, value.name)
    for index, node in enumerate(g.node):
        name = node.name or f"{node.op_type}_{index}"
        where = f"{label} node {index} {name!r} ({node.op_type})"
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Constant":
            ctx.consts[node.output[0]] = onnx.numpy_helper.to_array(attrs["value"])
            continue
        handler = _HANDLERS.get(node.op_type)
        if handler is None:
            raise UnsupportedError(f"ONNX op {node.op_type!r} is not supported", where,
                                   "see `dlp2c ops` for what is supported", op=node.op_type)
        handler(ctx, node, attrs, name, where)
    return ctx.graph


Handler = Callable[[_Ctx, Any, dict[str, Any], str, str], None]
_HANDLERS: Registry[Handler] = Registry("ONNX op handler")
handles = _HANDLERS.register


def _data(node: Any) -> list[str]:
    """The node's inputs that are tensors flowing in the graph (not weights)."""
    return [i for i in node.input if i]


def _emit(ctx: _Ctx, node: Any, op: str, params: dict[str, Any], inputs: Sequence[str], name: str, where: str) -> None:
    ctx.producer[node.output[0]] = ctx.add(op, params, inputs, name, where)


def _pads(ctx: _Ctx, attrs: Mapping[str, Any], data: str, name: str, where: str) -> tuple[Any, str]:
    """ONNX pads [top, left, bottom, right]: symmetric ones become a param, others a ZeroPadding2D."""
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        return "same", data
    if auto == "VALID":
        return "valid", data
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    if len(pads) != 4:
        raise UnsupportedError("only 2D windows are supported", where)
    top, left, bottom, right = pads
    if top == bottom and left == right:
        return ("valid" if not any(pads) else [top, left]), data
    pad_name = f"{name}/pad"
    ctx.producer[pad_name] = ctx.add("ZeroPadding2D", {"padding": [top, bottom, left, right]}, [data], pad_name, where)
    return "valid", pad_name


def _axis(onnx_axis: int, rank: int) -> int:
    """An NCHW axis (batch included) as a Keras-style axis of our channels-last layout."""
    axis = onnx_axis + rank + 1 if onnx_axis < 0 else onnx_axis
    if rank >= 3:
        return -1 if axis == 1 else axis - 1
    return -1 if axis == rank else axis


@handles("Conv", "ConvTranspose")
def _conv(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    data, weight = node.input[0], node.input[1]
    w = ctx.consts.get(weight)
    if w is None or w.ndim != 4:
        raise UnsupportedError("Conv needs a constant 4D weight (2D convolution)", where)
    padding, data = _pads(ctx, attrs, data, name, where)
    group = int(attrs.get("group", 1))
    transposed = node.op_type == "ConvTranspose"
    filters = int(w.shape[1] * group if transposed else w.shape[0])
    params: dict[str, Any] = {
        "filters": filters, "kernel_size": list(attrs.get("kernel_shape", w.shape[2:])),
        "strides": list(attrs.get("strides", [1, 1])), "padding": padding,
        "dilation_rate": list(attrs.get("dilations", [1, 1])), "use_bias": len(node.input) > 2 and bool(node.input[2]),
    }
    if group != 1:
        params["groups"] = group
    if transposed and attrs.get("output_padding"):
        params["output_padding"] = list(attrs["output_padding"])
    _emit(ctx, node, "Conv2DTranspose" if transposed else "Conv2D", params, [data], name, where)


@handles("Gemm")
def _gemm(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    w = ctx.consts.get(node.input[1])
    if w is None or attrs.get("transA", 0):
        raise UnsupportedError("Gemm needs a constant weight B and transA=0", where)
    units = int(w.shape[0] if attrs.get("transB", 0) else w.shape[1])
    params = {"units": units, "use_bias": len(node.input) > 2 and bool(node.input[2])}
    _emit(ctx, node, "Dense", params, [node.input[0]], name, where)


@handles("MatMul")
def _matmul(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    w = ctx.consts.get(node.input[1])
    if w is None or w.ndim != 2:
        raise UnsupportedError("MatMul needs a constant 2D second input", where)
    _emit(ctx, node, "Dense", {"units": int(w.shape[1]), "use_bias": False}, [node.input[0]], name, where)


def _binary(op: str) -> Handler:
    def handle(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
        a, b = node.input[0], node.input[1]
        if b in ctx.consts and a in ctx.producer and op == "Add":
            source = ctx.graph.node(ctx.producer[a])
            bias = ctx.consts[b]
            if (source.op == "Dense" and not source.params["use_bias"] and bias.size == source.params["units"]
                    and ctx.readers.get(a, 0) == 1):  # MatMul + Add is a Dense with a bias
                source.params["use_bias"] = True
                ctx.producer[node.output[0]] = source.id
                return
        if a in ctx.consts or b in ctx.consts:
            raise UnsupportedError(f"{node.op_type} with a constant operand is not supported", where)
        _emit(ctx, node, op, {}, [a, b], name, where)
    return handle


for _onnx, _ours in (("Add", "Add"), ("Mul", "Multiply"), ("Sub", "Subtract"), ("Max", "Maximum")):
    handles(_onnx)(_binary(_ours))


@handles("Sum")
def _sum(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    _emit(ctx, node, "Add", {}, _data(node), name, where)


@handles("Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Clip", "Softmax", "PRelu")
def _activation(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    data = node.input[0]
    match node.op_type:
        case "Relu":
            op, params = "ReLU", {}
        case "Sigmoid" | "Tanh":
            op, params = "Activation", {"activation": node.op_type.lower()}
        case "LeakyRelu":
            op, params = "LeakyReLU", {"negative_slope": float(attrs.get("alpha", 0.01))}
        case "Elu":
            op, params = "ELU", {"alpha": float(attrs.get("alpha", 1.0))}
        case "Softmax":
            op, params = "Softmax", {"axis": _axis(int(attrs.get("axis", -1)), ctx.shape(data).rank)}
        case "PRelu":
            slope = ctx.consts.get(node.input[1])
            rank = ctx.shape(data).rank
            shared = list(range(1, rank)) if slope is not None and slope.size > 1 else list(range(1, rank + 1))
            op, params = "PReLU", {"shared_axes": shared}
        case _:  # Clip: ReLU6 when it clips to [0, 6]
            low = attrs.get("min", ctx.consts.get(node.input[1]) if len(node.input) > 1 and node.input[1] else None)
            high = attrs.get("max", ctx.consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None)
            if low is None or float(low) != 0.0:
                raise UnsupportedError("Clip is supported as ReLU with a cap (min 0)", where)
            op, params = "ReLU", ({} if high is None else {"max_value": float(high)})
    _emit(ctx, node, op, params, [data], name, where)


@handles("MaxPool", "AveragePool")
def _pool(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    padding, data = _pads(ctx, attrs, node.input[0], name, where)
    kernel = list(attrs["kernel_shape"])
    params = {"pool_size": kernel, "strides": list(attrs.get("strides", [1] * len(kernel))), "padding": padding,
              "ceil_mode": bool(attrs.get("ceil_mode", 0))}
    _emit(ctx, node, "MaxPooling2D" if node.op_type == "MaxPool" else "AveragePooling2D", params, [data], name, where)


@handles("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    op = "GlobalAveragePooling2D" if node.op_type == "GlobalAveragePool" else "GlobalMaxPooling2D"
    _emit(ctx, node, op, {"keepdims": True}, [node.input[0]], name, where)


@handles("BatchNormalization")
def _batch_norm(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    params = {"epsilon": float(attrs.get("epsilon", 1e-5)), "momentum": float(attrs.get("momentum", 0.9))}
    _emit(ctx, node, "BatchNormalization", params, [node.input[0]], name, where)


@handles("LRN")
def _lrn(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    params = {"size": int(attrs["size"]), "alpha": float(attrs.get("alpha", 1e-4)),
              "beta": float(attrs.get("beta", 0.75)), "bias": float(attrs.get("bias", 1.0))}
    _emit(ctx, node, "LRN", params, [node.input[0]], name, where)


@handles("Concat")
def _concat(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    inputs = _data(node)
    _emit(ctx, node, "Concatenate", {"axis": _axis(int(attrs.get("axis", 1)), ctx.shape(inputs[0]).rank)},
          inputs, name, where)


@handles("Flatten")
def _flatten(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    if int(attrs.get("axis", 1)) != 1:
        raise UnsupportedError("Flatten with axis other than 1 is not supported", where)
    _emit(ctx, node, "Flatten", {}, [node.input[0]], name, where)


@handles("Reshape")
def _reshape(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    target = ctx.consts.get(node.input[1])
    if target is None:
        raise UnsupportedError("Reshape to a shape computed at run time is not supported", where,
                               "export with a constant shape (e.g. torch.flatten instead of view(x.size(0), -1))")
    dims = [int(d) for d in target.tolist()]
    t = ctx.shape(node.input[0])
    nchw = [t.shape[-1], *t.shape[:-1]] if t.rank >= 3 else list(t.shape)
    rest = [nchw[i - 1] if d == 0 and i >= 1 else d for i, d in enumerate(dims)][1:]
    rest = [-1 if d is None else d for d in rest]
    if len(rest) >= 3:
        rest = [*rest[1:], rest[0]]
    _emit(ctx, node, "Reshape", {"target_shape": rest}, [node.input[0]], name, where)


@handles("Dropout", "Identity")
def _passthrough(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    if node.op_type == "Dropout" and float(attrs.get("ratio", 0.5)) > 0:
        _emit(ctx, node, "Dropout", {"rate": float(attrs.get("ratio", 0.5))}, [node.input[0]], name, where)
        return
    ctx.producer[node.output[0]] = ctx.producer[node.input[0]]


@handles("Pad")
def _pad(ctx: _Ctx, node: Any, attrs: dict[str, Any], name: str, where: str) -> None:
    pads = attrs.get("pads")
    if pads is None and len(node.input) > 1:
        pads = ctx.consts.get(node.input[1])
    mode = attrs.get("mode", b"constant")
    if pads is None or (mode.decode() if isinstance(mode, bytes) else mode) != "constant":
        raise UnsupportedError("Pad is supported with constant mode and constant amounts", where)
    pads = [int(p) for p in list(pads)]
    if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
        raise UnsupportedError("Pad is supported on the spatial axes of images only", where)
    _emit(ctx, node, "ZeroPadding2D", {"padding": [pads[2], pads[6], pads[3], pads[7]]}, [node.input[0]], name, where)
