"""The histogram quantile of 8-bit pixels is numpy's linear quantile, exactly."""

import numpy as np
import pytest
from dlp2c.common.pixels import quantile


@pytest.mark.parametrize("size", [1, 2, 3, 10, 101, 4096])
def test_it_equals_numpys_quantile(size: int) -> None:
    rng = np.random.default_rng(size)
    for _ in range(20):
        values = rng.integers(0, 256, size).astype(np.uint8)
        for q in (0.01, 0.5, 0.99):
            assert quantile(values, q) == pytest.approx(float(np.quantile(values, q)), abs=1e-9)
    image = rng.integers(0, 256, (40, 30)).astype(np.uint8)  # any shape, read flat
    assert quantile(image, 0.5) == float(np.median(image))
