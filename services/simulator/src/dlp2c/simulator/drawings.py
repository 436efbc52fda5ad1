"""The paper's other four figure styles, drawn from a simulated model: neurons plot, stacked 2D boxes
(LeNet), 3D boxes (AlexNet) and pipeline. They exist so that the figure classifier learns what each
style looks like; their layers come from the model, so each drawing differs."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dlp2c.common.graph import Graph
from dlp2c.common.inference import infer
from PIL import Image, ImageDraw, ImageFont

STYLES = ("neurons", "stacked2d", "boxes3d", "pipeline")
_FONT_FILES = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "LiberationSerif-Regular.ttf",
               "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation2"),
              Path("/usr/share/fonts/truetype/liberation"))
_PALETTES = (("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3"),
             ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"),
             ("#999999", "#bbbbbb", "#777777", "#dddddd", "#555555"),
             ("#F4D03F", "#5DADE2", "#EC7063", "#58D68D", "#AF7AC5"))


@lru_cache(maxsize=64)
def font(size: int, index: int = 0) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """A TrueType font from the system, or Pillow's own when none is installed."""
    name = _FONT_FILES[index % len(_FONT_FILES)]
    for folder in _FONT_DIRS:
        if (folder / name).is_file():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size)


@dataclass(frozen=True)
class Layer:
    name: str
    op: str
    shape: tuple[int | None, ...]


def _chain(graph: Graph) -> list[Layer]:
    """The model's layers in order, with their output shapes (branches drawn in sequence)."""
    result = infer(graph)
    return [Layer(graph.node(n).name, graph.node(n).op, result.output(n).shape) for n in result.order]


def _canvas(rng: random.Random, width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (width, height), rng.choice(("white", "white", "#fdfdfd", "#f7f7f2")))
    return image, ImageDraw.Draw(image)


def _arrow(draw: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float], width: int = 2,
           fill: str = "black") -> None:
    draw.line([a, b], fill=fill, width=width)
    angle = math.atan2(b[1] - a[1], b[0] - a[0])
    size = 6 + 2 * width
    left = (b[0] - size * math.cos(angle - 0.4), b[1] - size * math.sin(angle - 0.4))
    right = (b[0] - size * math.cos(angle + 0.4), b[1] - size * math.sin(angle + 0.4))
    draw.polygon([b, left, right], fill=fill)


def _size(shape: tuple[int | None, ...]) -> int:
    return math.prod(d or 1 for d in shape)


def neurons(graph: Graph, rng: random.Random) -> Image.Image:
    """Circles in columns, every circle joined to every circle of the next column."""
    layers = [layer for layer in _chain(graph) if layer.op not in ("Dropout", "Flatten")][:7]
    columns = [max(2, min(8, round(math.log2(_size(layer.shape) + 1)))) for layer in layers]
    radius = rng.choice((10, 12, 15))
    gap_x, gap_y = rng.choice((110, 140, 170)), radius * 3
    height = max(columns) * gap_y + 120
    image, draw = _canvas(rng, gap_x * len(columns) + 60, height)
    palette = rng.choice(_PALETTES)
    centres = []
    for i, n in enumerate(columns):
        x = 50 + i * gap_x
        top = (height - 60 - (n - 1) * gap_y) / 2
        centres.append([(x, top + j * gap_y) for j in range(n)])
    line = rng.choice(("#888888", "#444444", "#bbbbbb"))
    for left, right in itertools.pairwise(centres):
        for a in left:
            for b in right:
                draw.line([a, b], fill=line, width=1)
    labelled = rng.random() < 0.7
    for i, column in enumerate(centres):
        colour = palette[0] if i == 0 else palette[2] if i == len(centres) - 1 else palette[1]
        for x, y in column:
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour, outline="black")
        if labelled:
            text = "Input" if i == 0 else "Output" if i == len(centres) - 1 else f"Hidden {i}"
            draw.text((column[0][0], height - 30), text, fill="black", font=font(14, i), anchor="mm")
    return image


def stacked2d(graph: Graph, rng: random.Random) -> Image.Image:
    """LeNet's look: each feature map a stack of squares, labelled ``C1: 6@28x28``, then thin bars."""
    layers = [layer for layer in _chain(graph) if layer.op not in ("Dropout",)][:9]
    image, draw = _canvas(rng, 160 * len(layers) + 80, 420)
    fill = rng.choice(("white", "#eeeeee", "#dde8f5"))
    x = 30
    for i, layer in enumerate(layers):
        if len(layer.shape) == 3:
            side = max(20, min(150, int(12 * math.sqrt(layer.shape[0] or 1))))
            count = max(1, min(6, (layer.shape[2] or 1) // 8 + 1))
            for k in range(count):
                box = [x + 6 * k, 90 + 6 * k, x + 6 * k + side, 90 + 6 * k + side]
                draw.rectangle(box, fill=fill, outline="black")
            caption = f"{layer.op[0]}{i}: {layer.shape[2]}@{layer.shape[0]}x{layer.shape[1]}"
            right = x + side + 6 * count
        else:
            units = _size(layer.shape)
            bar = max(40, min(280, int(20 * math.log2(units + 1))))
            draw.rectangle([x, 80, x + 14, 80 + bar], fill=fill, outline="black")
            caption = f"{'F' if layer.op == 'Dense' else layer.op[0]}{i}: {units}"
            right = x + 14
        draw.text((x, 60), caption, fill="black", font=font(13, 1))
        if i + 1 < len(layers):
            draw.line([(right, 120), (right + 60, 120)], fill="black", width=1)
            draw.text((right + 5, 330), layer.op.replace("2D", ""), fill="black", font=font(12, 1))
        x = right + 70
    return image


def _grow(fixed: list[float], growing: list[float], tallest: float, ratio: float) -> float:
    """How much to enlarge the parts of a row of blocks that scale with height (``growing``, laid end to
    end with the ``fixed`` parts) so that the row is about ``ratio`` times as long as its ``tallest``
    block; at least 1 (never shrink), at most 6."""
    fixed_sum, growing_sum = sum(fixed), sum(growing)
    room = ratio * tallest - growing_sum
    if room <= 0:
        return 6.0
    return max(1.0, min(6.0, fixed_sum / room))


def boxes3d(graph: Graph, rng: random.Random) -> Image.Image:
    """AlexNet's look: cuboids sized by the tensor, dimensions written on their edges."""
    layers = [layer for layer in _chain(graph) if layer.op not in ("Dropout", "Flatten")][:8]
    sizes = []
    for layer in layers:
        if len(layer.shape) == 3:
            h = max(24, min(220, int(14 * math.sqrt(layer.shape[0] or 1))))
            w = max(6, min(70, int(6 * math.log2((layer.shape[2] or 1) + 1))))
        else:
            h, w = max(30, min(240, int(18 * math.log2(_size(layer.shape) + 1)))), 8
        sizes.append((h, w))
    gap = rng.choice((25, 45, 70))
    if rng.random() < 0.6:  # blocks large against the gaps
        grow = _grow([w + gap for _, w in sizes], [h / 3 for h, _ in sizes], max(h * 4 / 3 for h, _ in sizes),
                     rng.uniform(1.3, 3.0))
        sizes = [(int(h * grow), w) for h, w in sizes]
    tallest = max(h * 4 // 3 for h, _ in sizes)
    image, draw = _canvas(rng, sum(w + h // 3 + gap for h, w in sizes) + 100, tallest + 120)
    palette = rng.choice(_PALETTES)
    x, centre = 40, tallest // 2 + 60
    for i, (layer, (h, w)) in enumerate(zip(layers, sizes, strict=True)):
        d = h // 3
        top = centre - h // 2
        front = [(x, top + d), (x + w, top + d), (x + w, top + d + h), (x, top + d + h)]
        upper = [(x, top + d), (x + d, top), (x + d + w, top), (x + w, top + d)]
        side = [(x + w, top + d), (x + w + d, top), (x + w + d, top + h), (x + w, top + d + h)]
        colour = palette[i % len(palette)]
        for face in (front, upper, side):
            draw.polygon(face, fill=colour, outline="black")
        dims = "x".join(str(v) for v in layer.shape if v is not None)
        draw.text((x, top + d + h + 8), dims, fill="black", font=font(12, 2))
        draw.text((x, top - 20), layer.name if rng.random() < 0.5 else layer.op, fill="black", font=font(12, 2))
        nxt = x + w + d + gap
        if i + 1 < len(layers):
            _arrow(draw, (x + w + d + 6, centre), (nxt - 6, centre), width=1)
        x = nxt
    return image


def pipeline(graph: Graph, rng: random.Random) -> Image.Image:
    """An input thumbnail, then the stages as boxes with arrows, as in overview figures."""
    groups: list[tuple[str, int]] = []
    for layer in _chain(graph)[1:]:
        if groups and groups[-1][0] == layer.op:
            groups[-1] = (layer.op, groups[-1][1] + 1)
        else:
            groups.append((layer.op, 1))
    groups = groups[:7]
    box_w, box_h, gap = rng.choice((120, 140)), rng.choice((60, 80)), 50
    image, draw = _canvas(rng, 170 + len(groups) * (box_w + gap), 260)
    thumb = Image.effect_noise((110, 110), rng.uniform(20, 80)).convert("RGB")
    thumb = Image.blend(thumb, Image.linear_gradient("L").resize((110, 110)).convert("RGB"), 0.5)
    image.paste(thumb, (20, 75))
    x = 20 + 110 + gap
    _arrow(draw, (135, 130), (x - 4, 130))
    palette = rng.choice(_PALETTES)
    for i, (op, count) in enumerate(groups):
        box = [x, 130 - box_h // 2, x + box_w, 130 + box_h // 2]
        draw.rounded_rectangle(box, radius=rng.choice((0, 8, 16)), fill=palette[i % len(palette)], outline="black",
                               width=2)
        text = op.replace("2D", "").replace("Pooling", "Pool") + (f" x{count}" if count > 1 else "")
        draw.text((x + box_w / 2, 130), text, fill="black", font=font(15, 3), anchor="mm")
        if i + 1 < len(groups):
            _arrow(draw, (x + box_w + 4, 130), (x + box_w + gap - 4, 130))
        x += box_w + gap
    return image


DRAWERS: dict[str, Callable[[Graph, random.Random], Image.Image]] = {
    "neurons": neurons, "stacked2d": stacked2d, "boxes3d": boxes3d, "pipeline": pipeline,
}
