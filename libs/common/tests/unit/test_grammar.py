"""The paper's Table 1, as it falls out of the shape rules."""

from __future__ import annotations

import pytest
from dlp2c.common.catalog import TensorType
from dlp2c.common.grammar import can_follow, next_layers

IMAGE = TensorType((28, 28, 1))
VECTOR = TensorType((4096,))
SEQUENCE = TensorType((100, 64))
TOKENS = TensorType((500,), "int32")


@pytest.mark.parametrize(("tensor", "allowed", "forbidden"), [
    (IMAGE, {"Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Dropout", "Activation"},
     {"Dense", "SimpleRNN", "LSTM", "Embedding", "Conv1D"}),
    (VECTOR, {"Dense", "Dropout", "Activation", "RepeatVector"},
     {"Conv2D", "MaxPooling2D", "AveragePooling2D", "LSTM", "SimpleRNN", "Embedding"}),
    (SEQUENCE, {"SimpleRNN", "LSTM", "GRU", "Conv1D", "Dense", "Dropout", "Flatten"},
     {"Conv2D", "MaxPooling2D", "Embedding"}),
    (TOKENS, {"Embedding", "Dropout", "Flatten"}, {"Dense", "Conv2D", "LSTM", "SimpleRNN"}),
])
def test_next_layers_follow_the_rank_rules(tensor: TensorType, allowed: set[str], forbidden: set[str]) -> None:
    valid = set(next_layers(tensor))
    assert allowed <= valid
    assert not (forbidden & valid)


def test_merges_and_inputs_are_never_a_next_layer() -> None:
    valid = next_layers(IMAGE)
    assert "Input" not in valid and "Concatenate" not in valid and "Add" not in valid
    assert not can_follow("Concatenate", IMAGE)


def test_a_pool_cannot_follow_a_one_pixel_image() -> None:
    assert not can_follow("MaxPooling2D", TensorType((1, 1, 8)))
    assert can_follow("Conv2D", TensorType((1, 1, 8)))
