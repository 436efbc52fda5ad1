"""Keras 3: a functional-API ``model.py`` with ``build_model()`` and a smoke run in ``__main__``.

The graph's op and parameter names follow Keras, so most layers are written as
``layers.<Op>(<the parameters the graph set>, name=...)``. Ops Keras lacks (Caffe's Scale and LRN,
Inception-ResNet's scaled residual) get a small layer class in the generated file.
"""

from __future__ import annotations

from typing import Any

from dlp2c.codegen.layout import cf_shape, window_pads
from dlp2c.codegen.names import comment
from dlp2c.codegen.plan import Plan, Step
from dlp2c.codegen.pyexpr import Raw, call, kwargs_except, lit
from dlp2c.codegen.registry import EmitterRegistry, refuse

TARGET = "keras"
EMITTERS = EmitterRegistry(TARGET)

# Parameters of the graph that are not Keras arguments.
_NOT_KERAS = ("ceil_mode", "moving_stats_factor")

# Ops whose Keras class has the op's name and takes the catalog's parameters as they are.
_PLAIN = (
    "Dense", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Dropout", "Conv2DTranspose",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
    "BatchNormalization", "LayerNormalization", "Normalization", "Rescaling",
    "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
    "Flatten", "Reshape", "Permute", "RepeatVector", "UpSampling2D",
    "Embedding", "SimpleRNN", "LSTM", "GRU",
)

HELPERS: dict[str, str] = {
    "ChannelScale": '''
class ChannelScale(layers.Layer):
    """Learned per-channel scale and optional bias (Caffe's Scale layer)."""

    def __init__(self, axis=-1, bias_term=False, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.bias_term = axis, bias_term

    def build(self, input_shape):
        size = input_shape[self.axis]
        self.gamma = self.add_weight(shape=(size,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(size,), initializer="zeros", name="beta") if self.bias_term else None

    def call(self, x):
        shape = [1] * len(x.shape)
        shape[self.axis] = -1
        y = x * ops.reshape(self.gamma, shape)
        return y + ops.reshape(self.beta, shape) if self.beta is not None else y
''',
    "LRN": '''
class LRN(layers.Layer):
    """Local response normalisation as Caffe defines it (channels last), across or within channels."""

    def __init__(self, size=5, alpha=1e-4, beta=0.75, bias=1.0, region="across_channels", **kwargs):
        super().__init__(**kwargs)
        self.size, self.alpha, self.beta, self.bias, self.region = size, alpha, beta, bias, region

    def call(self, x):
        if self.region == "within_channel":  # mean of squares over a size x size window, shift 1
            pad = (self.size - 1) // 2
            squares = ops.pad(ops.square(x), [[0, 0], [pad, pad], [pad, pad], [0, 0]])
            mean = ops.average_pool(squares, self.size, 1, padding="valid")
            return x * ops.power(1.0 + self.alpha * mean, -self.beta)
        channels = x.shape[-1]
        before = (self.size - 1) // 2
        pads = [[0, 0]] * (len(x.shape) - 1) + [[before, self.size - 1 - before]]
        squares = ops.pad(ops.square(x), pads)
        window = sum(squares[..., i:i + channels] for i in range(self.size))
        return x / ops.power(self.bias + (self.alpha / self.size) * window, self.beta)
''',
    "ScaledAdd": '''
class ScaledAdd(layers.Layer):
    """inputs[0] + scale * inputs[1]: the scaled residual of Inception-ResNet."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + self.scale * inputs[1]
''',
    "CaffeAveragePooling2D": '''
class CaffeAveragePooling2D(layers.Layer):
    """Caffe's average pooling: padding counts in the divisor, the overhang of rounding up does not."""

    def __init__(self, pool_size, strides, pads, extra, **kwargs):
        super().__init__(**kwargs)
        self.pool_size, self.strides, self.pads, self.extra = pool_size, strides, pads, extra

    def call(self, x):
        (pt, pl), (et, el) = self.pads, self.extra
        padded = ops.pad(x, [[0, 0], [pt, pt + et], [pl, pl + el], [0, 0]])
        ones = ops.ones((1, x.shape[1] + 2 * pt, x.shape[2] + 2 * pl, 1), dtype=x.dtype)
        counted = ops.pad(ones, [[0, 0], [0, et], [0, el], [0, 0]])
        mean = ops.average_pool(padded, self.pool_size, self.strides, padding="valid")
        return mean / ops.average_pool(counted, self.pool_size, self.strides, padding="valid")
''',
    "ConstantPad": '''
class ConstantPad(layers.Layer):
    """Pad the spatial axes with a constant (-inf before max pooling, so padding never wins)."""

    def __init__(self, padding, value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.padding, self.value = [tuple(p) for p in padding], value

    def call(self, x):
        return ops.pad(x, [(0, 0), *self.padding, (0, 0)], constant_values=self.value)
''',
}


class KerasWriter:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.helpers: set[str] = set()

    def assign(self, step_or_var: Step | str, layer: str, inputs: str, note: str = "") -> None:
        var = step_or_var.name if isinstance(step_or_var, Step) else step_or_var
        if note:
            self.lines.append(f"# {comment(note)}")
        self.lines.append(f"{var} = {layer}({inputs})")


def _inputs(s: Step) -> str:
    return s.inputs[0] if len(s.inputs) == 1 else "[" + ", ".join(s.inputs) + "]"


def _plain_kwargs(op: str, given: dict[str, Any]) -> dict[str, Any]:
    kw = kwargs_except(given, *_NOT_KERAS)
    if op == "UpSampling1D" and "size" in kw:
        kw["size"] = kw["size"][0] if isinstance(kw["size"], list) else kw["size"]
    return kw


def layer_expr(op: str, given: dict[str, Any], name: str | None = None) -> str:
    """``layers.Op(...)`` for a plain op or a wrapper around one."""
    kw = _plain_kwargs(op, given)
    if op in ("Bidirectional", "TimeDistributed"):
        inner = kw.pop("layer")
        if inner["op"] not in _PLAIN and inner["op"] not in ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D",
                                                             "SeparableConv2D", "MaxPooling1D", "MaxPooling2D",
                                                             "AveragePooling1D", "AveragePooling2D"):
            raise ValueError(inner["op"])
        kw = {"layer": Raw(layer_expr(inner["op"], inner["params"])), **kw}
    if name is not None:
        kw["name"] = name
    return call(f"layers.{op}", **kw)


@EMITTERS.emits("Input")
def _input(s: Step, k: KerasWriter) -> None:
    kw: dict[str, Any] = {"shape": tuple(s.out.shape)}
    if s.out.dtype != "float32":
        kw["dtype"] = s.out.dtype
    k.lines.append(f"{s.name} = {call('keras.Input', **kw, name=s.name)}")


@EMITTERS.emits(*_PLAIN, "UpSampling1D", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D")
def _plain(s: Step, k: KerasWriter) -> None:
    given = dict(s.given)
    if s.op in ("ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D"):
        key = "padding" if s.op.startswith("Zero") else "cropping"
        flat = s.params[key]
        given[key] = tuple((flat[i], flat[i + 1]) for i in range(0, len(flat), 2))
        if s.op.endswith("1D"):
            given[key] = given[key][0]
    if s.op == "Conv2DTranspose":
        if s.params["groups"] != 1:
            raise refuse(s, TARGET, "with groups > 1", "Keras' Conv2DTranspose has no groups")
        if not isinstance(s.params["padding"], str):
            raise refuse(s, TARGET, "with explicit pixel padding (Caffe's Deconvolution pad)",
                         "use padding 'valid' and a Cropping2D after it")
        given.pop("groups", None)
    k.assign(s, layer_expr(s.op, given, s.name), _inputs(s))


@EMITTERS.emits("Bidirectional", "TimeDistributed")
def _wrapper(s: Step, k: KerasWriter) -> None:
    try:
        expr = layer_expr(s.op, dict(s.given), s.name)
    except ValueError as exc:
        raise refuse(s, TARGET, f"around {exc}", "wrap a layer Keras has built in") from None
    k.assign(s, expr, _inputs(s))


def _explicit_padding(s: Step, k: KerasWriter, kernel: tuple[int, ...], strides: tuple[int, ...],
                      dilation: tuple[int, ...], max_pool: bool) -> str | None:
    """Pad before a 'valid' window op when the graph pads by pixel counts or rounds up (Caffe)."""
    padding, ceil = s.params["padding"], s.params.get("ceil_mode", False)
    if isinstance(padding, str) and not ceil:
        return None
    if isinstance(padding, str) and padding != "valid":
        raise refuse(s, TARGET, f"with padding {padding!r} and ceil_mode", "use explicit pixel padding")
    spatial = s.t.shape[:-1]
    pads = [window_pads(size, kk, st, "valid" if isinstance(padding, str) else p, d, ceil)
            for size, kk, st, p, d in zip(spatial, kernel, strides,
                                          padding if not isinstance(padding, str) else [0] * len(kernel),
                                          dilation, strict=True)]
    if not any(b or a for b, a in pads):
        return None
    var = f"{s.name}_pad"
    if max_pool:
        k.helpers.add("ConstantPad")
        k.assign(var, call("ConstantPad", tuple(pads), value=float("-inf"), name=var), s.x)
    else:
        zero = f"layers.ZeroPadding{len(kernel)}D"
        arg = tuple(pads) if len(pads) > 1 else pads[0]
        k.assign(var, call(zero, arg, name=var), s.x)
    return var


@EMITTERS.emits("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D")
def _conv(s: Step, k: KerasWriter) -> None:
    p = s.params
    source = _explicit_padding(s, k, p["kernel_size"], p["strides"], p["dilation_rate"], max_pool=False)
    given = dict(s.given)
    if source is not None:
        given["padding"] = "valid"
    k.assign(s, layer_expr(s.op, given, s.name), source or s.x)


def _caffe_average(s: Step, k: KerasWriter, kernel: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """Average pooling whose rounded-up windows overhang the padded edge: Caffe does not count the
    overhang, Keras would. Written with a helper layer; False when the plain route is exact."""
    padding = s.params["padding"]
    if not s.params["ceil_mode"] or padding == "same":
        return False
    given = [0] * len(kernel) if isinstance(padding, str) else list(padding)
    spatial = s.t.shape[:-1]
    plain = [window_pads(n, kk, st, g) for n, kk, st, g in zip(spatial, kernel, strides, given, strict=True)]
    ceil = [window_pads(n, kk, st, g, 1, True) for n, kk, st, g in zip(spatial, kernel, strides, given, strict=True)]
    if plain == ceil:
        return False
    if len(kernel) != 2:
        raise refuse(s, TARGET, "rounding up past the padded edge (ceil_mode) in 1D")
    k.helpers.add("CaffeAveragePooling2D")
    extra = tuple(c[1] - p[1] for c, p in zip(ceil, plain, strict=True))
    k.assign(s, call("CaffeAveragePooling2D", tuple(kernel), tuple(strides), tuple(given), extra, name=s.name), s.x)
    return True


@EMITTERS.emits("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D")
def _pool(s: Step, k: KerasWriter) -> None:
    p = s.params
    strides = p["strides"] or p["pool_size"]
    if s.op.startswith("Average") and _caffe_average(s, k, p["pool_size"], strides):
        return
    source = _explicit_padding(s, k, p["pool_size"], strides, (1,) * len(strides), s.op.startswith("Max"))
    given = dict(s.given)
    if source is not None:
        given["padding"] = "valid"
    k.assign(s, layer_expr(s.op, given, s.name), source or s.x)


@EMITTERS.emits("Scale")
def _scale(s: Step, k: KerasWriter) -> None:
    k.helpers.add("ChannelScale")
    k.assign(s, call("ChannelScale", axis=s.params["axis"], bias_term=s.params["bias_term"], name=s.name), s.x)


@EMITTERS.emits("LRN")
def _lrn(s: Step, k: KerasWriter) -> None:
    p = s.params
    k.helpers.add("LRN")
    region = {"region": p["region"]} if p["region"] != "across_channels" else {}
    k.assign(s, call("LRN", size=p["size"], alpha=p["alpha"], beta=p["beta"], bias=p["bias"], **region,
                     name=s.name), s.x)


@EMITTERS.emits("ScaledAdd")
def _scaled_add(s: Step, k: KerasWriter) -> None:
    k.helpers.add("ScaledAdd")
    k.assign(s, call("ScaledAdd", s.params["scale"], name=s.name), _inputs(s))


@EMITTERS.emits("Lambda")
def _lambda(s: Step, k: KerasWriter) -> None:
    if s.out.shape != s.t.shape:
        raise refuse(s, TARGET, "that changes the shape", "its code was not imported (untrusted): write it by hand")
    note = (f"Lambda {s.params['function']!s} from the source model: its code is not imported (untrusted); "
            "identity placeholder")
    k.assign(s, call("layers.Identity", name=s.name), s.x, note=note)


def render(plan: Plan) -> dict[str, str]:
    k = KerasWriter()
    for s in plan.steps:
        if s.label != s.op:
            k.lines.append(f"# {s.label}")
        EMITTERS.get(s)(s, k)
    ins = ", ".join(s.name for s in plan.inputs)
    outs = ", ".join(s.name for s in plan.outputs)
    body = "\n".join(f"    {line}" for line in k.lines)
    helpers = "".join(HELPERS[h] + "\n" for h in sorted(k.helpers))
    inputs_list = f"[{ins}]" if len(plan.inputs) > 1 else ins
    outputs_list = f"[{outs}]" if len(plan.outputs) > 1 else outs
    feed = _random_inputs(plan)
    text = f'''# {comment(plan.graph.name)}: Keras 3 model generated by DLPaper2Code.
# Run: python model.py   (builds the model, prints its summary, runs one forward pass)
import numpy as np
import keras
from keras import layers, ops
{helpers}

def build_model() -> keras.Model:
{body}
    return keras.Model(inputs={inputs_list}, outputs={outputs_list}, name={plan.model_name!r})


def random_inputs(batch: int = 1, seed: int = 0):
    """Random inputs of the right shapes and types (free sizes become 8)."""
    rng = np.random.default_rng(seed)
    return {feed}


if __name__ == "__main__":
    model = build_model()
    model.summary()
    outputs = model(random_inputs())
    for out in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
        print("output shape:", tuple(out.shape))
    print("parameters:", model.count_params())
'''
    return {"model.py": text}


def _random_inputs(plan: Plan) -> str:
    items = [random_input_expr(s, plan.id_limit(), channels_first=False) for s in plan.inputs]
    return items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"


def random_input_expr(s: Step, id_limit: int, channels_first: bool, batch: str = "batch", rng: str = "rng") -> str:
    """NumPy code for one random batch of an Input's shape; token ids stay below ``id_limit``."""
    shape = [8 if d is None else d for d in s.out.shape]
    if channels_first:
        shape = list(cf_shape(shape))
    dims = ", ".join([batch, *map(str, shape)])
    if s.out.dtype.startswith("int"):
        return f"{rng}.integers(0, {id_limit}, size=({dims})).astype({lit(s.out.dtype)})"
    return f"{rng}.standard_normal(({dims})).astype({lit(s.out.dtype)})"
