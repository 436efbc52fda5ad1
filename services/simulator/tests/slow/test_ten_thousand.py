"""The issue's check: 10,000 models from the grammar, every one through shape inference."""

from collections import Counter

import pytest
from dlp2c.common.inference import infer
from dlp2c.simulator.grammar import depth_and_dataset, sample_model

pytestmark = pytest.mark.slow


def test_ten_thousand_models_pass_shape_inference() -> None:
    depths = tuple(range(5, 41))
    inputs = Counter()
    for index in range(10_000):
        depth, dataset = depth_and_dataset(index, depths)
        graph = sample_model(f"10k:{index}", depth, dataset)
        result = infer(graph)  # raises on the first layer that does not fit
        assert len(result.order) == depth + 2
        inputs[dataset] += 1
    assert min(inputs.values()) >= 2499
