"""The catalog: registry rules, alias matching, and every op round-tripping JSON -> IR -> JSON and proto."""

from __future__ import annotations

from typing import Any

import pytest
from dlp2c.common.catalog import CATALOG, REQUIRED, Catalog, Kind, OpSpec, Param
from dlp2c.common.errors import SchemaError, UnknownOpError
from dlp2c.common.graph import Graph
from dlp2c.common.proto_io import from_proto, to_proto

_SAMPLE = {Kind.INT: 3, Kind.FLOAT: 0.25, Kind.BOOL: True, Kind.STRING: "x", Kind.INTS: [2, 3],
           Kind.FLOATS: [0.5, 1.5], Kind.STRINGS: ["a"], Kind.SHAPE: [None, 4], Kind.PADDING: [1, 2]}


def _sample(param: Param) -> Any:
    """A non-default value of the right type, for checking that every param survives a round trip."""
    if param.kind is Kind.LAYER:
        return {"op": "LSTM", "params": {"units": 4, "return_sequences": True}}
    if param.choices:
        return param.choices[-1]
    value = _SAMPLE[param.kind]
    if param.kind in (Kind.INTS, Kind.PADDING) and param.length:
        value = list(range(1, param.length + 1))
    if param.kind is Kind.INT and param.min is not None:
        value = max(int(param.min), 1) + 1
    if param.kind is Kind.FLOAT and param.max is not None:
        value = min(param.max, 0.25)
    return value


@pytest.mark.parametrize("op", CATALOG.names())
def test_every_op_round_trips_json_and_proto_unchanged(op: str) -> None:
    spec = CATALOG.get(op)
    params = {p.name: _sample(p) for p in spec.params}
    graph = {"name": f"one {op}", "nodes": [{"id": "a", "op": op, "name": f"{op} node", "params": params}],
             "edges": []}
    parsed = Graph.from_json(graph)
    assert parsed.to_json() == graph
    assert from_proto(to_proto(parsed)).to_json() == graph


@pytest.mark.parametrize("op", CATALOG.names())
def test_every_op_documents_itself_and_its_params(op: str) -> None:
    spec = CATALOG.get(op)
    assert spec.doc and spec.family
    assert all(p.doc for p in spec.params), [p.name for p in spec.params if not p.doc]
    resolved = spec.resolve({p.name: _sample(p) for p in spec.params if p.required})
    assert set(resolved) == set(spec.param_index)


def test_registering_an_op_or_alias_twice_raises() -> None:
    catalog = Catalog()
    dense = CATALOG.get("Dense")
    catalog.register(dense)
    with pytest.raises(ValueError, match="registered twice"):
        catalog.register(dense)
    clash = OpSpec("Other", "core", "doc", (), dense.infer, aliases=("fc",))
    with pytest.raises(ValueError, match="already belongs to Dense"):
        catalog.register(clash)


@pytest.mark.parametrize(("text", "op"), [
    ("C0nv2D", "Conv2D"), ("MaxPoolng2D", "MaxPooling2D"), ("conv", "Conv2D"), ("convolution", "Conv2D"),
    ("mpool", "MaxPooling2D"), ("max pool", "MaxPooling2D"), ("Pooling (MAX)", "MaxPooling2D"), ("fc", "Dense"),
    ("InnerProduct", "Dense"), ("ip", "Dense"), ("softmx", "Softmax"), ("soft-max", "Softmax"),
    ("Batch_Norm", "BatchNormalization"), ("depth concat", "Concatenate"), ("LSTM", "LSTM"),
])
def test_aliases_correct_ocr_and_table_spellings(text: str, op: str) -> None:
    match = CATALOG.lookup(text)
    assert match is not None and match.op == op


@pytest.mark.parametrize(("text", "op", "params"), [
    ("conv3-64", "Conv2D", {"kernel_size": 3, "filters": 64}),
    ("3x3 conv, 64, /2", "Conv2D", {"kernel_size": 3, "filters": 64, "strides": 2}),
    ("1x1, 256", "Conv2D", {"kernel_size": 1, "filters": 256}),
    ("Conv dw / s2", "DepthwiseConv2D", {"kernel_size": 3, "strides": 2}),
    ("FC-4096", "Dense", {"units": 4096}),
    ("fc 1000", "Dense", {"units": 1000}),
    ("3x3 max pool, /2", "MaxPooling2D", {"pool_size": 3, "strides": 2}),
    ("dropout 0.5", "Dropout", {"rate": 0.5}),
])
def test_paper_notations_give_op_and_params(text: str, op: str, params: dict[str, Any]) -> None:
    match = CATALOG.lookup(text)
    assert match is not None and (match.op, match.params) == (op, params)


def test_lookup_rejects_text_that_names_no_layer() -> None:
    assert CATALOG.lookup("Figure 3: accuracy over epochs") is None


def test_unknown_op_suggests_the_right_one() -> None:
    with pytest.raises(UnknownOpError) as info:
        CATALOG.get("Convolution2D")
    assert "Conv2D" in str(info.value)


@pytest.mark.parametrize(("params", "message"), [
    ({"filters": "64", "kernel_size": 3}, "'filters' must be an integer"),
    ({"filters": 64}, "needs parameter 'kernel_size'"),
    ({"filters": 0, "kernel_size": 3}, "below its minimum"),
    ({"filters": 8, "kernel_size": [3, 3, 3]}, "needs 2 values"),
    ({"filters": 8, "kernel_size": 3, "padding": "samee"}, "did you mean 'same'"),
    ({"filters": 8, "kernel_size": 3, "filtres": 2}, "did you mean 'filters'"),
    ({"filters": True, "kernel_size": 3}, "must be an integer"),
])
def test_param_errors_name_the_field(params: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError) as info:
        CATALOG.get("Conv2D").check_params(params, "nodes[4]")
    assert message in str(info.value)
    assert str(info.value).startswith("nodes[4]")


def test_integral_floats_are_accepted_as_ints() -> None:
    assert CATALOG.get("Dense").check_params({"units": 64.0}, "n") == {"units": 64}
    assert REQUIRED is CATALOG.get("Dense").param_index["units"].default
