"""Training's sample weights: what each drawing teaches, by class and by look."""

from __future__ import annotations

import numpy as np
from dlp2c.classifier.train import _weights


def test_classes_weigh_the_same_and_non_designs_teach_no_style() -> None:
    design = np.array([1, 1, 1, 1, 0, 0], np.float32)
    style = np.array([0, 0, 0, 1, -1, -1])
    w_design, w_style = _weights(design, style)
    assert np.isclose(w_design[design > 0].sum(), w_design[design == 0].sum())
    assert np.isclose(w_style[style == 0].sum(), w_style[style == 1].sum())
    assert (w_style[style < 0] == 0).all()


def test_a_rare_look_counts_more_per_drawing_but_less_in_all() -> None:
    # one style drawn 9 times in its common look and once in a rare one
    design = np.ones(10, np.float32)
    style = np.zeros(10, int)
    looks = ["keras"] * 9 + ["recurrent_cell"]
    plain = _weights(design, style)
    for w, before in zip(_weights(design, style, looks), plain, strict=True):
        assert w[9] > w[0]  # 1/sqrt(1) against 1/sqrt(9): three times the say per drawing
        assert np.isclose(w[9] / w[0], 3.0)
        assert w[:9].sum() > w[9]  # the common look still counts most
        assert np.isclose(w.sum(), before.sum())  # and the class keeps its total
