"""Keras model JSON (Keras 1.x, 2.x, 3; Sequential, functional, nested) and ``.keras`` files to a graph.

Only the architecture is read. Lambda layers keep their place and declared shape, never their code:
a model file is untrusted input, and its marshalled bytecode must never be loaded.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlp2c.common.catalog import CATALOG
from dlp2c.common.errors import Dlp2cError, ModelImportError, UnsupportedError
from dlp2c.common.graph import Graph, Provenance
from dlp2c.common.registry import Registry

MODEL_CLASSES = ("Sequential", "Model", "Functional")
_KERAS1_RNN = {"output_dim": "units", "inner_activation": "recurrent_activation", "dropout_W": "dropout",
               "dropout_U": "recurrent_dropout"}


@dataclass
class _Context:
    graph: Graph
    keras_version: str
    channels_first: bool = False

    @property
    def major(self) -> int:
        match = re.match(r"(\d+)", self.keras_version or "3")
        return int(match.group(1)) if match else 3


def import_keras(source: str | Path | Mapping[str, Any], *, name: str | None = None) -> Graph:
    """A Keras model (a JSON text, a parsed dict, or a path to ``.json`` / ``.keras``) as a graph."""
    if isinstance(source, Mapping):
        obj = source
        label = name or "model"
    else:
        path = Path(source)
        label = name or path.stem
        obj = _read(path)
    if not isinstance(obj, Mapping) or "class_name" not in obj or "config" not in obj:
        raise ModelImportError("not a Keras model JSON: expected an object with 'class_name' and 'config'",
                               str(source) if not isinstance(source, Mapping) else "model")
    if obj["class_name"] not in MODEL_CLASSES:
        raise UnsupportedError(f"Keras model class {obj['class_name']!r} is not supported",
                               "model", f"use one of {', '.join(MODEL_CLASSES)}")
    config = obj["config"]
    graph_name = (config.get("name") if isinstance(config, Mapping) else None) or label
    ctx = _Context(Graph(str(graph_name)), str(obj.get("keras_version", "3")))
    ctx.channels_first = _uses_channels_first(obj)
    _import_model(obj, ctx, prefix="", feeds=None)
    _ids_into_embeddings(ctx.graph)
    return ctx.graph


def _ids_into_embeddings(graph: Graph) -> None:
    """Keras declares the input of an Embedding as float32 and casts; here token ids are int32."""
    feeds = graph.inputs_of()
    fed_to_embedding = {src for node in graph.nodes if node.op == "Embedding" for src in feeds[node.id]}
    for node in graph.nodes:
        if node.op == "Input" and node.id in fed_to_embedding and not node.params["dtype"].startswith("int"):
            node.params["dtype"] = "int32"


def _read(path: Path) -> Any:
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                if "config.json" not in archive.namelist():
                    raise ModelImportError("a .keras archive must contain config.json", str(path))
                info = archive.getinfo("config.json")
                if info.file_size > 64 * 1024 * 1024:
                    raise ModelImportError("config.json is larger than 64 MiB", str(path))
                return json.loads(archive.read(info))
        if path.suffix in (".h5", ".hdf5"):
            raise UnsupportedError("HDF5 Keras files are not read directly", str(path),
                                   "save the architecture with model.to_json() or model.save('m.keras')")
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelImportError(f"not valid JSON: {exc.msg} at line {exc.lineno}", str(path)) from None
    except UnicodeDecodeError:
        raise ModelImportError("not a text file", str(path)) from None


def _uses_channels_first(obj: Any) -> bool:
    def walk(x: Any) -> Iterator[Any]:
        if isinstance(x, Mapping):
            yield x
            for v in x.values():
                yield from walk(v)
        elif isinstance(x, list):
            for v in x:
                yield from walk(v)
    return any(d.get("data_format") == "channels_first" or d.get("dim_ordering") == "th" for d in walk(obj))


def _layers_of(model: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    config = model["config"]
    layers = config if isinstance(config, list) else config.get("layers")
    if not isinstance(layers, list):
        raise ModelImportError("model config has no layer list", f"model {model.get('class_name')}")
    return layers


def _import_model(model: Mapping[str, Any], ctx: _Context, prefix: str, feeds: list[str] | None) -> list[str]:
    """Add a (possibly nested) model's layers; returns the node ids of its outputs."""
    layers = _layers_of(model)
    config = model["config"]
    functional = model["class_name"] != "Sequential" and isinstance(config, Mapping) and any(
        "inbound_nodes" in layer for layer in layers)
    if functional:
        return _import_functional(config, layers, ctx, prefix, feeds)
    return _import_sequential(model, layers, ctx, prefix, feeds)


def _import_sequential(model: Mapping[str, Any], layers: list[Mapping[str, Any]], ctx: _Context, prefix: str,
                       feeds: list[str] | None) -> list[str]:
    current = feeds
    config = model["config"]
    build_shape = config.get("build_input_shape") if isinstance(config, Mapping) else None
    for index, layer in enumerate(layers):
        where = f"{prefix}layers[{index}] ({layer.get('class_name')})"
        cfg = layer.get("config", {})
        if layer.get("class_name") in MODEL_CLASSES:
            current = _import_model(layer, ctx, _nested_prefix(layer, prefix), current)
            continue
        if layer.get("class_name") == "InputLayer" and current is not None:
            continue  # a nested Sequential's own input: the outer tensor takes its place
        if current is None:
            shape = _batch_shape(cfg) or (build_shape if index == 0 else None)
            if shape is None:
                raise ModelImportError("the first layer does not state its input shape", where,
                                       "the model was saved before it was built; build it, then save again")
            current = [_add_input(ctx, cfg, shape, prefix, layer.get("class_name") == "InputLayer")]
            if layer.get("class_name") == "InputLayer":
                continue
        current = _add_layer(layer, ctx, prefix, current, where)
    if current is None:
        raise ModelImportError("the model has no layers", prefix or "model")
    return current


def _import_functional(config: Mapping[str, Any], layers: list[Mapping[str, Any]], ctx: _Context, prefix: str,
                       feeds: list[str] | None) -> list[str]:
    input_names = [entry[0] for entry in _as_entries(config.get("input_layers", []))]
    outputs: dict[str, list[str]] = {}
    for index, layer in enumerate(layers):
        where = f"{prefix}layers[{index}] ({layer.get('class_name')} {layer.get('name', '')!r})"
        lname = layer.get("name") or layer.get("config", {}).get("name")
        if layer.get("class_name") == "InputLayer":
            if feeds is not None:  # nested model: its inputs are the outer tensors
                outputs[lname] = [feeds[input_names.index(lname)] if lname in input_names else feeds[0]]
            else:
                shape = _batch_shape(layer["config"])
                if shape is None:
                    raise ModelImportError("InputLayer has no shape", where)
                outputs[lname] = [_add_input(ctx, layer["config"], shape, prefix, True)]
            continue
        calls = layer.get("inbound_nodes", [])
        if len(calls) != 1:
            raise UnsupportedError(f"layer {lname!r} is called {len(calls)} times; shared layers are not supported",
                                   where, "give each call its own layer")
        sources = []
        for src_name, _node_index, tensor_index in _inbound(calls[0], where):
            if src_name not in outputs:
                raise ModelImportError(f"input {src_name!r} is not defined before it is used", where)
            if tensor_index >= len(outputs[src_name]):
                raise UnsupportedError(f"layer {src_name!r} has several outputs, which graphs here do not carry",
                                       where)
            sources.append(outputs[src_name][tensor_index])
        outputs[lname] = _add_layer(layer, ctx, prefix, sources, where)
    result = []
    for entry in _as_entries(config.get("output_layers", [])):
        result.append(outputs[entry[0]][entry[2] if len(entry) > 2 else 0])
    return result


def _as_entries(value: Any) -> list[list[Any]]:
    """Keras writes one input/output as [name, 0, 0] and several as [[name, 0, 0], ...]."""
    if value and isinstance(value[0], str):
        return [value]
    return list(value)


def _inbound(call: Any, where: str) -> list[tuple[str, int, int]]:
    """The (layer, node, tensor) references of one call, Keras 2 list form or Keras 3 args form."""
    if isinstance(call, Mapping):  # Keras 3
        refs: list[tuple[str, int, int]] = []

        def walk(x: Any) -> None:
            if isinstance(x, Mapping):
                if x.get("class_name") == "__keras_tensor__":
                    name, node, tensor = x["config"]["keras_history"]
                    refs.append((name, node, tensor))
                    return
                for v in x.values():
                    walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)
        walk(call.get("args", []))
        walk(call.get("kwargs", {}))
        return refs
    if isinstance(call, list):  # Keras 1/2: [[name, node_index, tensor_index, kwargs], ...]
        return [(entry[0], entry[1], entry[2]) for entry in call]
    raise ModelImportError(f"cannot read inbound node {call!r}", where)


def _batch_shape(cfg: Mapping[str, Any]) -> list[Any] | None:
    for key in ("batch_shape", "batch_input_shape"):
        if cfg.get(key) is not None:
            return list(cfg[key])[1:]
    if cfg.get("input_shape") is not None:
        return list(cfg["input_shape"])
    return None


def _add_input(ctx: _Context, cfg: Mapping[str, Any], shape: list[Any], prefix: str, named: bool) -> str:
    shape = [None if d is None else int(d) for d in shape]
    if ctx.channels_first and len(shape) >= 3:
        shape = [*shape[1:], shape[0]]
    dtype = cfg.get("dtype") or cfg.get("input_dtype") or "float32"
    if isinstance(dtype, Mapping):
        dtype = dtype.get("config", {}).get("name", "float32")
    if dtype not in ("float32", "float16", "float64", "int32", "int64"):
        dtype = "float32"
    name = prefix + (cfg.get("name", "input") if named else "input")
    node_id = ctx.graph.unique_id(name)
    return ctx.graph.add("Input", {"shape": shape, "dtype": dtype}, name=name, id=node_id,
                         provenance=Provenance("model_file", f"keras layer {name}"))


def _nested_prefix(layer: Mapping[str, Any], prefix: str) -> str:
    cfg = layer.get("config")
    inner_name = cfg.get("name") if isinstance(cfg, Mapping) else None
    return f"{prefix}{inner_name or layer.get('name') or 'model'}/"


def _add_layer(layer: Mapping[str, Any], ctx: _Context, prefix: str, sources: list[str], where: str) -> list[str]:
    class_name = layer.get("class_name")
    cfg = layer.get("config", {})
    if class_name in MODEL_CLASSES:  # nested model: inline its layers
        return _import_model(layer, ctx, _nested_prefix(layer, prefix), sources)
    op, params = convert_layer(layer, ctx.major, ctx.channels_first, where)
    name = prefix + str(cfg.get("name", layer.get("name", class_name)))
    try:
        node_id = ctx.graph.add(op, params, inputs=sources, name=name, id=ctx.graph.unique_id(name),
                                provenance=Provenance("model_file", f"keras layer {name}"))
    except Dlp2cError as exc:
        exc.where = f"{where}: {exc.where}" if exc.where else where
        raise
    return [node_id]


# --- one converter per Keras class ---------------------------------------------------------------

Converter = Callable[[dict[str, Any], int, bool, str], tuple[str, dict[str, Any]]]
_CONVERTERS: Registry[Converter] = Registry("Keras layer converter")
converter = _CONVERTERS.register
_RENAMED = {  # Keras 1 and 2 class names that are another op here
    "Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
    "Deconvolution2D": "Conv2DTranspose", "AtrousConvolution2D": "Conv2D",
    "SeparableConvolution2D": "SeparableConv2D", "CustomScaleLayer": "ScaledAdd",
    "MaxPool2D": "MaxPooling2D", "AvgPool2D": "AveragePooling2D", "MaxPool1D": "MaxPooling1D",
    "AvgPool1D": "AveragePooling1D", "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D", "Concat": "Concatenate",
}
_KERAS1_KEYS = {"nb_filter": "filters", "subsample": "strides", "border_mode": "padding", "bias": "use_bias",
                "output_dim": "units", "p": "rate", "subsample_length": "strides", "filter_length": "kernel_size",
                "atrous_rate": "dilation_rate", "pool_length": "pool_size", "stride": "strides"}


def convert_layer(layer: Mapping[str, Any], major: int, channels_first: bool, where: str) -> tuple[str, dict[str, Any]]:
    """One Keras layer config as (op, params) of the catalog."""
    class_name = str(layer.get("class_name"))
    cfg = dict(layer.get("config", {}))
    if major < 2:
        cfg = _keras1(cfg, class_name)
    fn = _CONVERTERS.get(class_name)
    if fn is not None:
        return fn(cfg, major, channels_first, where)
    op = _RENAMED.get(class_name, class_name)
    if op not in CATALOG:
        raise UnsupportedError(f"Keras layer {class_name!r} is not supported", where,
                               "replace it with supported layers (see `dlp2c ops`)", layer=class_name)
    return op, _pick(op, cfg, channels_first, where)


def _keras1(cfg: dict[str, Any], class_name: str) -> dict[str, Any]:
    """Keras 1 spelled most parameters differently (nb_filter, subsample, border_mode, output_dim, ...)."""
    renames = {**_KERAS1_KEYS, **_KERAS1_RNN}
    if class_name == "Embedding":
        renames.pop("output_dim")
    out = {renames.get(k, k): v for k, v in cfg.items()}
    if "nb_row" in cfg:
        out["kernel_size"] = [cfg["nb_row"], cfg["nb_col"]]
    return out


def _pick(op: str, cfg: Mapping[str, Any], channels_first: bool, where: str) -> dict[str, Any]:
    """The catalog's params of ``op`` that the config sets (Keras names are ours by design)."""
    spec = CATALOG.get(op)
    params = {}
    for name in spec.param_index:
        if name in cfg and cfg[name] is not None:
            params[name] = cfg[name]
    if isinstance(params.get("activation"), Mapping):
        raise UnsupportedError(f"custom activation {params['activation'].get('class_name')!r} is not supported",
                               where)
    if "axis" in params and isinstance(params["axis"], list) and spec.param_index["axis"].kind.value == "int":
        params["axis"] = params["axis"][0] if len(params["axis"]) == 1 else params["axis"]
    if channels_first and params.get("axis") == 1:
        params["axis"] = -1
    if op == "Dropout" and params.get("noise_shape") is not None:
        params["noise_shape"] = list(params["noise_shape"])[1:]
    return params


def _flat_pairs(value: Any) -> Any:
    """((top, bottom), (left, right)) or (h, w) or n, as the flat list our ops take."""
    if isinstance(value, int):
        return value
    if all(isinstance(v, int) for v in value):
        return [v for v in value for _ in (0, 1)]
    return [int(v) for pair in value for v in pair]


@converter("ZeroPadding2D")
def _zero_padding_2d(cfg: dict[str, Any], _m: int, _cf: bool, _w: str) -> tuple[str, dict[str, Any]]:
    return "ZeroPadding2D", {"padding": _flat_pairs(cfg.get("padding", 1))}


@converter("ZeroPadding1D")
def _zero_padding_1d(cfg: dict[str, Any], _m: int, _cf: bool, _w: str) -> tuple[str, dict[str, Any]]:
    return "ZeroPadding1D", {"padding": cfg.get("padding", 1)}


@converter("Cropping2D")
def _cropping(cfg: dict[str, Any], _m: int, _cf: bool, _w: str) -> tuple[str, dict[str, Any]]:
    return "Cropping2D", {"cropping": _flat_pairs(cfg.get("cropping", 0))}


@converter("Lambda")
def _lambda(cfg: dict[str, Any], _m: int, _cf: bool, _w: str) -> tuple[str, dict[str, Any]]:
    shape = cfg.get("output_shape")
    params: dict[str, Any] = {"function": str(cfg.get("function_type") or "lambda")}
    if isinstance(shape, list) and all(d is None or isinstance(d, int) for d in shape):
        params["output_shape"] = shape
    return "Lambda", params


@converter("GRU")
def _gru(cfg: dict[str, Any], major: int, cf: bool, where: str) -> tuple[str, dict[str, Any]]:
    params = _pick("GRU", cfg, cf, where)
    if "reset_after" not in cfg:  # Keras 1 and 2 computed the reset gate before the matmul
        params["reset_after"] = major >= 3
    return "GRU", params


def _wrapped(cfg: dict[str, Any], major: int, cf: bool, where: str) -> dict[str, Any]:
    inner = cfg.get("layer")
    if not isinstance(inner, Mapping):
        raise ModelImportError("wrapper without a wrapped layer", where)
    op, params = convert_layer(inner, major, cf, f"{where}.layer")
    return {"layer": {"op": op, "params": params}}


@converter("Bidirectional")
def _bidirectional(cfg: dict[str, Any], major: int, cf: bool, where: str) -> tuple[str, dict[str, Any]]:
    if cfg.get("merge_mode", "concat") is None:
        raise UnsupportedError("Bidirectional with merge_mode=None has two outputs", where, "use merge_mode 'concat'")
    if cfg.get("backward_layer") is not None:
        raise UnsupportedError("Bidirectional with a separate backward_layer is not supported", where)
    return "Bidirectional", {**_wrapped(cfg, major, cf, where), "merge_mode": cfg.get("merge_mode", "concat")}


@converter("TimeDistributed")
def _time_distributed(cfg: dict[str, Any], major: int, cf: bool, where: str) -> tuple[str, dict[str, Any]]:
    return "TimeDistributed", _wrapped(cfg, major, cf, where)


@converter("Activation")
def _activation(cfg: dict[str, Any], _m: int, _cf: bool, where: str) -> tuple[str, dict[str, Any]]:
    act = cfg.get("activation")
    if isinstance(act, Mapping):
        raise UnsupportedError(f"custom activation {act.get('class_name')!r} is not supported", where)
    return "Activation", {"activation": act}


@converter("ReLU")
def _relu(cfg: dict[str, Any], _m: int, cf: bool, where: str) -> tuple[str, dict[str, Any]]:
    params = _pick("ReLU", cfg, cf, where)
    if "negative_slope" not in params and cfg.get("alpha") is not None:
        params["negative_slope"] = cfg["alpha"]
    return "ReLU", params


@converter("LeakyReLU")
def _leaky(cfg: dict[str, Any], _m: int, _cf: bool, _w: str) -> tuple[str, dict[str, Any]]:
    slope = cfg.get("negative_slope", cfg.get("alpha", 0.3))
    return "LeakyReLU", {"negative_slope": slope}


@converter("Reshape")
def _reshape(cfg: dict[str, Any], _m: int, cf: bool, where: str) -> tuple[str, dict[str, Any]]:
    target = list(cfg.get("target_shape", []))
    if cf and len(target) >= 3:
        raise UnsupportedError("Reshape to an image in a channels_first model is not supported", where,
                               "save the model with data_format='channels_last'")
    return "Reshape", {"target_shape": target}
