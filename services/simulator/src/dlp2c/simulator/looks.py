"""More looks of the drawn styles, after the tools and papers that draw networks (NN-SVG and TikZ
neuron plots, box-and-arrow blocks, draw_convnet stacks, PlotNeuralNet slabs, convnet-drawer
wireframes, overview pipelines). The classifier must learn the style, not one drawer's habits, so each
style has several looks; each look draws from the model's own layers and its random stream."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable

from dlp2c.common.graph import Graph
from dlp2c.simulator.drawings import _PALETTES, DRAWERS, Layer, _arrow, _canvas, _chain, _grow, _size, font
from PIL import Image, ImageDraw, ImageFilter

_PASTELS = ("#fde9a9", "#cfe2f3", "#d9ead3", "#f4cccc", "#e6d5f0", "#fce5cd", "#ffffff", "#eeeeee")
_WARM = (("#f4c28c", "#e8a765", "#c9764a"), ("#d96b5b", "#c2513f", "#9e3a2c"), ("#9ab8d9", "#7a9cc6", "#5a7ba8"),
         ("#b784c4", "#9c64aa", "#7a4a88"), ("#a8d5a2", "#86bd7f", "#5f9a58"))


def _label(layer: Layer, rng: random.Random) -> str:
    """How a paper would name the layer in a box."""
    op, shape = layer.op, layer.shape
    short = op.replace("2D", "").replace("1D", "").replace("Pooling", "Pool")
    if op.startswith("Conv") and len(shape) == 3 and rng.random() < 0.6:
        return rng.choice((f"{short} {shape[-1]}", f"3x3 conv, {shape[-1]}",
                           f"conv{rng.choice((1, 3, 5))}-{shape[-1]}"))
    if op == "Dense" and rng.random() < 0.6:
        return rng.choice((f"FC {_size(shape)}", f"fc {_size(shape)}", f"Dense ({_size(shape)})"))
    return rng.choice((short, short, op, short.lower()))


def _dims(layer: Layer) -> str:
    return "x".join(str(v) for v in layer.shape if v is not None)


def _layers(graph: Graph, skip: tuple[str, ...] = ("Dropout",), limit: int = 12) -> list[Layer]:
    return [layer for layer in _chain(graph) if layer.op not in skip][:limit]


def _place(vertical: bool, along: float, across: float) -> tuple[float, float]:
    return (across, along) if vertical else (along, across)


# neurons ------------------------------------------------------------------------------------------


def neurons_cells(graph: Graph, rng: random.Random) -> Image.Image:
    """The 'neural network zoo' look: big pastel cells with coloured rings, sparse layers, a legend."""
    counts = [max(1, min(6, round(math.log2(_size(layer.shape) + 1) / 2)))
              for layer in _layers(graph)][:rng.randint(3, 6)]
    counts[0] = max(counts[0], 2)
    radius = rng.choice((14, 18, 24))
    gap_a, gap_b = radius * rng.choice((4, 5, 6)), radius * 3
    legend = rng.random() < 0.6
    vertical = rng.random() < 0.25
    offset = 260 if legend else 40
    along_size = offset + gap_a * len(counts) + 40
    across_size = max(counts) * gap_b + 100
    width, height = _place(vertical, along_size, across_size)
    image, draw = _canvas(rng, int(width), int(height + 50))
    kinds = rng.sample(_WARM, 3)
    centres = []
    for i, n in enumerate(counts):
        top = (across_size - (n - 1) * gap_b) / 2 + 40
        centres.append([_place(vertical, offset + i * gap_a, top + j * gap_b) for j in range(n)])
    line = rng.choice(("#333333", "#666666", "#999999"))
    for left, right in itertools.pairwise(centres):
        for a in left:
            for b in right:
                if rng.random() < 0.85:
                    draw.line([a, b], fill=line, width=rng.choice((1, 2)))
    for i, column in enumerate(centres):
        fill, ring, _ = kinds[0] if i == 0 else kinds[2] if i == len(centres) - 1 else kinds[1]
        for x, y in column:
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=fill, outline=ring, width=3)
            if rng.random() < 0.2:
                draw.ellipse([x - radius / 2, y - radius / 2, x + radius / 2, y + radius / 2], outline="black", width=2)
    if legend:
        for k, (name, colours) in enumerate(zip(("Input Cell", "Hidden Cell", "Output Cell"), kinds, strict=True)):
            y = 80 + k * 3 * radius
            draw.ellipse([20, y - radius, 20 + 2 * radius, y + radius], fill=colours[0], outline=colours[1], width=3)
            draw.text((30 + 2 * radius, y), name, fill="black", font=font(16, k), anchor="lm")
    if rng.random() < 0.5:
        draw.text((width / 2, 20), rng.choice(("Auto Encoder (AE)", "Deep Belief Network", "Feed Forward (FF)",
                                               "Neural network", "MLP")), fill="black", font=font(24, 0), anchor="mm")
    return image


def neurons_tikz(graph: Graph, rng: random.Random) -> Image.Image:
    """The TikZ look: white circles with symbols inside, arrows, dots for the elided units, boxed layers."""
    counts = [rng.randint(3, 5) for _ in range(rng.randint(3, 5))]
    radius = rng.choice((16, 20, 24))
    gap_a, gap_b = radius * rng.choice((6, 7, 8)), radius * 3
    vertical = rng.random() < 0.3
    along_size, across_size = gap_a * len(counts) + 80, max(counts) * gap_b + 140
    width, height = _place(vertical, along_size, across_size)
    image, draw = _canvas(rng, int(width), int(height))
    symbols = ("x", "h", "h", "y")
    centres = []
    for i, n in enumerate(counts):
        top = (across_size - (n - 1) * gap_b) / 2
        centres.append([_place(vertical, 60 + i * gap_a, top + j * gap_b) for j in range(n)])
    for left, right in itertools.pairwise(centres):
        for a in left:
            for b in right:
                _arrow(draw, a, b, width=1) if rng.random() < 0.5 else draw.line([a, b], fill="black", width=1)
    boxed = rng.random() < 0.5
    for i, column in enumerate(centres):
        fill = rng.choice(("white", "white", "#dddddd", "#cfe2f3"))
        for j, (x, y) in enumerate(column):
            if j == len(column) - 2 and rng.random() < 0.5:  # the elided units
                for k in (-1, 0, 1):
                    dx, dy = _place(vertical, 0, k * radius / 2)
                    draw.ellipse([x + dx - 2, y + dy - 2, x + dx + 2, y + dy + 2], fill="black")
                continue
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=fill, outline="black", width=2)
            symbol = symbols[min(i, 3)] if i < len(centres) - 1 else "y"
            draw.text((x, y), f"{symbol}{j + 1}", fill="black", font=font(radius - 4, 3), anchor="mm")
        if boxed:
            xs, ys = [c[0] for c in column], [c[1] for c in column]
            box = [min(xs) - radius - 6, min(ys) - radius - 6, max(xs) + radius + 6, max(ys) + radius + 6]
            for k in range(int(box[1]), int(box[3]), 8):
                draw.line([(box[0], k), (box[0], k + 4)], fill="black")
                draw.line([(box[2], k), (box[2], k + 4)], fill="black")
            for k in range(int(box[0]), int(box[2]), 8):
                draw.line([(k, box[1]), (k + 4, box[1])], fill="black")
                draw.line([(k, box[3]), (k + 4, box[3])], fill="black")
    return image


# 2D boxes ---------------------------------------------------------------------------------------


def boxes_chain(graph: Graph, rng: random.Random) -> Image.Image:
    """Blocks as labelled rectangles joined by arrows, shapes beside them, a skip connection to a sum."""
    layers = _layers(graph, limit=rng.randint(4, 9))
    vertical = rng.random() < 0.6
    box_a, box_b = (rng.choice((34, 44)), rng.choice((150, 190))) if vertical else (rng.choice((110, 140)), 50)
    gap = rng.choice((30, 40, 60))
    annotate = rng.random() < 0.5
    along_size = len(layers) * (box_a + gap) + 60
    across_size = box_b + (220 if annotate else 120)
    width, height = _place(vertical, along_size, across_size)
    image, draw = _canvas(rng, int(width), int(height))
    palette = rng.choice((("white",), _PASTELS, _PALETTES[0], ("#cfe2f3", "#f4cccc", "#d9ead3")))
    outline = rng.choice(("black", "#333333"))
    ends = []
    for i, layer in enumerate(layers):
        start = 30 + i * (box_a + gap)
        x0, y0 = _place(vertical, start, 60)
        x1, y1 = _place(vertical, start + box_a, 60 + box_b)
        fill = palette[i % len(palette)] if len(palette) > 1 and rng.random() < 0.8 else palette[0]
        draw.rounded_rectangle([x0, y0, x1, y1], radius=rng.choice((0, 0, 6, 12)), fill=fill, outline=outline,
                               width=rng.choice((1, 2, 3)))
        draw.text(((x0 + x1) / 2, (y0 + y1) / 2), _label(layer, rng), fill="black", font=font(14, i % 3), anchor="mm")
        if annotate:
            draw.text(_place(vertical, start + box_a / 2, 60 + box_b + 16), _dims(layer), fill="black",
                      font=font(13, 3), anchor="lm" if vertical else "mm")
        ends.append((start, start + box_a))
        if i:
            a = _place(vertical, ends[i - 1][1], 60 + box_b / 2)
            b = _place(vertical, start, 60 + box_b / 2)
            _arrow(draw, a, b, width=rng.choice((1, 2)))
    if len(layers) > 3 and rng.random() < 0.6:  # a residual path around a few blocks into a sum
        first, last = rng.randrange(0, len(layers) - 3), len(layers) - 1
        side = 60 - 25
        p0 = _place(vertical, (ends[first][0] + ends[first][1]) / 2, 60)
        p1 = _place(vertical, (ends[first][0] + ends[first][1]) / 2, side)
        p2 = _place(vertical, ends[last][0] - gap / 2, side)
        p3 = _place(vertical, ends[last][0] - gap / 2, 60 + box_b / 2)
        draw.line([p0, p1, p2], fill="black", width=2)
        _arrow(draw, p2, p3, width=2)
        r = 9
        draw.ellipse([p3[0] - r, p3[1] - r, p3[0] + r, p3[1] + r], fill="white", outline="black", width=2)
        draw.text(p3, "+", fill="black", font=font(14, 0), anchor="mm")
    return image


def boxes_bars(graph: Graph, rng: random.Random) -> Image.Image:
    """Tall coloured bars with their name written down them, as textbooks draw AlexNet and VGG."""
    layers = _layers(graph, skip=("Dropout", "Flatten"), limit=rng.randint(6, 16))
    colours = {"Conv": "#b3b3f2", "Pool": "#f2b3b3", "Full": "#b3f2b3", "Other": "#f2d9b3"}
    bar_w, bar_h, gap = rng.choice((26, 32, 40)), rng.choice((160, 220, 280)), rng.choice((14, 22, 34))
    image, draw = _canvas(rng, 2 * (bar_w + gap) + len(layers) * (bar_w + gap) + 40, bar_h + 60)
    names = ["Input", *[("Conv" if lay.op.startswith("Conv") else "Pool" if "Pool" in lay.op else
                        "Full" if lay.op == "Dense" else "Other") for lay in layers[1:]], "Output"]
    x = 20
    for i, name in enumerate(names):
        fill = "white" if name in ("Input", "Output") else colours[name]
        draw.rectangle([x, 30, x + bar_w, 30 + bar_h], fill=fill, outline="black", width=2)
        text = name if name != "Other" else layers[min(i, len(layers) - 1)].op[:6]
        step = min(bar_h / max(1, len(text)), bar_w * 0.9)
        for k, letter in enumerate(text):
            draw.text((x + bar_w / 2, 30 + step * (k + 0.5)), letter, fill="black", font=font(int(step * 0.8), 4),
                      anchor="mm")
        if i + 1 < len(names):
            _arrow(draw, (x + bar_w, 30 + bar_h / 2), (x + bar_w + gap, 30 + bar_h / 2), width=1)
        x += bar_w + gap
    return image


def boxes_branches(graph: Graph, rng: random.Random) -> Image.Image:
    """An Inception-style module: an input, parallel towers of boxes, a concatenation."""
    layers = _layers(graph)
    towers = rng.randint(2, 4)
    heights = [rng.randint(1, 3) for _ in range(towers)]
    box_w, box_h, gap = rng.choice((100, 130)), rng.choice((36, 46)), rng.choice((30, 40))
    width = towers * (box_w + gap) + 60
    height = (max(heights) + 2) * (box_h + 2 * gap) + 40
    image, draw = _canvas(rng, width, height)
    fill = rng.choice(_PASTELS)
    bottom = (width / 2, height - 30 - box_h / 2)
    top = (width / 2, 30 + box_h / 2)
    for centre, text in ((bottom, rng.choice(("Input", "Previous layer", "x"))),
                         (top, rng.choice(("Concat", "Filter concatenation", "DepthConcat")))):
        draw.rectangle([centre[0] - box_w * 0.8, centre[1] - box_h / 2, centre[0] + box_w * 0.8, centre[1] + box_h / 2],
                       fill=rng.choice(("white", fill)), outline="black", width=2)
        draw.text(centre, text, fill="black", font=font(14, 1), anchor="mm")
    for t, count in enumerate(heights):
        x = 30 + t * (box_w + gap) + box_w / 2
        previous = (bottom[0], bottom[1] - box_h / 2)
        for k in range(count):
            y = height - 30 - box_h - (k + 1) * (box_h + 2 * gap)
            layer = layers[(t * 3 + k) % len(layers)]
            draw.rectangle([x - box_w / 2, y - box_h / 2, x + box_w / 2, y + box_h / 2], fill=fill, outline="black",
                           width=2)
            draw.text((x, y), _label(layer, rng), fill="black", font=font(13, 2), anchor="mm")
            _arrow(draw, previous, (x, y + box_h / 2), width=1)
            previous = (x, y - box_h / 2)
        _arrow(draw, previous, (top[0], top[1] + box_h / 2), width=1)
    return image


def boxes_ushape(graph: Graph, rng: random.Random) -> Image.Image:
    """U-Net's look: pairs of thin bars going down then up, copy arrows across, small arrows between."""
    levels = rng.randint(3, 5)
    bar_w, gap = rng.choice((8, 12, 16)), rng.choice((18, 26))
    colour = rng.choice(("#6fa8dc", "#9fc5e8", "#ffffff", "#b6d7a8"))
    width = 2 * levels * (3 * bar_w + 2 * gap) + 160
    height = levels * 90 + 120
    marked = rng.random() < 0.5
    image, draw = _canvas(rng, width + (120 if marked else 0), height)
    for level in range(levels):
        tall = max(30, 220 - level * 45)
        y = 30 + level * 80
        for side in (0, 1):
            x = 40 + level * (2 * bar_w + gap) if side == 0 else width - 40 - (level + 1) * (2 * bar_w + gap)
            for k in range(rng.choice((2, 3))):
                draw.rectangle([x + k * (bar_w + 4), y, x + k * (bar_w + 4) + bar_w, y + tall], fill=colour,
                               outline="black")
            if side == 0:
                left = x + 3 * (bar_w + 4)
            else:
                draw.line([(left, y + tall / 2), (x - 6, y + tall / 2)], fill="#888888", width=3)
                _arrow(draw, (x - 20, y + tall / 2), (x - 4, y + tall / 2), width=2, fill="#888888")
        draw.text((40 + level * (2 * bar_w + gap), y + tall + 12), f"{2 ** (6 + level)}", fill="black",
                  font=font(11, 0))
        if level and marked:  # U-Net's own marks: red down the left, green up the right
            xl = 40 + level * (2 * bar_w + gap) + bar_w / 2
            _arrow(draw, (xl, y - 34), (xl, y - 4), width=3, fill="#cc0000")
            xr = width - 40 - level * (2 * bar_w + gap) + bar_w
            _arrow(draw, (xr, y - 4), (xr, y - 40), width=3, fill="#38a800")
    if marked:  # and a legend of what each arrow does
        for k, (colour, text) in enumerate((("#1f3d99", "conv 3x3, ReLU"), ("#888888", "copy and crop"),
                                            ("#cc0000", "max pool 2x2"), ("#38a800", "up-conv 2x2"))):
            ly = height - 110 + k * 22
            _arrow(draw, (width - 150, ly), (width - 120, ly), width=3, fill=colour)
            draw.text((width - 112, ly), text, fill="black", font=font(11, 0), anchor="lm")
    return image


# stacked 2D -------------------------------------------------------------------------------------


def stacked_convnet(graph: Graph, rng: random.Random) -> Image.Image:
    """draw_convnet's look: many grey maps stacked diagonally, labels above, kernels as small squares."""
    layers = _layers(graph, skip=("Dropout", "Flatten"), limit=rng.randint(4, 8))
    if not any(len(layer.shape) == 3 for layer in layers):  # a text or vector model: draw it as LeNet's maps
        side = rng.choice((28, 32, 64))
        layers = [Layer(layer.name, layer.op, (side >> k, side >> k, 6 * (k + 1)))
                  for k, layer in enumerate(layers[:4])]
    image, draw = _canvas(rng, 190 * len(layers) + 80, 380)
    greys = rng.choice((("#888888", "#bbbbbb"), ("#999999", "#dddddd"), ("#ffffff", "#ffffff")))
    x = 30
    previous: tuple[float, float] | None = None
    for layer in layers:
        if len(layer.shape) == 3:
            side = max(24, min(110, int(10 * math.sqrt(layer.shape[0] or 1))))
            maps = max(3, min(10, (layer.shape[-1] or 1) // 6 + 2))
            step = rng.choice((5, 7, 9))
            for k in range(maps):
                ox, oy = x + k * step, 150 - k * step
                draw.rectangle([ox, oy, ox + side, oy + side], fill=greys[k % 2], outline="black")
            kernel = (x + (maps - 1) * step + side / 3, 150 - (maps - 1) * step + side / 3)
            draw.rectangle([kernel[0], kernel[1], kernel[0] + side / 5, kernel[1] + side / 5], outline="black")
            if previous is not None:
                draw.line([previous, (x + side / 2, 150 + side / 2)], fill="black")
            previous = kernel
            draw.text((x, 40), f"Feature\nmaps\n{layer.shape[-1]}@{layer.shape[0]}x{layer.shape[1]}", fill="black",
                      font=font(11, 0))
            x += side + maps * step + 60
        else:
            units = _size(layer.shape)
            length = max(40, min(180, int(16 * math.log2(units + 1))))
            for k in range(0, length, 6):
                draw.rectangle([x + k / 3, 120 + k, x + k / 3 + 4, 124 + k], fill="#444444")
            draw.text((x, 40), f"Hidden\nunits\n{units}", fill="black", font=font(11, 0))
            x += 90
        draw.text((x - 100, 330), rng.choice(("Convolution\n5x5 kernel", "Max-pooling\n2x2 kernel", "Fully\nconnected",
                                              layer.op)), fill="black", font=font(11, 0))
    return image


# 3D boxes ----------------------------------------------------------------------------------------


def _cuboid(draw: ImageDraw.ImageDraw, x: float, y: float, w: float, h: float, d: float,
            colours: tuple[str, str, str] | None, outline: str = "black") -> None:
    """A box seen from the upper right: front face at (x, y), depth d going up and right."""
    front = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    upper = [(x, y), (x + d, y - d), (x + d + w, y - d), (x + w, y)]
    side = [(x + w, y), (x + w + d, y - d), (x + w + d, y + h - d), (x + w, y + h)]
    for face, colour in zip((side, upper, front), colours or (None, None, None), strict=True):
        draw.polygon(face, fill=colour, outline=outline)


def boxes3d_slabs(graph: Graph, rng: random.Random) -> Image.Image:
    """PlotNeuralNet's look: each block a few thin slabs, warm colours, shaded faces, arrows, skips."""
    layers = _layers(graph, skip=("Dropout", "Flatten"), limit=rng.randint(4, 9))
    parts = []  # per layer: height, slabs, slab width, depth, gap after it
    for layer in layers:
        if len(layer.shape) == 3:
            h = max(30, min(230, int(16 * math.sqrt(layer.shape[0] or 1))))
            slabs = rng.randint(1, 4)
        else:
            h, slabs = max(60, min(260, int(18 * math.log2(_size(layer.shape) + 1)))), 1
        parts.append((h, slabs, rng.choice((6, 10, 14)), h * rng.uniform(0.4, 0.9), rng.choice((12, 30, 45, 60))))
    if rng.random() < 0.7:  # blocks large against the gaps, as the tool draws them
        grow = _grow([slabs * (w + 1) + gap for _, slabs, w, _, gap in parts], [d for *_, d, _ in parts],
                     max(h + d for h, _, _, d, _ in parts), rng.uniform(1.2, 3.0))
        parts = [(h * grow, slabs, w, d * grow, gap) for h, slabs, w, d, gap in parts]
    tallest = max(h + d for h, _, _, d, _ in parts)
    image, draw = _canvas(rng, int(sum(slabs * (w + 1) + d + gap for _, slabs, w, d, gap in parts) + 120),
                          int(tallest + 140))
    x, mid = 40.0, tallest / 2 + 60
    outline = rng.choice(("black", "#555555", "#777777"))
    centres = []
    for i, (layer, (h, slabs, w, d, gap)) in enumerate(zip(layers, parts, strict=True)):
        colours = (rng.choice(_WARM) if rng.random() < 0.4
                   else _WARM[i % 2 if layer.op.startswith("Conv") else 2 + i % 3])
        for k in range(slabs):
            _cuboid(draw, x + k * (w + 1), mid - h / 2 + d / 2, w, h, d, (colours[1], colours[0], colours[2]), outline)
        end = x + slabs * (w + 1) + d
        centres.append((x, end))
        draw.text((x, mid + h / 2 + d / 2 + 8), _dims(layer) if rng.random() < 0.5 else layer.op, fill="black",
                  font=font(10, 2))
        x = end + gap
    for (_, end), (start, _) in itertools.pairwise(centres):
        _arrow(draw, (end - 4, mid), (start + 2, mid), width=1, fill=rng.choice(("black", "#3050a0")))
    if len(centres) > 3 and rng.random() < 0.5:
        a, b = centres[1][0] + 4, centres[-2][0] + 4
        draw.line([(a, 30), (b, 30)], fill="#3050a0", width=2)
        draw.line([(a, 30), (a, 70)], fill="#3050a0", width=2)
        _arrow(draw, (b, 30), (b, 70), width=2, fill="#3050a0")
    return image


def boxes3d_wireframe(graph: Graph, rng: random.Random) -> Image.Image:
    """convnet-drawer's look: outlined cuboids in perspective, a kernel cube, lines to the next block."""
    layers = _layers(graph, skip=("Dropout", "Flatten"), limit=rng.randint(4, 9))
    image, draw = _canvas(rng, 150 * len(layers) + 100, 420)
    x, mid = 40.0, 220
    previous: tuple[float, float] | None = None
    line = rng.choice(("black", "#333333", "#3355cc"))
    for layer in layers:
        if len(layer.shape) == 3:
            h = max(20, min(180, int(14 * math.sqrt(layer.shape[0] or 1))))
            w = max(4, min(50, int(5 * math.log2((layer.shape[-1] or 1) + 1))))
            d = h * 0.5
            _cuboid(draw, x, mid - h / 2 + d / 2, w, h, d, None, outline="black")
            k = max(4, h / 6)
            kx, ky = x + w / 2, mid
            _cuboid(draw, kx, ky, k / 2, k, k / 2, None, outline=line)
            if previous is not None:
                draw.line([previous, (x + w / 2 + d / 2, mid - d / 4)], fill=line)
            previous = (kx, ky)
            draw.text((x, mid - h / 2 - d / 2 - 20), _dims(layer), fill="black", font=font(10, 0))
            draw.text((x, mid + h / 2 + d / 2 + 10), f"{layer.op.lower()}", fill="black", font=font(10, 0))
            x += w + d + 60
        else:
            h = max(40, min(200, int(16 * math.log2(_size(layer.shape) + 1))))
            draw.polygon([(x, mid - h / 2 + 10), (x + 10, mid - h / 2), (x + 10, mid + h / 2 - 10), (x, mid + h / 2)],
                         outline="black")
            if previous is not None:
                draw.line([previous, (x, mid)], fill=line)
            previous = (x + 10, mid)
            draw.text((x, mid + h / 2 + 10), f"dense\n{_size(layer.shape)}", fill="black", font=font(10, 0))
            x += 60
    return image


# pipeline ---------------------------------------------------------------------------------------


def photo_like(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A stand-in for a photograph: a sky-to-ground gradient, blurred blobs and grain."""
    w, h = size
    top = tuple(rng.randrange(80, 256) for _ in range(3))
    bottom = tuple(rng.randrange(0, 180) for _ in range(3))
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(h):
        t = y / max(1, h - 1)
        draw.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    for _ in range(rng.randint(3, 12)):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        r = rng.randint(max(3, w // 20), max(4, w // 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x0 - r, y0 - r // 2, x0 + r, y0 + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 3)))
    grain = Image.effect_noise(size, rng.uniform(10, 40)).convert("RGB")
    return Image.blend(image, grain, rng.uniform(0.05, 0.2))


def pipeline_overview(graph: Graph, rng: random.Random) -> Image.Image:
    """An overview figure: input pictures, the network as small blocks in a frame, the output picture."""
    layers = _layers(graph, skip=("Dropout", "Flatten"), limit=rng.randint(3, 7))
    side = rng.choice((90, 120, 150))
    image, draw = _canvas(rng, 2 * side + 110 * len(layers) + 200, side * 2 + 120)
    mid = image.height / 2
    for k in range(rng.randint(1, 3)):
        image.paste(photo_like(rng, (side, side)), (20 + 8 * k, int(mid - side / 2) - 8 * k))
    x = side + 80
    _arrow(draw, (side + 40, mid), (x - 6, mid), width=2)
    frame_start = x - 10
    for i, layer in enumerate(layers):
        colours = _WARM[i % len(_WARM)]
        if rng.random() < 0.5:
            h = rng.randint(40, int(side * 1.2))
            _cuboid(draw, x, mid - h / 2 + 10, 14, h, 20, (colours[1], colours[0], colours[2]))
        else:
            h = rng.randint(40, int(side * 1.2))
            draw.rectangle([x, mid - h / 2, x + 34, mid + h / 2], fill=colours[0], outline="black")
        draw.text((x, mid + side * 0.7), _label(layer, rng)[:10], fill="black", font=font(11, 1))
        x += 110
    if rng.random() < 0.6:
        draw.rectangle([frame_start, mid - side * 0.9, x - 40, mid + side * 0.9 + 20], outline="#555555", width=2)
    _arrow(draw, (x - 30, mid), (x + 10, mid), width=2)
    out = photo_like(rng, (side, side)).quantize(rng.randint(3, 6)).convert("RGB")
    image.paste(out, (int(x + 20), int(mid - side / 2)))
    if rng.random() < 0.6:
        for text, px in (("Input", 20), ("Output", x + 20)):
            draw.text((px, mid - side / 2 - 30), text, fill="black", font=font(16, 0))
    return image


LOOKS: dict[str, tuple[Callable[[Graph, random.Random], Image.Image], ...]] = {
    "neurons": (neurons_cells, neurons_tikz),
    "boxes2d": (boxes_chain, boxes_bars, boxes_branches, boxes_ushape),
    "stacked2d": (stacked_convnet,),
    "boxes3d": (boxes3d_slabs, boxes3d_wireframe),
    "pipeline": (pipeline_overview,),
}

STYLES = ("neurons", "stacked2d", "boxes3d", "pipeline", "boxes2d")


def looks_of(style: str) -> tuple[Callable[[Graph, random.Random], Image.Image], ...]:
    from dlp2c.simulator import diagrams  # it draws with this module's parts

    first = (DRAWERS[style],) if style in DRAWERS else ()
    return first + LOOKS[style] + diagrams.LOOKS.get(style, ())


def draw(style: str, graph: Graph, rng: random.Random) -> tuple[str, Image.Image]:
    """One drawing of the model in ``style``, in one of the style's looks; returns the look's name too."""
    look = rng.choice(looks_of(style))
    return look.__name__, look(graph, rng)
