"""Caffe prototxt (``layer {}`` and the old V1 ``layers {}``) to a clean graph.

Caffe wires layers through named blobs; here each layer becomes a node and each blob read an edge.
In-place layers (ReLU, Dropout, BatchNorm on their own bottom) chain naturally, Split disappears,
BatchNorm followed by Scale becomes one BatchNormalization, InnerProduct on an image gets an explicit
Flatten, and Caffe's rules (ceil-mode pooling, explicit pads, stride 1 by default) become explicit
params, so that shapes and parameter counts agree with what Caffe itself reports.

Shapes here are channels last without the batch (N, C, H, W in Caffe is (H, W, C) here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlp2c.common.catalog import CATALOG, TensorType
from dlp2c.common.errors import Dlp2cError, ModelImportError, UnsupportedError
from dlp2c.common.graph import Graph, Provenance
from dlp2c.common.importers.prototxt import Message, parse
from dlp2c.common.registry import Registry

V1_TYPES = {  # V1 enum names of the old `layers {}` syntax
    "CONVOLUTION": "Convolution", "POOLING": "Pooling", "RELU": "ReLU", "INNER_PRODUCT": "InnerProduct",
    "DROPOUT": "Dropout", "SOFTMAX": "Softmax", "SOFTMAX_LOSS": "SoftmaxWithLoss", "LRN": "LRN",
    "CONCAT": "Concat", "ELTWISE": "Eltwise", "SIGMOID": "Sigmoid", "TANH": "TanH", "FLATTEN": "Flatten",
    "DATA": "Data", "IMAGE_DATA": "ImageData", "ACCURACY": "Accuracy", "SPLIT": "Split",
    "DECONVOLUTION": "Deconvolution",
    "EUCLIDEAN_LOSS": "EuclideanLoss", "HDF5_DATA": "HDF5Data", "MEMORY_DATA": "MemoryData", "SLICE": "Slice",
    "POWER": "Power", "ABSVAL": "AbsVal", "BNLL": "BNLL", "SILENCE": "Silence", "WINDOW_DATA": "WindowData",
    "DUMMY_DATA": "DummyData", "ARGMAX": "ArgMax", "EXP": "Exp", "THRESHOLD": "Threshold",
    "SIGMOID_CROSS_ENTROPY_LOSS": "SigmoidCrossEntropyLoss", "CONTRASTIVE_LOSS": "ContrastiveLoss",
}
DATA_LAYERS = ("Data", "ImageData", "HDF5Data", "MemoryData", "WindowData", "VideoData")
DROPPED = ("Accuracy", "Silence", "SoftmaxWithLoss", "EuclideanLoss", "SigmoidCrossEntropyLoss",
           "ContrastiveLoss", "HingeLoss", "InfogainLoss", "MultinomialLogisticLoss")  # training only
# Fields every layer may carry that do not change the network's shape or size.
LAYER_FIELDS = {"name", "type", "bottom", "top", "include", "exclude", "param", "loss_weight", "propagate_down",
                "phase", "blobs_lr", "weight_decay", "blobs", "transform_param", "loss_param", "top_id",
                "bottom_id"}
# Fields of each *_param block that only concern training (fillers, engines) and are ignored.
IGNORED = {"weight_filler", "bias_filler", "engine", "filler"}


@dataclass
class _Net:
    graph: Graph
    source: str
    input_shapes: Mapping[str, Sequence[int]]
    producer: dict[str, str] = field(default_factory=dict)  # blob -> node id now holding it
    types: dict[str, TensorType] = field(default_factory=dict)  # node id -> its output
    same_pool: dict[str, str] = field(default_factory=dict)  # padded blob -> unpadded, for a 'same' max pool

    def add(self, op: str, params: dict[str, Any], bottoms: Sequence[str], name: str, where: str) -> str:
        sources = [self.source_of(b, where) for b in bottoms]
        node_id = self.graph.add(op, params, inputs=sources, name=name, id=self.graph.unique_id(name),
                                 provenance=Provenance("model_file", f"{self.source} layer {name}"))
        node = self.graph.nodes[-1]
        spec = CATALOG.get(op)
        try:
            self.types[node_id] = spec.output(node.resolved(), [self.types[s] for s in sources])
        except Dlp2cError as exc:
            exc.where = where
            raise
        return node_id

    def source_of(self, blob: str, where: str) -> str:
        if blob not in self.producer:
            raise ModelImportError(f"bottom blob {blob!r} is not produced by any earlier layer", where,
                                   "check the layer order and the blob names")
        return self.producer[blob]

    def shape_of(self, blob: str, where: str) -> TensorType:
        return self.types[self.source_of(blob, where)]


def import_caffe(source: str | Path, *, text: str | None = None,
                 input_shapes: Mapping[str, Sequence[int]] | None = None) -> Graph:
    """A Caffe net definition as a graph. ``input_shapes`` (N, C, H, W per blob) fills in data layers."""
    label = str(source)
    if text is None:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ModelImportError("not a text file", label) from None
    root = parse(text, Path(label).name)
    layers = root.all("layer") or root.all("layers")
    if root.all("layer") and root.all("layers"):
        raise ModelImportError("mixes `layer {}` and the old `layers {}` syntax", label)
    if not layers:
        raise ModelImportError("no layers: is this a Caffe prototxt?", label)
    net = _Net(Graph(str(root.get("name") or Path(label).stem)), Path(label).name, dict(input_shapes or {}))
    _declared_inputs(root, net)
    active = [layer for layer in layers if _in_test_phase(layer)]
    helpers, same_averages = _same_average_pools(active)
    lstm_helpers, lstms = _lstm_patterns(active)
    helpers |= lstm_helpers
    for index, layer in enumerate(active):
        kind = str(layer.get("type", ""))
        kind = V1_TYPES.get(kind, kind)
        name = str(layer.get("name", f"layer{index}"))
        where = f"{net.source}:{layer.line} layer {name!r} ({kind})"
        handler = _HANDLERS.get(kind)
        if kind in DROPPED or index in helpers:
            continue
        if index in same_averages:
            _same_average(net, layer, *same_averages[index], name, where)
            continue
        if index in lstms:
            x, units, sequences, core = lstms[index]
            params = {"units": units, "return_sequences": sequences}
            _one_top(net, layer, net.add("LSTM", params, [x], name, f"{where} (with {core!r}, Caffe's LSTM)"))
            continue
        if handler is None:
            raise UnsupportedError(f"Caffe layer type {kind!r} is not supported", where,
                                   "see `dlp2c ops` for what is supported", layer=kind)
        _check_fields(layer, kind, where)
        handler(net, layer, name, where, active[index + 1:])
    return net.graph


def _in_test_phase(layer: Message) -> bool:
    """Deploy semantics: keep what runs at TEST time."""
    for rule in layer.all("include"):
        if rule.get("phase") == "TRAIN":
            return False
    return all(rule.get("phase") != "TEST" for rule in layer.all("exclude"))


def _declared_inputs(root: Message, net: _Net) -> None:
    """Net-level inputs: `input:` with `input_dim:` (old) or `input_shape { dim: }`."""
    names = root.all("input")
    dims = root.all("input_dim")
    shapes = [s.all("dim") for s in root.all("input_shape")]
    for i, blob in enumerate(names):
        if blob in net.input_shapes:
            shape = list(net.input_shapes[blob])
        elif shapes:
            shape = shapes[i]
        elif dims:
            shape = dims[4 * i: 4 * i + 4]
        else:
            raise ModelImportError(f"input {blob!r} has no shape", net.source, "add input_shape or input_dim")
        _add_input(net, blob, shape, f"{net.source} input {blob!r}")


def _caffe_to_ours(shape: Sequence[int]) -> list[int]:
    """(N, C, H, W) -> (H, W, C); (N, C) -> (C,); other ranks just drop the batch."""
    dims = [int(d) for d in shape[1:]]
    if len(dims) >= 3:
        return [*dims[1:], dims[0]]
    return dims


def _ours_to_caffe(t: TensorType) -> list[int | None]:
    dims = list(t.shape)
    if len(dims) >= 3:
        return [dims[-1], *dims[:-1]]
    return dims


def _axis(caffe_axis: int, rank: int) -> int:
    """A Caffe axis (0 is the batch, 1 the channels) as a Keras-style axis of our layout."""
    if caffe_axis < 0:
        caffe_axis += rank + 1
    if rank >= 3:
        return -1 if caffe_axis == 1 else caffe_axis - 1
    return caffe_axis


def _add_input(net: _Net, blob: str, shape: Sequence[int], where: str) -> None:
    if len(shape) < 2:
        raise ModelImportError(f"input shape {list(shape)} needs a batch and at least one more dimension", where)
    node = net.add("Input", {"shape": _caffe_to_ours(shape)}, [], blob, where)
    net.producer[blob] = node


def _check_fields(layer: Message, kind: str, where: str) -> None:
    known = LAYER_FIELDS | set(_PARAM_FIELDS.get(kind, {}))
    for key in layer:
        if key not in known:
            raise UnsupportedError(f"field {key!r} of a {kind} layer is not supported", where)
    for block, allowed in _PARAM_FIELDS.get(kind, {}).items():
        for msg in layer.all(block):
            for key in msg:
                if key not in allowed and key not in IGNORED:
                    raise UnsupportedError(f"field {block}.{key} is not supported", f"{where} line {msg.line}")


def _tops(layer: Message) -> list[str]:
    return [str(t) for t in layer.all("top")]


def _bottoms(layer: Message) -> list[str]:
    return [str(b) for b in layer.all("bottom")]


def _one_top(net: _Net, layer: Message, node: str) -> None:
    for top in _tops(layer)[:1]:
        net.producer[top] = node


def _window(p: Message, prefix: str, default: int | None) -> list[int] | None:
    """kernel_size / stride / pad: repeated, or *_h and *_w."""
    values = p.all(f"{prefix}_size" if prefix == "kernel" else prefix)
    h, w = p.get(f"{prefix}_h"), p.get(f"{prefix}_w")
    if h is not None or w is not None:
        return [int(h if h is not None else default or 0), int(w if w is not None else default or 0)]
    if not values:
        return None if default is None else [default, default]
    return [int(values[0])] * 2 if len(values) == 1 else [int(v) for v in values]


def _padding(pads: list[int] | None) -> Any:
    if not pads or not any(pads):
        return "valid"
    return pads


Handler = Callable[[_Net, Message, str, str, list[Message]], None]
_HANDLERS: Registry[Handler] = Registry("Caffe layer handler")
_PARAM_FIELDS: dict[str, dict[str, set[str]]] = {}


def handles(*kinds: str, fields: Mapping[str, set[str]] | None = None) -> Callable[[Handler], Handler]:
    """Register the handler of these layer types, with the *_param fields it understands."""
    for kind in kinds:
        _PARAM_FIELDS[kind] = dict(fields or {})
    return _HANDLERS.register(*kinds)


_CONV_FIELDS = {"num_output", "bias_term", "pad", "pad_h", "pad_w", "kernel_size", "kernel_h", "kernel_w",
                "stride", "stride_h", "stride_w", "dilation", "group", "axis"}


@handles("Input", fields={"input_param": {"shape"}})
def _input(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    shapes = [s.all("dim") for s in layer.get("input_param", Message()).all("shape")]
    for i, top in enumerate(_tops(layer)):
        shape = net.input_shapes.get(top) or (shapes[i] if i < len(shapes) else shapes[-1] if shapes else None)
        if shape is None:
            raise ModelImportError(f"input {top!r} has no shape", where, "add input_param { shape { dim: ... } }")
        _add_input(net, top, shape, where)


@handles(*DATA_LAYERS, "DummyData", fields={"data_param": {"source", "batch_size", "backend", "prefetch"},
                                            "image_data_param": {"source", "batch_size", "shuffle", "new_height",
                                                                 "new_width", "root_folder", "is_color"},
                                            "dummy_data_param": {"shape", "data_filler"},
                                            "hdf5_data_param": {"source", "batch_size", "shuffle"},
                                            "memory_data_param": {"batch_size", "channels", "height", "width"}})
def _data(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    tops = _tops(layer)
    data = tops[0]
    shape = net.input_shapes.get(data)
    if shape is None:
        dummy = layer.get("dummy_data_param")
        memory = layer.get("memory_data_param")
        if dummy is not None and dummy.all("shape"):
            shape = dummy.all("shape")[0].all("dim")
        elif memory is not None:
            shape = [1, memory.get("channels"), memory.get("height"), memory.get("width")]
    if shape is None:
        crop = layer.get("transform_param", Message()).get("crop_size")
        example = f"{data}=1,3,{crop},{crop}" if crop else f"{data}=1,3,227,227"
        raise ModelImportError(
            f"data layer {name!r} reads its shape from a database, so the prototxt alone does not say it",
            where, f"give the shape, e.g. --input-shape {example}")
    _add_input(net, data, shape, where)


@handles("Convolution", "Deconvolution", fields={"convolution_param": _CONV_FIELDS})
def _convolution(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    p = layer.get("convolution_param") or Message()
    kernel = _window(p, "kernel", None)
    if kernel is None or p.get("num_output") is None:
        raise ModelImportError("convolution_param needs num_output and kernel_size", where)
    if p.get("axis", 1) != 1 or len(kernel) != 2:
        raise UnsupportedError("only 2D convolutions over channel axis 1 are supported", where)
    params: dict[str, Any] = {
        "filters": int(p.get("num_output")), "kernel_size": kernel, "strides": _window(p, "stride", 1),
        "padding": _padding(_window(p, "pad", 0)), "use_bias": bool(p.get("bias_term", True)),
    }
    dilation = p.all("dilation")
    if dilation:
        params["dilation_rate"] = [int(dilation[0])] * 2 if len(dilation) == 1 else [int(d) for d in dilation]
    if int(p.get("group", 1)) != 1:
        params["groups"] = int(p.get("group"))
    op = "Conv2D" if layer.get("type") in ("Convolution", "CONVOLUTION") else "Conv2DTranspose"
    _one_top(net, layer, net.add(op, params, _bottoms(layer)[:1], name, where))


@handles("Pooling", fields={"pooling_param": {"pool", "kernel_size", "kernel_h", "kernel_w", "stride", "stride_h",
                                              "stride_w", "pad", "pad_h", "pad_w", "global_pooling", "ceil_mode",
                                              "round_mode"}})
def _pooling(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    p = layer.get("pooling_param") or Message()
    method = p.get("pool", "MAX")
    method = {0: "MAX", 1: "AVE", 2: "STOCHASTIC"}.get(method, method)
    if method not in ("MAX", "AVE"):
        raise UnsupportedError(f"pooling method {method!r} is not supported", where, "use MAX or AVE")
    if p.get("global_pooling", False):
        op = "GlobalMaxPooling2D" if method == "MAX" else "GlobalAveragePooling2D"
        _one_top(net, layer, net.add(op, {"keepdims": True}, _bottoms(layer)[:1], name, where))
        return
    kernel = _window(p, "kernel", None)
    if kernel is None:
        raise ModelImportError("pooling_param needs kernel_size (or global_pooling)", where)
    ceil = p.get("ceil_mode", True) and p.get("round_mode", "CEIL") in ("CEIL", 0)
    params = {"pool_size": kernel, "strides": _window(p, "stride", 1), "padding": _padding(_window(p, "pad", 0)),
              "ceil_mode": bool(ceil)}
    op = "MaxPooling2D" if method == "MAX" else "AveragePooling2D"
    bottoms = _bottoms(layer)[:1]
    if bottoms and bottoms[0] in net.same_pool:  # after a -inf Pad: Keras' 'same' max pooling
        bottoms = [net.same_pool[bottoms[0]]]
        params.update(padding="same", ceil_mode=False)
    _one_top(net, layer, net.add(op, params, bottoms, name, where))


@handles("ReLU", fields={"relu_param": {"negative_slope"}})
def _relu(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    slope = float((layer.get("relu_param") or Message()).get("negative_slope", 0.0))
    op, params = ("LeakyReLU", {"negative_slope": slope}) if slope else ("ReLU", {})
    _one_top(net, layer, net.add(op, params, _bottoms(layer)[:1], name, where))


@handles("Sigmoid", "TanH", fields={"sigmoid_param": set(), "tanh_param": set()})
def _activation(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    fn = "sigmoid" if layer.get("type") in ("Sigmoid", "SIGMOID") else "tanh"
    _one_top(net, layer, net.add("Activation", {"activation": fn}, _bottoms(layer)[:1], name, where))


@handles("ELU", fields={"elu_param": {"alpha"}})
def _elu(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    alpha = float((layer.get("elu_param") or Message()).get("alpha", 1.0))
    _one_top(net, layer, net.add("ELU", {"alpha": alpha}, _bottoms(layer)[:1], name, where))


@handles("PReLU", fields={"prelu_param": {"channel_shared", "filler"}})
def _prelu(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    shared = bool((layer.get("prelu_param") or Message()).get("channel_shared", False))
    rank = net.shape_of(_bottoms(layer)[0], where).rank
    axes = list(range(1, rank + 1)) if shared else list(range(1, rank))
    _one_top(net, layer, net.add("PReLU", {"shared_axes": axes} if axes else {}, _bottoms(layer)[:1], name, where))


@handles("InnerProduct", fields={"inner_product_param": {"num_output", "bias_term", "axis", "transpose"}})
def _inner_product(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    p = layer.get("inner_product_param") or Message()
    bottom = _bottoms(layer)[0]
    rank = net.shape_of(bottom, where).rank
    axis = int(p.get("axis", 1))
    if axis not in (1, -1, 2) or (axis != 1 and rank != 2):
        raise UnsupportedError(f"inner_product_param.axis {axis} on a rank-{rank} input is not supported", where,
                               "axis 1 (flatten), or the last axis of a sequence (N, T, D)")
    source = [bottom]
    if axis == 1 and rank > 1:  # Caffe flattens implicitly; here it is a node of its own
        flat = net.add("Flatten", {}, [bottom], f"{name}/flatten", where)
        net.producer[f"{name}/flatten"] = flat
        source = [f"{name}/flatten"]
    params = {"units": int(p.get("num_output")), "use_bias": bool(p.get("bias_term", True))}
    _one_top(net, layer, net.add("Dense", params, source, name, where))


@handles("Dropout", fields={"dropout_param": {"dropout_ratio", "scale_train"}})
def _dropout(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    rate = float((layer.get("dropout_param") or Message()).get("dropout_ratio", 0.5))
    _one_top(net, layer, net.add("Dropout", {"rate": rate}, _bottoms(layer)[:1], name, where))


@handles("LRN", fields={"lrn_param": {"local_size", "alpha", "beta", "k", "norm_region"}})
def _lrn(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    p = layer.get("lrn_param") or Message()
    region = p.get("norm_region", "ACROSS_CHANNELS")
    params = {"size": int(p.get("local_size", 5)), "alpha": float(p.get("alpha", 1.0)),
              "beta": float(p.get("beta", 0.75)), "bias": float(p.get("k", 1.0)),
              "region": "within_channel" if region in ("WITHIN_CHANNEL", 1) else "across_channels"}
    _one_top(net, layer, net.add("LRN", params, _bottoms(layer)[:1], name, where))


@handles("Concat", fields={"concat_param": {"axis", "concat_dim"}})
def _concat(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    p = layer.get("concat_param") or Message()
    bottoms = _bottoms(layer)
    axis = int(p.get("axis", p.get("concat_dim", 1)))
    rank = net.shape_of(bottoms[0], where).rank
    _one_top(net, layer, net.add("Concatenate", {"axis": _axis(axis, rank)}, bottoms, name, where))


@handles("Eltwise", fields={"eltwise_param": {"operation", "coeff", "stable_prod_grad"}})
def _eltwise(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    p = layer.get("eltwise_param") or Message()
    operation = {0: "PROD", 1: "SUM", 2: "MAX"}.get(p.get("operation", "SUM"), p.get("operation", "SUM"))
    coeffs = [float(c) for c in p.all("coeff")]
    bottoms = _bottoms(layer)
    op = {"SUM": "Add", "PROD": "Multiply", "MAX": "Maximum"}[operation]
    if coeffs and operation == "SUM" and coeffs != [1.0] * len(bottoms):
        if coeffs == [1.0, -1.0]:
            op = "Subtract"
        else:
            raise UnsupportedError(f"Eltwise SUM with coefficients {coeffs} is not supported", where)
    _one_top(net, layer, net.add(op, {}, bottoms, name, where))


@handles("BatchNorm", fields={"batch_norm_param": {"use_global_stats", "moving_average_fraction", "eps"}})
def _batch_norm(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    p = layer.get("batch_norm_param") or Message()
    params = {"epsilon": float(p.get("eps", 1e-5)), "momentum": float(p.get("moving_average_fraction", 0.999)),
              "center": False, "scale": False, "moving_stats_factor": True}
    _one_top(net, layer, net.add("BatchNormalization", params, _bottoms(layer)[:1], name, where))


@handles("Scale", fields={"scale_param": {"axis", "num_axes", "bias_term", "bias_filler"}})
def _scale(net: _Net, layer: Message, name: str, where: str, rest: list[Message]) -> None:
    p = layer.get("scale_param") or Message()
    bottoms = _bottoms(layer)
    bias = bool(p.get("bias_term", False))
    if len(bottoms) == 2:  # x * s with s broadcast (squeeze-and-excitation)
        if bias:
            raise UnsupportedError("Scale with two bottoms and a bias is not supported", where)
        _one_top(net, layer, net.add("Multiply", {}, bottoms, name, where))
        return
    source = net.source_of(bottoms[0], where)
    node = net.graph.node(source)
    if (node.op == "BatchNormalization" and not node.params.get("scale") and not node.params.get("center")
            and p.get("axis", 1) == 1 and not _read_elsewhere(bottoms[0], layer, rest)):
        node.params.update(scale=True, center=bias)  # BatchNorm + Scale is one BatchNormalization
        node.name = f"{node.name}+{name}"
        _one_top(net, layer, source)
        return
    axis = _axis(int(p.get("axis", 1)), net.shape_of(bottoms[0], where).rank)
    _one_top(net, layer, net.add("Scale", {"axis": axis, "bias_term": bias}, bottoms, name, where))


def _read_elsewhere(blob: str, scale: Message, rest: list[Message]) -> bool:
    """Does a later layer read the BatchNorm's output before the Scale overwrites it? (not in place)"""
    if blob in _tops(scale):
        return False
    for layer in rest:
        if blob in _bottoms(layer):
            return True
        if blob in _tops(layer):
            return False
    return False


@handles("Softmax", fields={"softmax_param": {"axis", "engine"}})
def _softmax(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    bottom = _bottoms(layer)[0]
    axis = int((layer.get("softmax_param") or Message()).get("axis", 1))
    params = {"axis": _axis(axis, net.shape_of(bottom, where).rank)}
    _one_top(net, layer, net.add("Softmax", params, [bottom], name, where))


@handles("Flatten", fields={"flatten_param": {"axis", "end_axis"}})
def _flatten(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    p = layer.get("flatten_param") or Message()
    if p.get("axis", 1) != 1 or p.get("end_axis", -1) != -1:
        raise UnsupportedError("Flatten over part of the axes is not supported", where)
    _one_top(net, layer, net.add("Flatten", {}, _bottoms(layer)[:1], name, where))


@handles("Pad", fields={"pad_param": {"pad_u", "pad_d", "pad_l", "pad_r", "pad_value"}})
def _pad(net: _Net, layer: Message, name: str, where: str, rest: list[Message]) -> None:
    """The Caffe fork's padding layer, as our Caffe target writes it: zeros (Keras' asymmetric 'same'
    for a convolution), or -inf right before a MAX pooling (Keras' 'same' max pooling)."""
    p = layer.get("pad_param") or Message()
    pads = [int(p.get(k, 0)) for k in ("pad_u", "pad_d", "pad_l", "pad_r")]
    value = float(p.get("pad_value", 0.0))
    bottom, top = _bottoms(layer)[0], _tops(layer)[0]
    if value == 0.0:
        _one_top(net, layer, net.add("ZeroPadding2D", {"padding": pads}, [bottom], name, where))
        return
    pool = rest[0] if rest else Message()
    pool_param = pool.get("pooling_param") or Message()
    if value != float("-inf") or pool.get("type") != "Pooling" or _bottoms(pool)[:1] != [top] \
            or pool_param.get("pool", "MAX") not in ("MAX", 0):
        raise UnsupportedError("Pad with a non-zero value is supported only as -inf before a MAX pooling", where)
    pads, same = _pads_and_same(net.shape_of(bottom, where).shape, pool_param, pads)
    if pads != same:
        raise UnsupportedError(f"-inf padding {pads} is not Keras 'same' padding {same} of the next pooling", where)
    net.same_pool[top] = bottom


def _pads_and_same(shape: Sequence[int | None], pool: Message, extra: Sequence[int]) -> tuple[list[int], list[int]]:
    """A pooling's total pads (up, down, left, right: ``extra`` from a Pad layer plus the pooling's own
    symmetric pad) and the pads Keras' 'same' would use on this input."""
    kernel, stride = _window(pool, "kernel", 1), _window(pool, "stride", 1)
    ph, pw = _window(pool, "pad", 0)
    pads = [extra[0] + ph, extra[1] + ph, extra[2] + pw, extra[3] + pw]
    same = []
    for size, k, s_ in zip(shape[:2], kernel, stride, strict=True):
        total = max((-(-size // s_) - 1) * s_ + k - size, 0)
        same += [total // 2, total - total // 2]
    return pads, same


class _Wiring:
    """Who makes and who reads each blob, to recognise the multi-layer patterns our Caffe target writes."""

    def __init__(self, layers: list[Message]) -> None:
        self.layers = layers
        self.producer: dict[str, int] = {}
        self.readers: dict[str, int] = {}
        self.read_by: dict[str, list[int]] = {}
        for i, layer in enumerate(layers):
            for blob in _bottoms(layer):
                self.readers[blob] = self.readers.get(blob, 0) + 1
                self.read_by.setdefault(blob, []).append(i)
            for top in _tops(layer):
                self.producer[top] = i

    def made_by(self, blob: str, kind: str, readers: int = 1) -> int | None:
        """The one-top layer of ``kind`` making ``blob``, when exactly ``readers`` layers read it."""
        i = self.producer.get(blob)
        if i is None or self.layers[i].get("type") != kind or self.readers.get(blob, 0) != readers \
                or len(_tops(self.layers[i])) != 1:
            return None
        return i

    def only(self, blob: str, kind: str) -> int | None:
        """The layer of ``kind`` making ``blob``, read by the pattern only."""
        return self.made_by(blob, kind)

    def next(self, blob: str, kind: str) -> int | None:
        """The one layer reading ``blob``, when it is of ``kind`` and has one top."""
        readers = self.read_by.get(blob, [])
        if len(readers) != 1 or self.layers[readers[0]].get("type") != kind or len(_tops(self.layers[readers[0]])) != 1:
            return None
        return readers[0]

    def param(self, i: int, key: str) -> Message:
        return self.layers[i].get(key) or Message()

    def constant(self, i: int | None, value: float, dims: list[int]) -> bool:
        """Is layer ``i`` a DummyData of one constant blob of this shape?"""
        if i is None or self.layers[i].get("type") != "DummyData":
            return False
        p = self.param(i, "dummy_data_param")
        fillers, shapes = p.all("data_filler"), p.all("shape")
        return (len(fillers) == 1 and fillers[0].get("type") == "constant"
                and float(fillers[0].get("value", 0.0)) == value and len(shapes) == 1
                and [int(d) for d in shapes[0].all("dim")] == dims)


def _lstm_patterns(layers: list[Message]) -> tuple[set[int], dict[int, tuple[str, int, bool, str]]]:
    """Find Keras' LSTM as our Caffe target writes it: the input permuted to time-major, a
    continuation of 0 then 1s built from constants, Caffe's LSTM, then permuted back (every step) or
    the last step cropped. The last layer maps to (x, units, return_sequences, name of the LSTM layer);
    the other layers of the pattern are helpers, skipped. Any other LSTM use stays unsupported."""
    wiring = _Wiring(layers)
    helpers: set[int] = set()
    found: dict[int, tuple[str, int, bool, str]] = {}
    for index, layer in enumerate(layers):
        if layer.get("type") != "LSTM" or len(_bottoms(layer)) != 2 or len(_tops(layer)) != 1:
            continue
        x_tm, cont_blob = _bottoms(layer)
        units = int(wiring.param(index, "recurrent_param").get("num_output", 0))
        if wiring.param(index, "recurrent_param").get("expose_hidden", False):
            continue
        permute_in = wiring.made_by(x_tm, "Permute", readers=2)
        cont = wiring.only(cont_blob, "Scale")
        if permute_in is None or cont is None or not _is_time_swap(wiring, permute_in):
            continue
        per_step, mask_blob = [*_bottoms(layers[cont]), "", ""][:2]
        reduction = wiring.only(per_step, "Reduction")
        power = wiring.only(_bottoms(layers[reduction])[0], "Power") if reduction is not None else None
        if power is None or _bottoms(layers[power])[0] != x_tm or int(wiring.param(cont, "scale_param")
                                                                       .get("axis", 1)) != 0:
            continue
        pw, red = wiring.param(power, "power_param"), wiring.param(reduction, "reduction_param")
        if (float(pw.get("power", 1.0)), float(pw.get("scale", 1.0)), float(pw.get("shift", 0.0))) != (1.0, 0.0, 1.0) \
                or red.get("operation") not in ("MEAN", 4) or int(red.get("axis", 0)) != 2:
            continue
        mask = wiring.only(mask_blob, "Concat")
        if mask is None:
            mask = wiring.only(mask_blob, "DummyData")
        if mask is None:
            continue
        if layers[mask].get("type") == "Concat":
            parts = [wiring.only(b, "DummyData") for b in _bottoms(layers[mask])]
            rest = wiring.param(parts[1], "dummy_data_param").all("shape") if len(parts) == 2 and parts[1] is not None \
                else []
            steps = int(rest[0].all("dim")[0]) + 1 if rest and len(rest[0].all("dim")) == 1 else 0
            if len(parts) != 2 or not wiring.constant(parts[0], 0.0, [1]) \
                    or not wiring.constant(parts[1], 1.0, [steps - 1]):
                continue
            mask_layers = [mask, *parts]
        else:
            steps = 1
            if not wiring.constant(mask, 0.0, [1]):
                continue
            mask_layers = [mask]
        out = _lstm_output(wiring, _tops(layer)[0], units, steps)
        if out is None:
            continue
        last, return_sequences, tail = out
        helpers |= {permute_in, power, reduction, cont, index, *mask_layers, *tail}
        found[last] = (_bottoms(layers[permute_in])[0], units, return_sequences, str(layer.get("name", "")))
    return helpers, found


def _is_time_swap(wiring: _Wiring, i: int) -> bool:
    return [int(v) for v in wiring.param(i, "permute_param").all("order")] == [1, 0, 2]


def _lstm_output(wiring: _Wiring, seq: str, units: int, steps: int) -> tuple[int, bool, list[int]] | None:
    """(last layer, return_sequences, helper layers) after the LSTM, or None."""
    back = wiring.next(seq, "Permute")
    if back is None or not _is_time_swap(wiring, back):
        return None
    crop = wiring.next(_tops(wiring.layers[back])[0], "Crop")
    if crop is None:
        return back, True, []
    bottoms = _bottoms(wiring.layers[crop])
    ref = wiring.only(bottoms[1], "DummyData") if len(bottoms) == 2 else None
    p = wiring.param(crop, "crop_param")
    ref_dims = wiring.param(ref, "dummy_data_param").all("shape") if ref is not None else []
    if ref is None or int(p.get("axis", 2)) != 1 or [int(v) for v in p.all("offset")] != [steps - 1, 0] \
            or not ref_dims or [int(d) for d in ref_dims[0].all("dim")][1:] != [1, units]:
        return None
    reshape = wiring.next(_tops(wiring.layers[crop])[0], "Reshape")
    dims = wiring.param(reshape, "reshape_param").get("shape") if reshape is not None else None
    if reshape is None or dims is None or [int(d) for d in dims.all("dim")] != [0, -1]:
        return None
    return reshape, False, [back, ref, crop]


def _same_average_pools(layers: list[Message]) -> tuple[set[int], dict[int, tuple[str, Message, list[int]]]]:
    """Find Keras' 'same' average pooling as our Caffe target writes it exactly (Caffe's AVE divides by
    the whole window, Keras by its real pixels): the window sums of x, scaled per pixel by the
    reciprocal of the pooled ones of a constant blob. The last layer (a two-bottom Scale) maps to
    (x, pooling_param, extra zero pads); the other layers of the pattern are helpers, skipped."""
    wiring = _Wiring(layers)
    only = wiring.only

    def zero_pads(blob: str) -> tuple[str, list[int], int | None]:
        i = only(blob, "Pad")
        if i is None:
            return blob, [0, 0, 0, 0], None
        p = layers[i].get("pad_param") or Message()
        if float(p.get("pad_value", 0.0)) != 0.0:
            return blob, [0, 0, 0, 0], None
        return _bottoms(layers[i])[0], [int(p.get(k, 0)) for k in ("pad_u", "pad_d", "pad_l", "pad_r")], i

    helpers: set[int] = set()
    found: dict[int, tuple[str, Message, list[int]]] = {}
    for index, scale in enumerate(layers):
        bottoms = _bottoms(scale)
        if scale.get("type") != "Scale" or len(bottoms) != 2:
            continue
        reshape = only(bottoms[1], "Reshape")
        power = only(_bottoms(layers[reshape])[0], "Power") if reshape is not None else None
        power_p = layers[power].get("power_param") or Message() if power is not None else Message()
        if power is None or float(power_p.get("power", 1.0)) != -1.0 or float(power_p.get("scale", 1.0)) != 1.0 \
                or float(power_p.get("shift", 0.0)) != 0.0:
            continue
        share = only(_bottoms(layers[power])[0], "Pooling")
        window = only(bottoms[0], "Pooling")
        if share is None or window is None:
            continue
        pool = layers[window].get("pooling_param") or Message()
        same_param = pool.fields == (layers[share].get("pooling_param") or Message()).fields
        if not same_param or pool.get("pool") not in ("AVE", 1):
            continue
        ones_blob, ones_pads, ones_pad = zero_pads(_bottoms(layers[share])[0])
        x, pads, x_pad = zero_pads(_bottoms(layers[window])[0])
        ones = only(ones_blob, "DummyData")
        fillers = (layers[ones].get("dummy_data_param") or Message()).all("data_filler") if ones is not None else []
        if ones is None or pads != ones_pads or len(fillers) != 1 or fillers[0].get("type") != "constant" \
                or float(fillers[0].get("value", 0.0)) != 1.0:
            continue
        helpers |= {i for i in (reshape, power, share, window, ones, ones_pad, x_pad) if i is not None}
        found[index] = (x, pool, pads)
    return helpers, found


def _same_average(net: _Net, layer: Message, x: str, pool: Message, extra: list[int], name: str, where: str) -> None:
    pads, same = _pads_and_same(net.shape_of(x, where).shape, pool, extra)
    if pads != same:
        raise UnsupportedError(f"average pooling pads {pads} are not Keras 'same' pads {same}", where)
    params = {"pool_size": _window(pool, "kernel", 1), "strides": _window(pool, "stride", 1), "padding": "same",
              "ceil_mode": False}
    _one_top(net, layer, net.add("AveragePooling2D", params, [x], name, where))


@handles("Reshape", fields={"reshape_param": {"shape", "axis", "num_axes"}})
def _reshape(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    p = layer.get("reshape_param") or Message()
    if p.get("axis", 0) != 0 or p.get("num_axes", -1) != -1:
        raise UnsupportedError("Reshape of part of the axes is not supported", where)
    bottom = _bottoms(layer)[0]
    caffe_in = [None, *_ours_to_caffe(net.shape_of(bottom, where))]
    dims = [int(d) for d in (p.get("shape") or Message()).all("dim")]
    target = [caffe_in[i] if d == 0 else d for i, d in enumerate(dims)]
    if not target or (target[0] is not None and target[0] != -1 and dims[0] != 0 and target[0] != 1):
        raise UnsupportedError(f"Reshape to {dims} changes the batch axis", where)
    target = [-1 if d is None else d for d in target[1:]]
    if len(target) >= 3:
        target = [*target[1:], target[0]]
    _one_top(net, layer, net.add("Reshape", {"target_shape": target}, [bottom], name, where))


@handles("Split", fields={"split_param": set()})
def _split(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    source = net.source_of(_bottoms(layer)[0], where)
    for top in _tops(layer):
        net.producer[top] = source


@handles("Embed", fields={"embed_param": {"input_dim", "num_output", "bias_term"}})
def _embed(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    p = layer.get("embed_param") or Message()
    if p.get("bias_term", True):
        raise UnsupportedError("Embed with bias_term (Caffe's default) has no equivalent here", where,
                               "set bias_term: false")
    params = {"input_dim": int(p.get("input_dim")), "output_dim": int(p.get("num_output"))}
    bottom = _bottoms(layer)[0]
    source = net.graph.node(net.source_of(bottom, where))
    if source.op == "Input":  # Caffe blobs are float; what feeds an Embed holds token ids
        source.params["dtype"] = "int32"
        net.types[source.id] = TensorType(net.types[source.id].shape, "int32")
    _one_top(net, layer, net.add("Embedding", params, [bottom], name, where))


@handles("LSTM", "RNN", fields={"recurrent_param": {"num_output", "expose_hidden", "debug_info"}})
def _recurrent(net: _Net, layer: Message, name: str, where: str, _rest: list[Message]) -> None:
    raise UnsupportedError(
        "Caffe recurrent layers read time-major blobs (T, N, ...) with sequence-continuation markers; "
        "that layout is not supported yet", where, "describe the network in Keras JSON or ONNX instead")
