"""Random valid models from the paper's grammar (its Tables 1 and 2).

Which layer may follow which is not written here: it is the catalog's shape rule
(:func:`dlp2c.common.grammar.can_follow`, the paper's Table 1). What is written here is the paper's
choice of ten layers, its hyper-parameter ranges (Table 2), its four inputs, and how a model is grown:
each next layer drawn among those valid for the current tensor, ``Concatenate`` merging branches,
recurrent layers with or without ``return_sequences``, and a final ``Dense`` with one unit per class.

Every model is valid by construction: each layer is checked against its input tensor with the very
parameters it gets, so no model needs a second look (a test runs shape inference on 10,000 anyway).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dlp2c.common.catalog import CATALOG, TensorType
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.graph import Graph

# The paper's ten layers: convolutional, recurrent and core.
LAYERS = ("Conv2D", "MaxPooling2D", "AveragePooling2D", "Embedding", "SimpleRNN", "LSTM",
          "Dense", "Flatten", "Dropout", "Concatenate")
# Hidden-layer activations; Table 2 names none, papers use these, and Caffe draws them as layers.
ACTIVATIONS = ("relu", "relu", "linear", "tanh", "sigmoid")
BRANCH_PROBABILITY = 0.15
# How often each valid layer is drawn. Uniform draws flatten an image after three layers on average
# and leave 20-layer stacks of Dense and Dropout; these weights keep models looking like the
# convolutional and recurrent networks in papers. Every valid layer keeps a chance.
WEIGHTS = {"Conv2D": 4.0, "MaxPooling2D": 1.5, "AveragePooling2D": 1.0, "Embedding": 1.0, "SimpleRNN": 1.5,
           "LSTM": 1.5, "Dense": 1.5, "Flatten": 0.3, "Dropout": 0.8}


@dataclass(frozen=True)
class Dataset:
    name: str
    shape: tuple[int, ...]
    dtype: str
    classes: int


DATASETS = (
    Dataset("mnist", (28, 28, 1), "float32", 10),
    Dataset("cifar10", (32, 32, 3), "float32", 10),
    Dataset("imagenet", (224, 224, 3), "float32", 1000),
    Dataset("imdb", (200,), "int32", 2),  # word ids of a review, 200 words
)
DATASET_NAMES = tuple(d.name for d in DATASETS)


def _steps(lo: int, step: int, hi: int) -> tuple[int, ...]:
    """The paper's [a:b:c]: from a to c in steps of b."""
    return tuple(range(lo, hi + 1, step))


# Table 2. Dropout's [0:0.1:1] stops at 0.9: a rate of 1 drops everything and Keras refuses it.
TABLE2: dict[str, dict[str, Sequence[Any]]] = {
    "Dense": {"units": _steps(5, 5, 500)},
    "Dropout": {"rate": tuple(round(0.1 * i, 1) for i in range(10))},
    "Conv2D": {"filters": _steps(16, 16, 256), "kernel_size": _steps(1, 2, 11)},
    "MaxPooling2D": {"strides": _steps(2, 1, 5), "pool_size": _steps(1, 2, 11)},
    "AveragePooling2D": {"strides": _steps(2, 1, 5), "pool_size": _steps(1, 2, 11)},
    "Embedding": {"output_dim": (64, 100, 128, 200), "input_dim": (10000, 20000, 50000, 75000)},
    "SimpleRNN": {"units": _steps(3, 1, 25)},
    "LSTM": {"units": _steps(3, 1, 25)},
}
# Beyond Table 2, so that deep models on small inputs stay valid and look like real ones.
EXTRA: dict[str, dict[str, Sequence[Any]]] = {
    "Conv2D": {"strides": (1, 1, 2), "padding": ("valid", "same"), "activation": ACTIVATIONS},
    "MaxPooling2D": {"padding": ("valid", "same")},
    "AveragePooling2D": {"padding": ("valid", "same")},
    "Dense": {"activation": ACTIVATIONS},
    "SimpleRNN": {"return_sequences": (False, True)},
    "LSTM": {"return_sequences": (False, True)},
}
_TRIES = 12  # parameter draws per candidate layer before another layer is chosen


def keras_name(op: str) -> str:
    """Keras' default layer name stem: ``MaxPooling2D`` -> ``max_pooling2d``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", op).lower()


class _Builder:
    """Grows one graph; names layers the way Keras does (``conv2d``, ``conv2d_1``, ...)."""

    def __init__(self, name: str) -> None:
        self.graph = Graph(name)
        self.counts: dict[str, int] = {}
        self.tensors: dict[str, TensorType] = {}

    def add(self, op: str, params: dict[str, Any], inputs: list[str], out: TensorType) -> str:
        stem = keras_name(op) if op != "Input" else "input_layer"
        k = self.counts.get(stem, 0)
        self.counts[stem] = k + 1
        node = self.graph.add(op, params, inputs=inputs, name=stem if k == 0 else f"{stem}_{k}")
        self.tensors[node] = out
        return node


def _draw(rng: random.Random, op: str) -> dict[str, Any]:
    params = {name: rng.choice(values) for name, values in TABLE2.get(op, {}).items()}
    params.update({name: rng.choice(values) for name, values in EXTRA.get(op, {}).items()})
    return params


def _output(op: str, params: dict[str, Any], inputs: Sequence[TensorType]) -> TensorType | None:
    """The output tensor, or None when the layer with these parameters cannot take these inputs."""
    spec = CATALOG.get(op)
    try:
        return spec.output(spec.resolve(params), list(inputs))
    except Dlp2cError:
        return None


def _try_layer(rng: random.Random, op: str, t: TensorType,
               want_rank: int | None = None) -> tuple[dict[str, Any], TensorType] | None:
    for _ in range(_TRIES if op in TABLE2 else 1):
        params = _draw(rng, op)
        out = _output(op, params, [t])
        if out is not None and (want_rank is None or out.rank == want_rank):
            return params, out
    return None


def _next_layer(rng: random.Random, t: TensorType, ops: Sequence[str],
                want_rank: int | None = None) -> tuple[str, dict[str, Any], TensorType]:
    """A random layer among ``ops`` that takes ``t`` (and gives a tensor of ``want_rank``)."""
    # a weighted shuffle (Efraimidis-Spirakis): the first candidate is drawn in proportion to its weight
    candidates = sorted(ops, key=lambda op: rng.random() ** (1.0 / WEIGHTS.get(op, 1.0)), reverse=True)
    for op in candidates:
        found = _try_layer(rng, op, t, want_rank)
        if found is not None:
            return op, *found
    raise AssertionError(f"no layer of {list(ops)} can follow {t}")  # Flatten/Dropout always can


# Layers that keep what a Concatenate needs equal (all but the last axis), per input rank.
_BRANCH_OPS = {1: ("Dense", "Dropout"), 2: ("SimpleRNN", "LSTM", "Dense", "Dropout"), 3: ("Conv2D", "Dropout")}
_BRANCH_FIXED: dict[str, dict[str, Any]] = {
    "Conv2D": {"padding": "same", "strides": 1},
    "SimpleRNN": {"return_sequences": True},
    "LSTM": {"return_sequences": True},
}


def _branch_layer(rng: random.Random, t: TensorType) -> tuple[str, dict[str, Any], TensorType]:
    for op in rng.sample(_BRANCH_OPS[t.rank], len(_BRANCH_OPS[t.rank])):
        for _ in range(_TRIES):
            params = {**_draw(rng, op), **_BRANCH_FIXED.get(op, {})}
            out = _output(op, params, [t])
            if out is not None and out.shape[:-1] == t.shape[:-1]:
                return op, params, out
    raise AssertionError(f"no branch layer for {t}")


def _branches(rng: random.Random, b: _Builder, x: str, budget: int) -> str:
    """Two branches from ``x`` merged by a Concatenate; uses exactly ``budget`` (>= 2) layers.

    One branch may be empty (``x`` itself, a skip connection as in DenseNet)."""
    inner = budget - 1  # the Concatenate is the last layer of the block
    first = rng.randint(1, min(inner, 4))
    second = inner - first
    ends = []
    for length in (first, second):
        end = x
        for _ in range(length):
            op, params, out = _branch_layer(rng, b.tensors[end])
            end = b.add(op, params, [end], out)
        ends.append(end)
    merged = _output("Concatenate", {}, [b.tensors[e] for e in ends])
    if merged is None:
        raise AssertionError(f"branches do not concatenate: {[str(b.tensors[e]) for e in ends]}")
    return b.add("Concatenate", {}, ends, merged)


def sample_model(seed: int | str, depth: int, dataset: str = "mnist") -> Graph:
    """One random model: an Input, exactly ``depth`` layers, and the final Dense of the class count."""
    if depth < 2:
        raise ValueError(f"depth must be at least 2 (an Embedding or a Flatten, say), got {depth}")
    data = next((d for d in DATASETS if d.name == dataset), None)
    if data is None:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASET_NAMES)}")
    rng = random.Random(f"{seed}")
    b = _Builder(f"{data.name}-depth{depth}-{seed}")
    x = b.add("Input", {"shape": list(data.shape), "dtype": data.dtype}, [], TensorType(data.shape, data.dtype))
    chosen = [op for op in LAYERS if op != "Concatenate"]
    left = depth
    while left > 0:
        t = b.tensors[x]
        if left >= 3 and t.rank in _BRANCH_OPS and t.dtype == "float32" and rng.random() < BRANCH_PROBABILITY:
            budget = rng.randint(2, min(left - 1, 6))
            x = _branches(rng, b, x, budget)
            left -= budget
            continue
        want = 1 if left == 1 else None  # the last layer before the classifier gives a vector
        ops = chosen if t.dtype == "float32" else ("Embedding",)  # word ids: an Embedding first
        op, params, out = _next_layer(rng, t, ops, want)
        x = b.add(op, params, [x], out)
        left -= 1
    out = _output("Dense", {"units": data.classes, "activation": "softmax"}, [b.tensors[x]])
    b.add("Dense", {"units": data.classes, "activation": "softmax"}, [x], out)  # type: ignore[arg-type]
    return b.graph


def depth_and_dataset(index: int, depths: Sequence[int]) -> tuple[int, str]:
    """Model ``index``'s depth and input: every depth equally often, the inputs in turn within each
    round of depths and shifted by one from round to round, so every depth meets every input."""
    rounds = index // len(depths)
    return depths[index % len(depths)], DATASET_NAMES[(index + rounds) % len(DATASET_NAMES)]
