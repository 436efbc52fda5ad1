"""Statistics of 8-bit pixels, shared by flow detection and OCR."""

from __future__ import annotations

import numpy as np


def quantile(values: np.ndarray, q: float) -> float:
    """``np.quantile(values, q)`` (linear) of 8-bit values, from their histogram: no sort of a big crop."""
    cdf = np.cumsum(np.bincount(values.ravel(), minlength=256))
    position = q * (int(cdf[-1]) - 1)
    low = int(position)
    below, above = (int(np.searchsorted(cdf, k, side="right")) for k in (low, min(low + 1, int(cdf[-1]) - 1)))
    return below + (above - below) * (position - low)
