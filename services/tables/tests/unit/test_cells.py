from __future__ import annotations

import pytest
from dlp2c.tables.cells import dims, read_layer, repeat_of


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
