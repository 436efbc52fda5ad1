"""PyTorch: an ``nn.Module`` with explicit sizes from shape inference and a ``forward`` that follows the graph.

Images are NCHW (volumes NCDHW), sequences (N, T, F) as the recurrent layers take them with
``batch_first=True``, vectors (N, F). See :mod:`dlp2c.codegen.layout`.
"""

from __future__ import annotations

from typing import Any

from dlp2c.codegen.layout import cf_axis, cf_perm, cf_shape, cl_perm, is_spatial, window_pads
from dlp2c.codegen.names import comment
from dlp2c.codegen.plan import Plan, Step
from dlp2c.codegen.pyexpr import Raw, call, lit
from dlp2c.codegen.registry import EmitterRegistry, refuse
from dlp2c.codegen.targets.keras import random_input_expr

TARGET = "pytorch"
EMITTERS = EmitterRegistry(TARGET)

# Keras activation name -> PyTorch expression over {x} (and {dim} for softmax).
ACTIVATIONS = {
    "linear": "{x}", "relu": "F.relu({x})", "relu6": "F.relu6({x})", "sigmoid": "torch.sigmoid({x})",
    "hard_sigmoid": "F.hardsigmoid({x})", "tanh": "torch.tanh({x})", "softmax": "F.softmax({x}, dim={dim})",
    "log_softmax": "F.log_softmax({x}, dim={dim})", "softplus": "F.softplus({x})", "softsign": "F.softsign({x})",
    "elu": "F.elu({x})", "selu": "F.selu({x})", "swish": "F.silu({x})", "silu": "F.silu({x})",
    "gelu": "F.gelu({x})", "mish": "F.mish({x})", "exponential": "torch.exp({x})",
    "leaky_relu": "F.leaky_relu({x}, 0.2)",
}


class TorchWriter:
    def __init__(self) -> None:
        self.init: list[str] = []
        self.forward: list[str] = []
        self.helpers: set[str] = set()

    def module(self, attr: str, expr: str) -> None:
        self.init.append(f"self.{attr} = {expr}")

    def let(self, var: str, expr: str) -> None:
        self.forward.append(f"{var} = {expr}")


_LAYER_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True, "output_padding": 0}


def layer_call(cls: str, *args: Any, **kwargs: Any) -> str:
    """``nn.Conv2d(3, 64, 3, stride=2)``: square sizes as one number, PyTorch's defaults left out
    (pooling's stride defaults to its window, so it is always written)."""
    def compact(value: Any) -> Any:
        if isinstance(value, tuple | list) and value and all(v == value[0] for v in value):
            return value[0]
        return value

    args = tuple(compact(a) for a in args)
    pooling = "Pool" in cls
    kept = {k: compact(v) for k, v in kwargs.items()
            if (pooling and k == "stride") or compact(v) != _LAYER_DEFAULTS.get(k, object())}
    return call(cls, *args, **kept)


def activation(name: str, x: str, rank: int) -> str:
    return ACTIVATIONS[name].format(x=x, dim=cf_axis(-1, rank))


def _seq_in(x: str) -> str:
    """(N, T, F) -> (N, F, T) for the 1D conv and pool layers."""
    return f"{x}.transpose(1, 2)"


@EMITTERS.emits("Input")
def _input(s: Step, w: TorchWriter) -> None:
    if s.out.dtype.startswith("int"):
        w.let(s.name, f"{s.name}.long()")


@EMITTERS.emits("Dense")
def _dense(s: Step, w: TorchWriter) -> None:
    p = s.params
    w.module(s.name, layer_call("nn.Linear", s.t.shape[-1], p["units"], bias=p["use_bias"]))
    w.let(s.name, activation(p["activation"], f"self.{s.name}({s.x})", s.out.rank))


@EMITTERS.emits("Activation")
def _activation(s: Step, w: TorchWriter) -> None:
    w.let(s.name, activation(s.params["activation"], s.x, s.out.rank))


@EMITTERS.emits("ReLU")
def _relu(s: Step, w: TorchWriter) -> None:
    p = s.params
    x = s.x
    if p["threshold"] == 0 and p["negative_slope"] == 0:
        expr = f"F.relu({x})" if p["max_value"] != 6 else f"F.relu6({x})"
        if p["max_value"] not in (None, 6):
            expr = f"torch.clamp({x}, 0.0, {lit(float(p['max_value']))})"
    else:
        t, slope = lit(float(p["threshold"])), lit(float(p["negative_slope"]))
        expr = f"torch.where({x} >= {t}, {x}, {slope} * ({x} - {t}))"
        if p["max_value"] is not None:
            expr = f"torch.clamp({expr}, max={lit(float(p['max_value']))})"
    w.let(s.name, expr)


@EMITTERS.emits("LeakyReLU")
def _leaky(s: Step, w: TorchWriter) -> None:
    w.let(s.name, f"F.leaky_relu({s.x}, {lit(float(s.params['negative_slope']))})")


@EMITTERS.emits("PReLU")
def _prelu(s: Step, w: TorchWriter) -> None:
    shape = prelu_shape(s)
    w.module(s.name, f"nn.Parameter(torch.zeros({lit(shape)}))")
    w.let(s.name, f"torch.where({s.x} >= 0, {s.x}, self.{s.name} * {s.x})")


def prelu_shape(s: Step) -> tuple[int, ...]:
    """Keras' alpha shape (input shape with shared axes set to 1), in the channels-first layout."""
    shared = {a - 1 for a in (s.params["shared_axes"] or ())}
    keras_shape = [1 if i in shared else d for i, d in enumerate(s.t.shape)]
    return tuple(cf_shape(keras_shape))


@EMITTERS.emits("ELU")
def _elu(s: Step, w: TorchWriter) -> None:
    w.let(s.name, f"F.elu({s.x}, alpha={lit(float(s.params['alpha']))})")


@EMITTERS.emits("Softmax")
def _softmax(s: Step, w: TorchWriter) -> None:
    w.let(s.name, f"F.softmax({s.x}, dim={cf_axis(s.params['axis'], s.t.rank)})")


@EMITTERS.emits("Dropout")
def _dropout(s: Step, w: TorchWriter) -> None:
    w.module(s.name, call("nn.Dropout", float(s.params["rate"])))
    w.let(s.name, f"self.{s.name}({s.x})")


@EMITTERS.emits("Lambda")
def _lambda(s: Step, w: TorchWriter) -> None:
    if s.out.shape != s.t.shape:
        raise refuse(s, TARGET, "that changes the shape", "its code was not imported (untrusted): write it by hand")
    w.forward.append(f"# Lambda {comment(s.params['function'])}: code not imported (untrusted); identity placeholder")
    w.let(s.name, s.x)


def conv_pads(s: Step, kernel: tuple[int, ...], strides: tuple[int, ...], dilation: tuple[int, ...],
              ceil: bool = False) -> list[tuple[int, int]]:
    """(before, after) per spatial axis, for any of the graph's paddings."""
    padding = s.params["padding"]
    spatial = s.t.shape[:-1]
    values = padding if not isinstance(padding, str) else [padding] * len(kernel)
    return [window_pads(n, k, st, v, d, ceil) for n, k, st, v, d in zip(spatial, kernel, strides, values, dilation,
                                                                         strict=True)]


def split_pads(pads: list[tuple[int, int]]) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """Symmetric padding for the layer, plus the F.pad amounts (last axis first) for any remainder."""
    sym = tuple(min(b, a) for b, a in pads)
    rest = [(b - m, a - m) for (b, a), m in zip(pads, sym, strict=True)]
    if not any(b or a for b, a in rest):
        return sym, None
    flat: list[int] = []
    for b, a in reversed(rest):
        flat += [b, a]
    return sym, tuple(flat)


@EMITTERS.emits("Conv1D", "Conv2D", "Conv3D")
def _conv(s: Step, w: TorchWriter) -> None:
    p = s.params
    n = len(p["kernel_size"])
    c_in = s.t.shape[-1]
    pads = conv_pads(s, p["kernel_size"], p["strides"], p["dilation_rate"])
    sym, extra = split_pads(pads)
    w.module(s.name, layer_call(f"nn.Conv{n}d", c_in, p["filters"], p["kernel_size"], stride=p["strides"],
                                padding=sym, dilation=p["dilation_rate"], groups=p["groups"], bias=p["use_bias"]))
    x = _seq_in(s.x) if n == 1 else s.x
    if extra:
        x = f"F.pad({x}, {lit(extra)})"
    y = f"self.{s.name}({x})"
    if n == 1:
        y = f"{y}.transpose(1, 2)"
    w.let(s.name, activation(p["activation"], y, s.out.rank))


@EMITTERS.emits("Conv2DTranspose")
def _deconv(s: Step, w: TorchWriter) -> None:
    p = s.params
    crop = transpose_crop(s)
    c_in = s.t.shape[-1]
    sym = tuple(min(b, a) for b, a in crop)
    out_pad = tuple(p["output_padding"]) if p["output_padding"] else (0, 0)
    w.module(s.name, layer_call("nn.ConvTranspose2d", c_in, p["filters"], p["kernel_size"], stride=p["strides"],
                                padding=sym, output_padding=out_pad, groups=p["groups"], bias=p["use_bias"],
                                dilation=p["dilation_rate"]))
    y = f"self.{s.name}({s.x})"
    rest = [(b - m, a - m) for (b, a), m in zip(crop, sym, strict=True)]
    if any(b or a for b, a in rest):
        (tb, ta), (lb, la) = rest
        y = f"{y}[:, :, {tb}:{y_end(ta)}, {lb}:{y_end(la)}]"
    w.let(s.name, activation(p["activation"], y, s.out.rank))


def y_end(after: int) -> str:
    return str(-after) if after else ""


def transpose_crop(s: Step) -> list[tuple[int, int]]:
    """What a transposed convolution without padding produces beyond the graph's output: (before, after)."""
    p = s.params
    crops = []
    for axis, (n, k, st, d) in enumerate(zip(s.t.shape[:2], p["kernel_size"], p["strides"], p["dilation_rate"],
                                             strict=True)):
        out_pad = p["output_padding"][axis] if p["output_padding"] else 0
        full = (n - 1) * st + d * (k - 1) + 1 + out_pad
        total = full - s.out.shape[axis]
        padding = p["padding"]
        explicit = not isinstance(padding, str)
        before = padding[axis] if explicit else (total // 2 if padding == "same" else 0)
        crops.append((before, total - before))
    return crops


@EMITTERS.emits("DepthwiseConv2D", "SeparableConv2D")
def _depthwise(s: Step, w: TorchWriter) -> None:
    p = s.params
    c = s.t.shape[-1]
    mid = c * p["depth_multiplier"]
    pads = conv_pads(s, p["kernel_size"], p["strides"], p["dilation_rate"])
    sym, extra = split_pads(pads)
    separable = s.op == "SeparableConv2D"
    dw = f"{s.name}_depthwise" if separable else s.name
    w.module(dw, layer_call("nn.Conv2d", c, mid, p["kernel_size"], stride=p["strides"], padding=sym,
                            dilation=p["dilation_rate"], groups=c, bias=p["use_bias"] and not separable))
    x = f"F.pad({s.x}, {lit(extra)})" if extra else s.x
    y = f"self.{dw}({x})"
    if separable:
        pw = f"{s.name}_pointwise"
        w.module(pw, layer_call("nn.Conv2d", mid, p["filters"], 1, bias=p["use_bias"]))
        y = f"self.{pw}({y})"
    w.let(s.name, activation(p["activation"], y, s.out.rank))


@EMITTERS.emits("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D")
def _pool(s: Step, w: TorchWriter) -> None:
    p = s.params
    n = len(p["pool_size"])
    strides = p["strides"] or p["pool_size"]
    is_max = s.op.startswith("Max")
    padding = p["padding"]
    x = _seq_in(s.x) if n == 1 else s.x
    kind = "max" if is_max else "avg"
    if isinstance(padding, str):
        pads = conv_pads(s, p["pool_size"], strides, (1,) * n, p["ceil_mode"])
        sym, extra = split_pads(pads)
        if not is_max and (extra or any(sym)):  # Keras averages only the real pixels of a 'same' window
            w.helpers.add("avg_pool_valid_pixels")
            flat = tuple(v for b, a in reversed(pads) for v in (b, a))
            y = call("avg_pool_valid_pixels", Raw(x), p["pool_size"], strides, flat)
            w.let(s.name, _restore_seq(y, n))
            return
        if extra:
            x = f"F.pad({x}, {lit(extra)}, value=float('-inf'))"
        args: dict[str, Any] = {"stride": strides, "padding": sym}
    else:
        args = {"stride": strides, "padding": tuple(padding), "ceil_mode": p["ceil_mode"]}
        if max(padding) * 2 > min(p["pool_size"]):
            raise refuse(s, TARGET, "with padding over half the window", "pad with ZeroPadding2D first")
    w.module(s.name, layer_call(f"nn.{kind.capitalize()}Pool{n}d", p["pool_size"], **args))
    w.let(s.name, _restore_seq(f"self.{s.name}({x})", n))


def _restore_seq(y: str, n: int) -> str:
    return f"{y}.transpose(1, 2)" if n == 1 else y


@EMITTERS.emits("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D")
def _global(s: Step, w: TorchWriter) -> None:
    dims = (1,) if s.op.endswith("1D") else (2, 3)
    fn = "mean" if "Average" in s.op else "amax"
    w.let(s.name, f"{s.x}.{fn}(dim={lit(dims)}, keepdim={s.params['keepdims']})")


def channel_axis_ok(s: Step, axis: int) -> None:
    if axis not in (-1, s.t.rank):
        raise refuse(s, TARGET, f"over axis {axis} (not the channels)", "normalise over the channels (axis -1)")


@EMITTERS.emits("BatchNormalization")
def _bn(s: Step, w: TorchWriter) -> None:
    p = s.params
    channel_axis_ok(s, p["axis"])
    c = s.t.shape[-1]
    n = {1: 1, 2: 1, 3: 2, 4: 3}[s.t.rank]
    affine = p["center"] and p["scale"]
    w.module(s.name, call(f"nn.BatchNorm{n}d", c, eps=float(p["epsilon"]), momentum=round(1 - p["momentum"], 6),
                          affine=affine))
    x = _seq_in(s.x) if s.t.rank == 2 else s.x
    y = f"self.{s.name}({x})"
    if not affine:
        view = ", ".join(["1", "-1"] + ["1"] * (s.t.rank - 1 if s.t.rank >= 2 else 0))
        if p["scale"]:
            w.module(f"{s.name}_gamma", "nn.Parameter(torch.ones(" + str(c) + "))")
            y = f"{y} * self.{s.name}_gamma.view({view})"
        if p["center"]:
            w.module(f"{s.name}_beta", "nn.Parameter(torch.zeros(" + str(c) + "))")
            y = f"{y} + self.{s.name}_beta.view({view})"
    w.let(s.name, _restore_seq(y, 1) if s.t.rank == 2 else y)


@EMITTERS.emits("LayerNormalization")
def _ln(s: Step, w: TorchWriter) -> None:
    p = s.params
    axes = sorted(a if a > 0 else a + s.t.rank + 1 for a in p["axis"])
    if axes != [s.t.rank]:
        raise refuse(s, TARGET, f"over axes {list(p['axis'])}", "normalise over the last axis")
    if p["center"] and not p["scale"]:
        raise refuse(s, TARGET, "with an offset but no scale")
    c = s.t.shape[-1]
    w.module(s.name, call("nn.LayerNorm", c, eps=float(p["epsilon"]), elementwise_affine=p["scale"],
                          bias=p["center"]))
    if is_spatial(s.t):
        w.let(s.name, f"self.{s.name}({s.x}.movedim(1, -1)).movedim(-1, 1)")
    else:
        w.let(s.name, f"self.{s.name}({s.x})")


@EMITTERS.emits("LRN")
def _lrn(s: Step, w: TorchWriter) -> None:
    p = s.params
    if p["region"] != "across_channels":  # Caffe's rule: mean of squares over a size x size window, shift 1
        pad = (p["size"] - 1) // 2
        mean = f"F.avg_pool2d({s.x}.pow(2), {p['size']}, 1, {pad}, count_include_pad=True)"
        w.let(s.name, f"{s.x} * (1 + {lit(float(p['alpha']))} * {mean}).pow({lit(-float(p['beta']))})")
        return
    w.module(s.name, call("nn.LocalResponseNorm", p["size"], alpha=float(p["alpha"]), beta=float(p["beta"]),
                          k=float(p["bias"])))
    w.let(s.name, f"self.{s.name}({s.x})")


def stat_shape(s: Step) -> tuple[int, ...]:
    """Shape (batch included) of per-feature statistics for Normalization and Scale, channels-first."""
    rank = s.t.rank
    axes = s.params["axis"] if isinstance(s.params["axis"], tuple) else (s.params["axis"],)
    kept = {a if a > 0 else a + rank + 1 for a in axes}
    shape = [1] + [d if i + 1 in kept else 1 for i, d in enumerate(s.t.shape)]
    return tuple(shape[i] for i in cf_perm(rank))


@EMITTERS.emits("Normalization")
def _normalization(s: Step, w: TorchWriter) -> None:
    shape = stat_shape(s)
    given = s.params["mean"] is not None and s.params["variance"] is not None
    for key, fill in (("mean", "zeros"), ("variance", "ones")):
        if given:  # given statistics are constants of the model, not stored state
            init = f"torch.tensor({lit(list(s.params[key]))}).view({lit(shape)})"
            w.init.append(f"self.register_buffer({f'{s.name}_{key}'!r}, {init}, persistent=False)")
        else:
            w.init.append(f"self.register_buffer({f'{s.name}_{key}'!r}, torch.{fill}({lit(shape)}))")
    scale = f"torch.clamp(self.{s.name}_variance.sqrt(), min=1e-7)"
    if s.params["invert"]:
        w.let(s.name, f"self.{s.name}_mean + {s.x} * {scale}")
    else:
        w.let(s.name, f"({s.x} - self.{s.name}_mean) / {scale}")


@EMITTERS.emits("Rescaling")
def _rescaling(s: Step, w: TorchWriter) -> None:
    w.let(s.name, f"{s.x} * {lit(float(s.params['scale']))} + {lit(float(s.params['offset']))}")


@EMITTERS.emits("Scale")
def _scale(s: Step, w: TorchWriter) -> None:
    channel_axis_ok(s, s.params["axis"])
    c = s.t.shape[-1]
    view = stat_shape(s)
    w.module(f"{s.name}_gamma", f"nn.Parameter(torch.ones({c}))")
    y = f"{s.x} * self.{s.name}_gamma.view({lit(view)})"
    if s.params["bias_term"]:
        w.module(f"{s.name}_beta", f"nn.Parameter(torch.zeros({c}))")
        y = f"{y} + self.{s.name}_beta.view({lit(view)})"
    w.let(s.name, y)


def broadcast_inputs(s: Step) -> list[str]:
    """The inputs of an element-wise merge, a channel vector viewed as (N, C, 1, 1) beside images."""
    rank = max(t.rank for t in s.in_types)
    out = []
    for x, t in zip(s.inputs, s.in_types, strict=True):
        if t.rank == rank:
            out.append(x)
        elif t.rank == 1 and rank >= 3:
            out.append(f"{x}.view({x}.shape[0], -1{', 1' * (rank - 1)})")
        else:
            raise refuse(s, TARGET, f"of a rank-{t.rank} and a rank-{rank} tensor", "reshape them to one rank first")
    return out


@EMITTERS.emits("Concatenate")
def _concat(s: Step, w: TorchWriter) -> None:
    w.let(s.name, f"torch.cat([{', '.join(s.inputs)}], dim={cf_axis(s.params['axis'], s.t.rank)})")


@EMITTERS.emits("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "ScaledAdd")
def _merge(s: Step, w: TorchWriter) -> None:
    xs = broadcast_inputs(s)
    if s.op == "Add":
        expr = " + ".join(xs)
    elif s.op == "Subtract":
        expr = f"{xs[0]} - {xs[1]}"
    elif s.op == "Multiply":
        expr = " * ".join(xs)
    elif s.op == "Average":
        expr = f"({' + '.join(xs)}) / {len(xs)}"
    elif s.op == "ScaledAdd":
        expr = f"{xs[0]} + {lit(float(s.params['scale']))} * {xs[1]}"
    else:
        fn = "torch.maximum" if s.op == "Maximum" else "torch.minimum"
        expr = xs[0]
        for other in xs[1:]:
            expr = f"{fn}({expr}, {other})"
    w.let(s.name, expr)


@EMITTERS.emits("Flatten")
def _flatten(s: Step, w: TorchWriter) -> None:
    w.let(s.name, f"torch.flatten({s.x}, 1)")


@EMITTERS.emits("Reshape")
def _reshape(s: Step, w: TorchWriter) -> None:
    x = s.x
    if is_spatial(s.t):  # the graph's Reshape reads channels-last order
        x = f"{x}.permute{lit(tuple(cl_perm(s.t.rank)))}"
    y = f"{x}.reshape({s.x}.shape[0], {', '.join(map(str, s.params['target_shape']))})"
    if is_spatial(s.out):
        y = f"{y}.permute{lit(tuple(cf_perm(s.out.rank)))}"
    w.let(s.name, y)


@EMITTERS.emits("Permute")
def _permute(s: Step, w: TorchWriter) -> None:
    w.let(s.name, f"{s.x}.permute{lit(tuple(permute_axes(s)))}")


def permute_axes(s: Step) -> list[int]:
    """The graph's Permute (channels-last axes) as one permutation of channels-first axes."""
    rank = s.t.rank
    keras = [0, *s.params["dims"]]  # output axis i (channels-last) reads input axis keras[i]
    cf = cf_perm(rank)  # channels-first axis j is channels-last axis cf[j]
    cf_of_cl = {cl_axis: j for j, cl_axis in enumerate(cf)}
    return [cf_of_cl[keras[cf[j]]] for j in range(rank + 1)]


@EMITTERS.emits("RepeatVector")
def _repeat(s: Step, w: TorchWriter) -> None:
    w.let(s.name, f"{s.x}.unsqueeze(1).expand(-1, {s.params['n']}, -1)")


@EMITTERS.emits("ZeroPadding1D", "ZeroPadding2D")
def _zero_pad(s: Step, w: TorchWriter) -> None:
    flat = s.params["padding"]
    if s.op.endswith("1D"):
        w.let(s.name, f"F.pad({s.x}, (0, 0, {flat[0]}, {flat[1]}))")
    else:
        w.let(s.name, f"F.pad({s.x}, ({flat[2]}, {flat[3]}, {flat[0]}, {flat[1]}))")


@EMITTERS.emits("Cropping1D", "Cropping2D")
def _crop(s: Step, w: TorchWriter) -> None:
    c = s.params["cropping"]
    if s.op.endswith("1D"):
        w.let(s.name, f"{s.x}[:, {c[0]}:{y_end(c[1])}, :]")
    else:
        w.let(s.name, f"{s.x}[:, :, {c[0]}:{y_end(c[1])}, {c[2]}:{y_end(c[3])}]")


@EMITTERS.emits("UpSampling1D", "UpSampling2D")
def _upsample(s: Step, w: TorchWriter) -> None:
    size = s.params["size"]
    if s.op.endswith("1D"):
        w.let(s.name, f"{s.x}.repeat_interleave({size[0]}, dim=1)")
        return
    mode = s.params["interpolation"]
    if mode not in ("nearest", "bilinear"):
        raise refuse(s, TARGET, f"with {mode} interpolation", "use nearest or bilinear")
    extra = ", align_corners=False" if mode == "bilinear" else ""
    w.let(s.name, f"F.interpolate({s.x}, scale_factor={lit(tuple(float(v) for v in size))}, mode={mode!r}{extra})")


@EMITTERS.emits("Embedding")
def _embedding(s: Step, w: TorchWriter) -> None:
    p = s.params
    w.module(s.name, call("nn.Embedding", p["input_dim"], p["output_dim"]))
    w.let(s.name, f"self.{s.name}({s.x})")


_RNN_CLASS = {"SimpleRNN": "nn.RNN", "LSTM": "nn.LSTM", "GRU": "nn.GRU"}


_CELL_ACTIVATIONS = ("tanh", "sigmoid", "hard_sigmoid", "relu", "linear")


def _builtin_fits(op: str, p: dict[str, Any]) -> bool:
    """PyTorch's own recurrent layers fix their activations (and GRU's reset order)."""
    if op == "SimpleRNN":
        return p["activation"] in ("tanh", "relu")
    return p["activation"] == "tanh" and p["recurrent_activation"] == "sigmoid" and (op != "GRU" or p["reset_after"])


def rnn_module(s: Step, op: str, p: dict[str, Any], n_in: int, bidirectional: bool = False,
               w: TorchWriter | None = None) -> str:
    if p["return_state"]:
        raise refuse(s, TARGET, "with return_state")
    if not _builtin_fits(op, p):
        acts = [p["activation"], p.get("recurrent_activation", "sigmoid")]
        if bidirectional or w is None or any(a not in _CELL_ACTIVATIONS for a in acts):
            raise refuse(s, TARGET, f"with activations {acts}" + (" both ways" if bidirectional else ""),
                         f"use one of {', '.join(_CELL_ACTIVATIONS)}")
        w.helpers.add("Recurrent")
        return call("Recurrent", op, n_in, p["units"], acts[0], acts[1], bias=p["use_bias"],
                    reset_after=p.get("reset_after", True))
    kw: dict[str, Any] = {"batch_first": True, "bias": p["use_bias"]}
    if op == "SimpleRNN":
        kw["nonlinearity"] = p["activation"]
    if bidirectional:
        kw["bidirectional"] = True
    return call(_RNN_CLASS[op], n_in, p["units"], **kw)


@EMITTERS.emits("SimpleRNN", "LSTM", "GRU")
def _rnn(s: Step, w: TorchWriter) -> None:
    p = s.params
    w.module(s.name, rnn_module(s, s.op, p, s.t.shape[-1], w=w))
    x = f"{s.x}.flip(1)" if p["go_backwards"] else s.x
    if p["stateful"]:
        w.forward.append("# stateful in the source: carry the final state between calls yourself")
    w.let(s.name, f"self.{s.name}({x})[0]" + ("" if p["return_sequences"] else "[:, -1]"))


@EMITTERS.emits("Bidirectional")
def _bidirectional(s: Step, w: TorchWriter) -> None:
    inner = s.params["layer"]
    ip = resolve_layer(inner)
    if ip["go_backwards"]:
        raise refuse(s, TARGET, "around a layer that already reads backwards")
    w.module(s.name, rnn_module(s, inner["op"], ip, s.t.shape[-1], bidirectional=True))
    u = ip["units"]
    seq = f"self.{s.name}({s.x})[0]"
    if ip["return_sequences"]:
        fwd, bwd = f"{s.name}_seq[..., :{u}]", f"{s.name}_seq[..., {u}:]"
    else:
        fwd, bwd = f"{s.name}_seq[:, -1, :{u}]", f"{s.name}_seq[:, 0, {u}:]"
    w.let(f"{s.name}_seq", seq)
    mode = s.params["merge_mode"]
    merged = {"concat": f"torch.cat([{fwd}, {bwd}], dim=-1)", "sum": f"{fwd} + {bwd}", "mul": f"{fwd} * {bwd}",
              "ave": f"({fwd} + {bwd}) / 2"}[mode]
    w.let(s.name, merged)


def resolve_layer(layer: dict[str, Any]) -> dict[str, Any]:
    from dlp2c.common.catalog import CATALOG

    return CATALOG.get(layer["op"]).resolve(layer["params"])


@EMITTERS.emits("TimeDistributed")
def _time_distributed(s: Step, w: TorchWriter) -> None:
    from dlp2c.common.catalog import TensorType
    from dlp2c.common.graph import Node

    inner = s.params["layer"]
    item = TensorType(s.t.shape[1:], s.t.dtype)
    out_item = TensorType(s.out.shape[1:], s.out.dtype)
    inner_step = Step(node=Node(s.node.id, inner["op"], inner["params"]), name=s.name,
                      inputs=(f"{s.name}_items",), in_types=(item,), out=out_item,
                      params=resolve_layer(inner), count=0)
    time_axis = 2 if is_spatial(s.t) else 1
    if is_spatial(s.t):  # (N, C, T, ...) -> (N*T, C, ...)
        w.let(f"{s.name}_items", f"{s.x}.movedim(2, 1).flatten(0, 1)")
    else:  # (N, T, ...) -> (N*T, ...)
        w.let(f"{s.name}_items", f"{s.x}.flatten(0, 1)")
    EMITTERS.get(inner_step)(inner_step, w)
    rest = ", ".join("-1" if d is None else str(d) for d in cf_shape(out_item.shape))
    y = f"{s.name}.reshape({s.x}.shape[0], {s.x}.shape[{time_axis}], {rest})"
    w.let(s.name, f"{y}.movedim(1, 2)" if is_spatial(s.out) else y)


HELPERS = {
    "Recurrent": '''

class Recurrent(nn.Module):
    """SimpleRNN, LSTM or GRU with Keras' choice of activations, which PyTorch's own layers fix.

    Weights are named and laid out as nn.LSTM's (gates i,f,g,o; GRU r,z,n), so state_dicts match.
    """

    ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "hard_sigmoid": F.hardsigmoid,
                   "relu": torch.relu, "linear": lambda v: v}

    def __init__(self, cell, input_size, hidden_size, activation, recurrent_activation, bias=True,
                 reset_after=True):
        super().__init__()
        gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[cell]
        self.cell, self.hidden_size, self.reset_after = cell, hidden_size, reset_after
        self.act, self.gate = self.ACTIVATIONS[activation], self.ACTIVATIONS[recurrent_activation]
        bound = hidden_size ** -0.5
        self.weight_ih_l0 = nn.Parameter(torch.empty(gates * hidden_size, input_size).uniform_(-bound, bound))
        self.weight_hh_l0 = nn.Parameter(torch.empty(gates * hidden_size, hidden_size).uniform_(-bound, bound))
        self.bias_ih_l0 = nn.Parameter(torch.zeros(gates * hidden_size)) if bias else None
        self.bias_hh_l0 = nn.Parameter(torch.zeros(gates * hidden_size)) if bias else None

    def forward(self, x):
        n, steps = x.shape[0], x.shape[1]
        h = x.new_zeros(n, self.hidden_size)
        c = x.new_zeros(n, self.hidden_size)
        xs = F.linear(x, self.weight_ih_l0, self.bias_ih_l0)
        outputs = []
        for t in range(steps):
            if self.cell == "GRU" and not self.reset_after:
                w_rz, w_n = self.weight_hh_l0.split([2 * self.hidden_size, self.hidden_size])
                b_rz, b_n = (None, None) if self.bias_hh_l0 is None else self.bias_hh_l0.split(
                    [2 * self.hidden_size, self.hidden_size])
                hr, hz = F.linear(h, w_rz, b_rz).chunk(2, -1)
            else:
                hh = F.linear(h, self.weight_hh_l0, self.bias_hh_l0)
            if self.cell == "SimpleRNN":
                h = self.act(xs[:, t] + hh)
            elif self.cell == "LSTM":
                i, f, g, o = (xs[:, t] + hh).chunk(4, -1)
                c = self.gate(f) * c + self.gate(i) * self.act(g)
                h = self.gate(o) * self.act(c)
            else:
                xr, xz, xn = xs[:, t].chunk(3, -1)
                if self.reset_after:
                    hr, hz, hn = hh.chunk(3, -1)
                    r, z = self.gate(xr + hr), self.gate(xz + hz)
                    candidate = self.act(xn + r * hn)
                else:
                    r, z = self.gate(xr + hr), self.gate(xz + hz)
                    candidate = self.act(xn + F.linear(r * h, w_n, b_n))
                h = z * h + (1 - z) * candidate
            outputs.append(h)
        return torch.stack(outputs, 1), h
''',
    "avg_pool_valid_pixels": '''

def avg_pool_valid_pixels(x, kernel, stride, pads):
    """Average pooling over padded windows that counts only real pixels (Keras' 'same')."""
    pool = F.avg_pool1d if x.dim() == 3 else F.avg_pool2d
    ones = torch.ones_like(x[:1, :1])
    return pool(F.pad(x, pads), kernel, stride) / pool(F.pad(ones, pads), kernel, stride)
''',
}


def render(plan: Plan) -> dict[str, str]:
    w = TorchWriter()
    for s in plan.steps:
        if s.label != s.op:
            w.forward.append(f"# {s.label}")
        EMITTERS.get(s)(s, w)
    args = ", ".join(s.name for s in plan.inputs)
    outs = ", ".join(s.name for s in plan.outputs)
    init = "\n".join(f"        {line}" for line in w.init) or "        pass"
    forward = "\n".join(f"        {line}" for line in w.forward)
    helpers = "".join(HELPERS[h] for h in sorted(w.helpers))
    feeds = [random_input_expr(s, plan.id_limit(), channels_first=True) for s in plan.inputs]
    cls = "".join(part[:1].upper() + part[1:] for part in plan.model_name.split("_")) or "Model"
    if not cls[0].isalpha():
        cls = f"Net{cls}"
    layout = "NCHW images, (N, T, F) sequences, (N, F) vectors"
    text = f'''# {comment(plan.graph.name)}: PyTorch module generated by DLPaper2Code ({layout}).
# Run: python model.py   (builds the module, runs one forward pass, prints shapes and parameters)
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
{helpers}

class {cls}(nn.Module):
    def __init__(self):
        super().__init__()
{init}

    def forward(self, {args}):
{forward}
        return {outs}


def build_model() -> nn.Module:
    return {cls}()


def random_inputs(batch: int = 1, seed: int = 0):
    """Random inputs of the right shapes and types (free sizes become 8)."""
    rng = np.random.default_rng(seed)
    return [torch.from_numpy(a) for a in [{", ".join(feeds)}]]


if __name__ == "__main__":
    model = build_model().eval()
    with torch.no_grad():
        outputs = model(*random_inputs())
    for out in outputs if isinstance(outputs, tuple) else [outputs]:
        print("output shape:", tuple(out.shape))
    print("parameters:", sum(p.numel() for p in model.parameters()))
'''
    return {"model.py": text}
