from __future__ import annotations

import pytest
from dlp2c.tables.cells import dims, names_layers, read_block, read_layer, read_sequence, read_spec, repeat_of


@pytest.mark.parametrize(("text", "op", "params"), [
    ("conv3-64", "Conv2D", {"kernel_size": [3, 3], "filters": 64}),
    ("FC-4096", "Dense", {"units": 4096}),
    ("maxpool", "MaxPooling2D", {}),
    ("soft-max", "Softmax", {}),
    ("LRN", "LRN", {}),
    ("Conv dw / s2", "DepthwiseConv2D", {"strides": [2, 2]}),
    ("Conv / s1", "Conv2D", {"strides": [1, 1]}),
    ("7×7, 96, /2", "Conv2D", {"kernel_size": [7, 7], "filters": 96, "strides": [2, 2]}),
    ("2×2 maxpool, /2", "MaxPooling2D", {"pool_size": [2, 2], "strides": [2, 2]}),
    ("Softmax / s1", "Softmax", {}),  # a stride the op does not take is dropped
])
def test_layers(text: str, op: str, params: dict) -> None:
    layer = read_layer(text)
    assert layer is not None and layer.op == op
    for key, value in params.items():
        got = layer.params[key]
        got = list(got) if isinstance(got, tuple | list) else got
        assert got == value or (isinstance(value, list) and [got] * len(value) == value)


def test_input_cell() -> None:
    layer = read_layer("input (224 × 224 RGB image)")
    assert layer is not None and layer.op == "Input" and layer.shape == (224, 224, 3)
    assert read_layer("Input Size") is None  # a header, not a layer


@pytest.mark.parametrize("text", ["224 × 224 × 3", "1.96", "19", "Top-1 error (%)", "", "x" * 80,
                                  "__import__('os').system('id')"])
def test_not_layers(text: str) -> None:
    assert read_layer(text) is None


def test_numbers() -> None:
    assert dims("3 × 3 × 32 dw") == [3, 3, 32]
    assert dims("none") == []
    assert repeat_of("5×") == 5 and repeat_of("x3") == 3 and repeat_of("5× Conv") is None


@pytest.mark.parametrize(("text", "op"), [
    ("Conv1", "Conv2D"), ("fc6", "Dense"), ("pool5", "MaxPooling2D"), ("conv2_x", "Conv2D"), ("conv4_3", "Conv2D"),
    ("conv2 1", "Conv2D"), ("Conv1D", "Conv1D"), ("Connected", "Dense"), ("Residual", "Add"),
])
def test_indexed_names_are_not_parameters(text: str, op: str) -> None:
    layer = read_layer(text)
    assert layer is not None and layer.op == op and layer.params == {}


def test_header_words_are_not_layers() -> None:
    assert read_layer("Repeat") is None and read_layer("Output") is None


@pytest.mark.parametrize(("op", "text", "params"), [
    ("Conv2D", "7×7, 64, /2", {"kernel_size": 7, "filters": 64, "strides": 2}),
    ("MaxPooling2D", "3×3, /3", {"pool_size": 3, "strides": 3}),
    ("Conv2D", "3x5, 32", {"kernel_size": [3, 5], "filters": 32}),
    ("Dense", "4096", {"units": 4096}),
    ("MaxPooling2D", "{6,3,2,1}", None),
    ("Dense", "0.681", None),
    ("MaxPooling2D", "64", None),
])
def test_specs_beside_a_name(op: str, text: str, params: dict | None) -> None:
    assert read_spec(op, text) == params


@pytest.mark.parametrize(("text", "op", "params"), [
    ("7×7, 64, stride 2", "Conv2D", {"kernel_size": 7, "filters": 64, "strides": 2}),
    ("3×3 max pool, stride 2", "MaxPooling2D", {"pool_size": 3, "strides": 2}),
    ("1×1 conv", "Conv2D", {"kernel_size": 1}),
    ("2 × 2 average pool, stride 2", "AveragePooling2D", {"pool_size": 2, "strides": 2}),
    ("7×7 global average pool", "GlobalAveragePooling2D", {}),
    ("1000-d fc", "Dense", {"units": 1000}),
    ("3×3, 128, C=32", "Conv2D", {"kernel_size": 3, "filters": 128, "groups": 32}),
])
def test_resnet_notations(text: str, op: str, params: dict) -> None:
    layer = read_layer(text)
    assert layer is not None and layer.op == op and layer.params == params


def test_comma_lists_and_blocks() -> None:
    layers = read_sequence("average pool, 1000-d fc, softmax")
    assert layers is not None and [x.op for x in layers] == ["AveragePooling2D", "Dense", "Softmax"]
    assert read_sequence("3×3, 64") is None and read_sequence("fc") is None
    block = read_block("[1×1, 64; 3×3, 64; 1×1, 256] ×3")
    assert block is not None and block.repeat == 3
    assert [(x.op, x.params["kernel_size"], x.params["filters"]) for x in block.layers] == \
        [("Conv2D", 1, 64), ("Conv2D", 3, 64), ("Conv2D", 1, 256)]
    one = read_block("[3x3, 64] x 3")
    assert one is not None and one.repeat == 3 and len(one.layers) == 1
    assert read_block("[3×3, 64; banana] ×2") is None  # one unreadable layer: the block is not guessed
    assert read_block("3×3, 64 ×2") is None
    assert names_layers("[3×3, 64; 3×3, 64] ×2") and not names_layers("1.8×109")
