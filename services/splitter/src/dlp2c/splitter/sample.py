"""A short paper the project writes itself: a title, body text, a vector design figure and a layer table.

It is the splitter's round-trip fixture (every figure, caption, cell and layer is known) and the
sample paper `make run` processes, so the project ships no one else's PDF.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.patches import FancyArrowPatch, Rectangle

TITLE = "TinyNet: A Small Convolutional Network for Testing Paper Parsers"
AUTHORS = "Ada Lovelace, Alan Turing"
FIGURE_CAPTION = "Figure 1: The TinyNet architecture, drawn as a chain of layers."
TABLE_CAPTION = "Table 1: TinyNet body architecture."
TABLE = [
    ["Type / Stride", "Filter Shape", "Input Size"],
    ["Conv / s1", "3 × 3 × 3 × 16", "32 × 32 × 3"],
    ["Max Pool / s2", "Pool 2 × 2", "32 × 32 × 16"],
    ["Conv / s1", "3 × 3 × 16 × 32", "16 × 16 × 16"],
    ["Max Pool / s2", "Pool 2 × 2", "16 × 16 × 32"],
    ["FC / s1", "2048 × 10", "8 × 8 × 32"],
    ["Softmax / s1", "Classifier", "1 × 1 × 10"],
]
FIGURE_LAYERS = ["Input", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Softmax"]
PARAGRAPH = ("We describe a small convolutional network whose only purpose is to be found again by a program that "
             "reads papers. Its layers are drawn in a figure and listed in a table, the way authors of deep "
             "learning papers present their designs, so that a parser can be checked against a known answer. "
             "The network takes a colour image of thirty-two by thirty-two pixels and returns ten class scores.")
WIDTH, HEIGHT = 8.5, 11.0  # inches: US letter
LEFT, RIGHT = 1.0, 7.5


def _y(inches_from_top: float) -> float:
    return 1 - inches_from_top / HEIGHT


def _x(inches: float) -> float:
    return inches / WIDTH


def _paragraph(fig: plt.Figure, top: float, text: str = PARAGRAPH) -> float:
    for k, line in enumerate(textwrap.wrap(text, 100)):
        fig.text(_x(LEFT), _y(top + k * 0.18), line, fontsize=10, va="top", family="DejaVu Serif")
    return top + len(textwrap.wrap(text, 100)) * 0.18


BOX_W, BOX_H, BOX_GAP = 1.7, 0.3, 0.2  # inches: the figure's layer boxes, stacked top to bottom, centred
FIGURE_HEIGHT = len(FIGURE_LAYERS) * (BOX_H + BOX_GAP) - BOX_GAP


def _figure(fig: plt.Figure, top: float) -> float:
    """The layers top to bottom, one box each, joined by arrows: how Keras and Caffe draw a network."""
    box_w, box_h, gap = BOX_W, BOX_H, BOX_GAP
    x = (WIDTH - box_w) / 2
    for i, name in enumerate(FIGURE_LAYERS):
        y = _y(top + i * (box_h + gap) + box_h)
        fig.patches.append(Rectangle((_x(x), y), _x(box_w), box_h / HEIGHT, transform=fig.transFigure,
                                     facecolor="#dde8f5", edgecolor="black", linewidth=1))
        fig.text(_x(x + box_w / 2), y + box_h / HEIGHT / 2, name, fontsize=9, ha="center", va="center",
                 family="DejaVu Sans")
        if i:
            fig.patches.append(FancyArrowPatch((_x(x + box_w / 2), y + (box_h + gap) / HEIGHT),
                                               (_x(x + box_w / 2), y + box_h / HEIGHT),
                                               transform=fig.transFigure, arrowstyle="-|>", mutation_scale=10))
    return top + FIGURE_HEIGHT


def _table(fig: plt.Figure, top: float) -> float:
    columns = [LEFT + 1.0, LEFT + 2.6, LEFT + 4.2]
    fig.lines.append(plt.Line2D([_x(LEFT + 0.8), _x(LEFT + 5.6)], [_y(top - 0.05)] * 2, transform=fig.transFigure,
                                color="black", linewidth=0.8))
    for r, row in enumerate(TABLE):
        for x, text in zip(columns, row, strict=True):
            fig.text(_x(x), _y(top + r * 0.2), text, fontsize=9, va="top", family="DejaVu Serif")
    bottom = top + len(TABLE) * 0.2
    fig.lines.append(plt.Line2D([_x(LEFT + 0.8), _x(LEFT + 5.6)], [_y(bottom)] * 2, transform=fig.transFigure,
                                color="black", linewidth=0.8))
    return bottom


def write_sample(path: Path | str) -> Path:
    """Write the sample paper (two pages) to ``path``."""
    path = Path(path)
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path) as pdf:
        fig = plt.figure(figsize=(WIDTH, HEIGHT))
        fig.text(0.5, _y(1.0), TITLE, fontsize=15, ha="center", va="top", family="DejaVu Serif")
        fig.text(0.5, _y(1.45), AUTHORS, fontsize=11, ha="center", va="top", family="DejaVu Serif")
        fig.text(_x(LEFT), _y(1.9), "Abstract", fontsize=11, va="top", family="DejaVu Serif")
        top = _paragraph(fig, 2.2)
        top = _figure(fig, top + 0.5)
        fig.text(_x(LEFT), _y(top + 0.25), FIGURE_CAPTION, fontsize=10, va="top", family="DejaVu Serif")
        _paragraph(fig, top + 0.8)
        pdf.savefig(fig)
        plt.close(fig)
        fig = plt.figure(figsize=(WIDTH, HEIGHT))
        top = _paragraph(fig, 1.0)
        fig.text(_x(LEFT), _y(top + 0.4), TABLE_CAPTION, fontsize=10, va="top", family="DejaVu Serif")
        bottom = _table(fig, top + 0.8)
        _paragraph(fig, bottom + 0.5)
        pdf.savefig(fig)
        plt.close(fig)
    return path
