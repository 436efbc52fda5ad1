"""Text and sequences: Embedding, SimpleRNN, LSTM, GRU, and the Bidirectional and TimeDistributed wrappers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dlp2c.common.catalog import params as P
from dlp2c.common.catalog.rules import known, require_rank
from dlp2c.common.catalog.spec import OpSpec, TensorType
from dlp2c.common.errors import ShapeError


def _embedding(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    t = inputs[0]
    if not t.dtype.startswith("int"):
        raise ShapeError(f"Embedding takes integer token ids, got {t}", hint="give the Input dtype int32")
    require_rank("Embedding", t, 1, 2)
    return TensorType((*t.shape, p["output_dim"]))


def _embedding_count(p: Mapping[str, Any], _i: Sequence[TensorType], _o: TensorType) -> int:
    return p["input_dim"] * p["output_dim"]


def _rnn(op: str):
    def rule(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
        t = inputs[0]
        require_rank(op, t, 2)
        if p["return_state"]:
            raise ShapeError(f"{op} with return_state=true has several outputs, which graphs here do not carry",
                             hint="set return_state to false")
        return TensorType((t.shape[0], p["units"]) if p["return_sequences"] else (p["units"],))
    return rule


def _rnn_count(op: str, gates: int):
    def count(p: Mapping[str, Any], inputs: Sequence[TensorType], _o: TensorType) -> int:
        n_in = known(op, inputs[0].shape[-1], "number of input features")
        u = p["units"]
        biases = 0
        if p["use_bias"]:
            biases = gates * u * (2 if op == "GRU" and p["reset_after"] else 1)
        return gates * u * (n_in + u) + biases
    return count


def _rnn_params(extra: tuple = ()) -> tuple:
    return (
        P.int_("units", doc="size of the hidden state", min=1),
        P.activation("tanh"),
        *extra,
        P.use_bias(),
        P.bool_("return_sequences", False, "output every time step, not only the last"),
        P.bool_("return_state", False, "also return the final state (not supported in graphs)"),
        P.bool_("go_backwards", False, "read the sequence backwards"),
        P.bool_("stateful", False, "carry state across batches"),
        P.float_("dropout", 0.0, "input dropout", min=0, max=1),
        P.float_("recurrent_dropout", 0.0, "state dropout", min=0, max=1),
    )


_GATE = P.str_("recurrent_activation", "sigmoid", P.ACTIVATIONS, "activation of the gates")


def _inner(value: Mapping[str, Any]) -> tuple[OpSpec, dict[str, Any]]:
    from dlp2c.common.catalog.registry import CATALOG

    spec = CATALOG.get(value["op"])
    return spec, spec.resolve(value["params"])


def _bidirectional(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    spec, inner = _inner(p["layer"])
    if spec.family != "recurrent":
        raise ShapeError(f"Bidirectional wraps a recurrent layer, not {spec.name}", hint="wrap LSTM, GRU or SimpleRNN")
    out = spec.output(inner, inputs)
    if p["merge_mode"] == "concat":
        return TensorType((*out.shape[:-1], out.shape[-1] * 2))
    return out


def _bidirectional_count(p: Mapping[str, Any], inputs: Sequence[TensorType], out: TensorType) -> int:
    spec, inner = _inner(p["layer"])
    return 2 * spec.count(inner, inputs, spec.output(inner, inputs))


def _time_distributed(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    t = inputs[0]
    if t.rank < 2:
        raise ShapeError(f"TimeDistributed needs a sequence of items, got {t}", hint="feed it a sequence")
    spec, inner = _inner(p["layer"])
    step = spec.output(inner, [TensorType(t.shape[1:], t.dtype)])
    return TensorType((t.shape[0], *step.shape), step.dtype)


def _time_distributed_count(p: Mapping[str, Any], inputs: Sequence[TensorType], _o: TensorType) -> int:
    spec, inner = _inner(p["layer"])
    step_in = [TensorType(inputs[0].shape[1:], inputs[0].dtype)]
    return spec.count(inner, step_in, spec.output(inner, step_in))


OPS = [
    OpSpec(
        "Embedding", "embedding", "Turn token ids into dense vectors.",
        (P.int_("input_dim", doc="vocabulary size", min=1), P.int_("output_dim", doc="vector size", min=1),
         P.bool_("mask_zero", False, "treat id 0 as padding")),
        _embedding, _embedding_count, accepts_int=True,
        aliases=("embedding", "embed", "embeddings", "word embedding", "embedding layer", "lookup table"),
    ),
    OpSpec("SimpleRNN", "recurrent", "Fully connected recurrent layer.", _rnn_params(),
           _rnn("SimpleRNN"), _rnn_count("SimpleRNN", 1),
           aliases=("simplernn", "rnn", "simple rnn", "recurrent", "vanilla rnn", "elman")),
    OpSpec("LSTM", "recurrent", "Long short-term memory.", _rnn_params((_GATE,)),
           _rnn("LSTM"), _rnn_count("LSTM", 4), aliases=("lstm", "long short-term memory", "lstm layer")),
    OpSpec("GRU", "recurrent", "Gated recurrent unit.",
           _rnn_params((_GATE, P.bool_("reset_after", True, "apply the reset gate after the matmul (cuDNN style)"))),
           _rnn("GRU"), _rnn_count("GRU", 3), aliases=("gru", "gated recurrent unit")),
    OpSpec(
        "Bidirectional", "wrapper", "Run a recurrent layer both ways and merge the two outputs.",
        (P.layer(), P.str_("merge_mode", "concat", ("concat", "sum", "mul", "ave"), "how the two are merged")),
        _bidirectional, _bidirectional_count, aliases=("bidirectional", "bi-lstm", "bilstm", "birnn", "bi-gru"),
    ),
    OpSpec(
        "TimeDistributed", "wrapper", "Apply a layer to every time step of a sequence.",
        (P.layer(),), _time_distributed, _time_distributed_count, accepts_int=True,
        aliases=("timedistributed", "time distributed", "time-distributed"),
    ),
]
