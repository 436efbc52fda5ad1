"""Looks that papers draw by hand rather than with a plotting tool: recurrent cells with their gates,
sequences unrolled in time with attention over them, residual and squeeze-excitation modules with
their shapes beside them, 3D blocks in perspective laid out in a line or a U, and wire-frame blocks
joined by kernel pyramids. They widen what the classifier sees as "a network design" beyond tool
output; each draws from the model's layers and the random stream, so no two are alike."""

from __future__ import annotations

import math
import random

from dlp2c.common.graph import Graph
from dlp2c.simulator.drawings import _arrow, _canvas, _grow, _size, font
from dlp2c.simulator.looks import _WARM, _cuboid, _dims, _label, _layers
from PIL import Image, ImageDraw

Point = tuple[float, float]
_INK = ("black", "#222222", "#333333")
SIGMA = "\u03c3"  # the gates' sigmoid, as papers write it
_GATE_FILLS = ("white", "#eeeeee", "#cfe2f3", "#fde9a9", "#d9ead3")


def _dashed(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], fill: str, step: int = 8) -> None:
    x0, y0, x1, y1 = box
    for k in range(int(x0), int(x1), step):
        draw.line([(k, y0), (min(k + step / 2, x1), y0)], fill=fill, width=1)
        draw.line([(k, y1), (min(k + step / 2, x1), y1)], fill=fill, width=1)
    for k in range(int(y0), int(y1), step):
        draw.line([(x0, k), (x0, min(k + step / 2, y1))], fill=fill, width=1)
        draw.line([(x1, k), (x1, min(k + step / 2, y1))], fill=fill, width=1)


def _circle(draw: ImageDraw.ImageDraw, c: Point, r: float, text: str, ink: str, fill: str = "white",
            size: int = 14) -> None:
    draw.ellipse([c[0] - r, c[1] - r, c[0] + r, c[1] + r], fill=fill, outline=ink, width=2)
    if text in ("+", "x"):  # drawn, not typed: the operator fills its circle
        k = r * 0.55
        if text == "+":
            draw.line([(c[0] - k, c[1]), (c[0] + k, c[1])], fill=ink, width=2)
            draw.line([(c[0], c[1] - k), (c[0], c[1] + k)], fill=ink, width=2)
        else:
            k *= 0.75
            draw.line([(c[0] - k, c[1] - k), (c[0] + k, c[1] + k)], fill=ink, width=2)
            draw.line([(c[0] - k, c[1] + k), (c[0] + k, c[1] - k)], fill=ink, width=2)
    elif text:
        draw.text(c, text, fill=ink, font=font(size, 3), anchor="mm")


def _elbow(draw: ImageDraw.ImageDraw, a: Point, b: Point, ink: str, width: int, horizontal_first: bool) -> None:
    """An orthogonal connection with an arrowhead at ``b``."""
    corner = (b[0], a[1]) if horizontal_first else (a[0], b[1])
    draw.line([a, corner], fill=ink, width=width)
    _arrow(draw, corner, b, width=width, fill=ink)


# recurrent cells ----------------------------------------------------------------------------------


def recurrent_cell(graph: Graph, rng: random.Random) -> Image.Image:
    """An LSTM or GRU cell: a rounded frame, operator circles and sigma/tanh boxes on a grid, orthogonal
    wires with arrows, the state running across the top, the input below and the output above."""
    columns, rows = rng.randint(3, 6), rng.randint(2, 3)
    cell = rng.choice((70, 85, 100))
    width, height = columns * cell + 260, rows * cell + 260
    image, draw = _canvas(rng, width, height)
    ink = rng.choice(_INK)
    wire = rng.choice((2, 2, 3))
    frame = (110, 110, 110 + columns * cell + 20, 110 + rows * cell + 20)
    fill = rng.choice(("white", "white", "#f3f3f3", "#e8f4e0", "#eaf1fb"))
    draw.rounded_rectangle(frame, radius=rng.choice((10, 20, 30)), fill=fill, outline=ink, width=wire + 1)
    grid = {(c, r): (frame[0] + 10 + (c + 0.5) * cell, frame[1] + 10 + (r + 0.5) * cell)
            for c in range(columns) for r in range(rows)}
    top = frame[1] - 40
    # the state line across the top and the hidden line across the bottom
    draw.line([(40, top + 55), (width - 40, top + 55)], fill=ink, width=wire)
    _arrow(draw, (width - 70, top + 55), (width - 30, top + 55), width=wire, fill=ink)
    bottom_y = frame[3] - 25
    draw.line([(40, bottom_y), (frame[0] + 30, bottom_y)], fill=ink, width=wire)
    placed: list[Point] = []
    for c in range(columns):
        r = rng.randrange(rows)
        centre = grid[(c, r)]
        kind = rng.random()
        if kind < 0.5:
            _circle(draw, centre, 12, rng.choice(("x", "x", "+")), ink, rng.choice(_GATE_FILLS))
        else:
            text = rng.choice((SIGMA, SIGMA, "tanh", "1-", "ReLU"))
            w = 16 + 8 * len(text)
            draw.rectangle([centre[0] - w / 2, centre[1] - 13, centre[0] + w / 2, centre[1] + 13],
                           fill=rng.choice(_GATE_FILLS), outline=ink, width=2)
            draw.text(centre, text, fill=ink, font=font(16, 3), anchor="mm")
        # every gate hangs off the hidden line below and feeds the state line or the next gate
        _elbow(draw, (centre[0] - 4, bottom_y), (centre[0] - 4, centre[1] + 14), ink, wire, False)
        target = (centre[0], top + 55) if rng.random() < 0.5 or not placed else placed[-1]
        if target[1] == top + 55:
            _arrow(draw, (centre[0], centre[1] - 14), (centre[0], top + 62), width=wire, fill=ink)
        else:
            _elbow(draw, (centre[0] - 14, centre[1]), (target[0] + 14, target[1]), ink, wire, True)
        if rng.random() < 0.3:
            _circle(draw, (centre[0], top + 55), 12, rng.choice(("x", "+")), ink, rng.choice(_GATE_FILLS))
        placed.append(centre)
    labels = rng.random() < 0.8
    x_in = (frame[0] + rng.uniform(0.1, 0.5) * (frame[2] - frame[0]), frame[3] + 70)
    _circle(draw, x_in, 22, "xt" if labels else "", ink, size=16)
    draw.line([(x_in[0], x_in[1] - 22), (x_in[0], bottom_y)], fill=ink, width=wire)
    draw.line([(x_in[0], bottom_y), (frame[2] - 25, bottom_y)], fill=ink, width=wire)
    if rng.random() < 0.7:
        y_out = (frame[2] - 30, 35)
        _circle(draw, y_out, 22, "yt" if labels else "", ink, size=16)
        _arrow(draw, (y_out[0], top + 55), (y_out[0], y_out[1] + 24), width=wire, fill=ink)
    if labels:
        for text, xy in ((rng.choice(("ht-1", "h(t-1)", "ct-1")), (10, top + 35)), (rng.choice(("ht", "ct")),
                                                                                   (width - 40, top + 30))):
            draw.text(xy, text, fill=ink, font=font(18, 3))
    return image


def unrolled_sequence(graph: Graph, rng: random.Random) -> Image.Image:
    """A recurrent network unrolled in time: inputs below, hidden states in boxes (one or two
    directions, sometimes in dashed groups), outputs above, and now and then attention weights gathered
    into a context node."""
    steps = rng.randint(3, 6)
    gap = rng.choice((110, 130, 150))
    two_way = rng.random() < 0.4
    attention = rng.random() < 0.5
    height = 560 if attention else 420
    width = steps * gap + 180
    image, draw = _canvas(rng, width, height)
    ink = rng.choice(_INK)
    fill = rng.choice(_GATE_FILLS)
    base = height - 60
    box_w, box_h = rng.choice((46, 56)), rng.choice((34, 40))
    rows = [base - 120] + ([base - 120 - box_h - 14] if two_way else [])
    tops: list[Point] = []
    for t in range(steps):
        x = 90 + t * gap
        elided = t == steps - 2 and rng.random() < 0.4
        if elided:
            draw.text((x, rows[-1]), ". . .", fill=ink, font=font(20, 3), anchor="mm")
            continue
        _circle(draw, (x, base), 20, f"x{t + 1}", ink, size=15)
        _arrow(draw, (x, base - 20), (x, rows[0] + box_h / 2), width=2, fill=ink)
        for k, y in enumerate(rows):
            draw.rounded_rectangle([x - box_w / 2, y - box_h / 2, x + box_w / 2, y + box_h / 2],
                                   radius=rng.choice((0, 6)), fill=fill, outline=ink, width=2)
            draw.text((x, y), "h" + str(t + 1), fill=ink, font=font(15, 3), anchor="mm")
            if t:
                a, b = (x - gap + box_w / 2, y), (x - box_w / 2, y)
                _arrow(draw, *((a, b) if k == 0 else (b, a)), width=2, fill=ink)
        if two_way and rng.random() < 0.7:
            _dashed(draw, (x - box_w / 2 - 8, rows[-1] - box_h / 2 - 8, x + box_w / 2 + 8, rows[0] + box_h / 2 + 8),
                    ink)
        tops.append((x, rows[-1] - box_h / 2 - (8 if two_way else 0)))
    if attention and tops:
        context = (width / 2, 90)
        _circle(draw, context, 18, "+", ink)
        for k, top in enumerate(tops):
            _arrow(draw, top, (context[0] + (top[0] - context[0]) * 0.06, context[1] + 18), width=2, fill=ink)
            if rng.random() < 0.7:
                mid = ((top[0] + context[0]) / 2, (top[1] + context[1]) / 2)
                draw.text((mid[0] - 30, mid[1]), f"a{k + 1}", fill=ink, font=font(14, 3))
        out = (context[0] + gap * 0.7, 40)
        draw.rounded_rectangle([out[0] - 28, out[1] - 18, out[0] + 28, out[1] + 18], radius=12, fill=fill,
                               outline=ink, width=2)
        draw.text(out, "st", fill=ink, font=font(15, 3), anchor="mm")
        _elbow(draw, (context[0] + 18, context[1]), (out[0], out[1] + 18), ink, 2, True)
    elif tops:
        for top in tops:
            _circle(draw, (top[0], 50), 20, "y", ink, size=15)
            _arrow(draw, top, (top[0], 72), width=2, fill=ink)
    return image


# modules -----------------------------------------------------------------------------------------


def module_stack(graph: Graph, rng: random.Random) -> Image.Image:
    """A residual or squeeze-excitation module: a column of named boxes joined by arrows, the input
    skipping round them on a curve into a sum, the tensor's shape written beside each step."""
    layers = _layers(graph, limit=rng.randint(3, 7))
    modules = rng.choice((1, 1, 2))
    box_w, box_h, gap = rng.choice((110, 140, 170)), rng.choice((30, 36, 42)), rng.choice((22, 30, 40))
    column_h = (len(layers) + 2) * (box_h + gap) + 60
    width = modules * (box_w + 330) + 40
    image, draw = _canvas(rng, width, column_h + 120)
    ink = rng.choice(_INK)
    fills = rng.choice((("white",), ("#f4cccc", "#d9ead3", "#cfe2f3", "#fff2cc"), ("#eeeeee",)))
    for m in range(modules):
        cx = 150 + m * (box_w + 330) + box_w / 2
        names = [_label(layer, rng) for layer in layers] if m == modules - 1 else \
            [rng.choice(("Residual", "Inception", "Conv 3x3", "Block"))]
        y = 50.0
        draw.text((cx, y - 30), rng.choice(("X", "x", "input")), fill=ink, font=font(18, 3), anchor="mm")
        start = (cx, y - 18)
        previous = start
        for k, name in enumerate(names):
            y += gap
            box = (cx - box_w / 2, y, cx + box_w / 2, y + box_h)
            _arrow(draw, previous, (cx, y), width=2, fill=ink)
            draw.rectangle(box, fill=fills[k % len(fills)], outline=ink, width=2)
            draw.text((cx, y + box_h / 2), name[:16], fill=ink, font=font(15, 2), anchor="mm")
            if m == modules - 1 and rng.random() < 0.85:
                draw.text((box[2] + 20, y + box_h / 2), rng.choice((_dims(layers[k]) or "1x1xC", "H x W x C",
                                                                       "1 x 1 x C/r")), fill=ink, font=font(14, 3),
                          anchor="lm")
            previous = (cx, y + box_h)
            y += box_h
        total = (cx, y + gap + 14)
        _arrow(draw, previous, (total[0], total[1] - 14), width=2, fill=ink)
        _circle(draw, total, 13, rng.choice(("+", "x")), ink)
        # the identity path: out of the input, round the boxes on the left, into the sum
        left = cx - box_w / 2 - rng.choice((30, 50, 70))
        points = [start]
        for k in range(1, 17):
            t = k / 16
            points.append((cx + (left - cx) * math.sin(math.pi * t) * 1.1 - 14 * t,
                           start[1] + (total[1] - start[1]) * t))
        draw.line(points[:-1], fill=ink, width=2)
        _arrow(draw, points[-2], (total[0] - 13, total[1]), width=2, fill=ink)
        _arrow(draw, (cx, total[1] + 13), (cx, total[1] + 45), width=2, fill=ink)
        draw.text((cx, total[1] + 60), rng.choice(("X~", "output", "y")), fill=ink, font=font(18, 3), anchor="mm")
        if rng.random() < 0.6:
            draw.text((cx, total[1] + 90), rng.choice(("ResNet Module", "SE-ResNet Module", "Block", "Module")),
                      fill="black", font=font(16, 0), anchor="mm")
    return image


# 3D blocks ---------------------------------------------------------------------------------------


def blocks3d_perspective(graph: Graph, rng: random.Random) -> Image.Image:
    """PlotNeuralNet's look at its most typical: each block a group of thick cuboids seen from the
    upper right (width for channels, height for the map), a red pooling slab stuck to the group, the
    blocks shrinking along the net, arrows between, dense layers as thin long bars, in a line or a U."""
    layers = _layers(graph, skip=("Dropout", "Flatten"), limit=rng.randint(4, 10))
    ushape = rng.random() < 0.35 and len(layers) >= 5
    conv_fill = rng.choice((("#fbe5b6", "#f6d58e", "#e8c070"), _WARM[0], ("#dde8f6", "#b8cde8", "#8eaad6")))
    pool_fill = rng.choice((("#e07a70", "#cc5a50", "#a8443c"), _WARM[1]))
    other_fill = rng.choice((("#c9ecd6", "#a5d9b8", "#7fbf98"), _WARM[3]))
    outline = rng.choice(("black", "#444444"))
    scale = rng.uniform(0.7, 1.2)
    blocks = []
    for k, layer in enumerate(layers):
        spatial = len(layer.shape) == 3
        if spatial:
            h = max(24, min(220, 18 * math.sqrt(layer.shape[0] or 1))) * scale
            w = max(8, min(130, 9 * math.log2((layer.shape[-1] or 1) + 1))) * scale * rng.uniform(0.6, 1.6)
        else:
            h, w = max(20, min(90, 7 * math.log2(_size(layer.shape) + 1))) * scale, 8 * scale
        d = h * rng.uniform(0.45, 0.9) if spatial else rng.uniform(50, 120) * scale
        kind = "pool" if "Pool" in layer.op else "conv" if layer.op.startswith("Conv") or k == 0 else "other"
        blocks.append((layer, w, h, d, kind))
    step = rng.choice((8, 20, 30, 45, 60))
    if rng.random() < 0.7:  # as the tools draw it: blocks large against the gaps, the figure not a thin strip
        grow = _grow([w + step for _, w, _, _, _ in blocks], [d * 0.9 for *_, d, _ in blocks],
                     max(h + d for _, _, h, d, _ in blocks), rng.uniform(1.2, 3.0))
        blocks = [(layer, w, h * grow, d * grow, kind) for layer, w, h, d, kind in blocks]
    along = sum(w + d + step for _, w, h, d, _ in blocks) + 120
    tallest = max(h + d for _, _, h, d, _ in blocks)
    depth_drop = tallest * 0.55 if ushape else 0
    legend = rng.random() < 0.35
    height = int(tallest + depth_drop * 3 + 140)
    image, draw = _canvas(rng, int(along * (0.7 if ushape else 1.0)) + 140 + (220 if legend else 0), height)
    if legend:  # a key of small cubes, one per kind of block, in the lower right corner
        ly = height - 150
        for fill, text in ((conv_fill, rng.choice(("convolution + ReLU", "conv", "Conv2D"))),
                           (pool_fill, rng.choice(("max pooling", "pool", "MaxPooling"))),
                           (other_fill, rng.choice(("fully connected", "dense", "FC + softmax")))):
            _cuboid(draw, image.width - 210, ly + 16, 22, 14, 8, (fill[1], fill[0], fill[2]), outline)
            draw.text((image.width - 175, ly + 9), text, fill="black", font=font(12, 1), anchor="lm")
            ly += 40
    x, base = 50.0, tallest / 2 + 60
    half = len(blocks) // 2
    previous: Point | None = None
    centres = []
    for k, (layer, w, h, d, kind) in enumerate(blocks):
        if ushape:
            level = k if k <= half else len(blocks) - 1 - k
            mid = base + level * depth_drop * 1.1
        else:
            mid = base
        fill = pool_fill if kind == "pool" else conv_fill if kind == "conv" else other_fill
        slabs = rng.choice((1, 1, 2, 3)) if kind == "conv" else 1
        for s in range(slabs):
            sx = x + s * w / slabs
            _cuboid(draw, sx, mid - h / 2 + d / 2, w / slabs, h, d, (fill[1], fill[0], fill[2]), outline)
            if rng.random() < 0.5:  # the dashed hidden edges PlotNeuralNet draws
                _dashed_line(draw, (sx + d, mid - h / 2 - d / 2), (sx + d, mid + h / 2 - d / 2), outline)
        centre_in, centre_out = (x, mid + d / 4), (x + w + d * 0.5, mid)
        if previous is not None:
            _arrow(draw, previous, centre_in, width=2, fill=rng.choice(("#2f6f73", "#3050a0", "black")))
        centres.append((x + w / 2, mid - h / 2 - d / 2))
        if rng.random() < 0.7:
            draw.text((x + w / 2, mid + h / 2 + d / 2 + 6), str(layer.shape[-1]) if layer.shape else layer.op,
                      fill="black", font=font(11, 2), anchor="mt")
        previous = centre_out
        x += w + d * (0.5 if ushape else 0.9) + step * (0.4 if ushape and k < half else 1)
        if ushape and k == half:
            x += step
    if ushape:  # skips from the way down to the way up, each into a small sum circle
        for k in range(1, half):
            a, b = centres[k], centres[len(centres) - 1 - k]
            y = a[1] - 12
            draw.line([(a[0], y), (b[0] - 14, y)], fill="#3050a0", width=1)
            draw.ellipse([b[0] - 14, y - 7, b[0], y + 7], fill="#c8b6e2", outline="#555555")
    elif rng.random() < 0.4:
        draw.text((x - step, base + tallest / 2), "SOFT", fill="black", font=font(12, 2))
    return image


def _dashed_line(draw: ImageDraw.ImageDraw, a: Point, b: Point, fill: str, step: float = 6) -> None:
    length = math.dist(a, b)
    for k in range(int(length // step)):
        if k % 2 == 0:
            t0, t1 = k * step / length, min(1.0, (k + 1) * step / length)
            draw.line([(a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0),
                       (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1)], fill=fill, width=1)


def wire_pyramids(graph: Graph, rng: random.Random) -> Image.Image:
    """convnet-drawer's look: a large input plane, outlined cuboids shrinking along the net, a small
    kernel box in each joined by a pyramid of lines to a point in the next, the shape above and the
    operation below in two lines, dense layers as thin upright slabs fanned together by dotted lines."""
    layers = _layers(graph, skip=("Dropout",), limit=rng.randint(5, 12))
    line = rng.choice(("#2233cc", "#3355cc", "black"))
    gap = rng.choice((50, 70, 90))
    image, draw = _canvas(rng, len(layers) * (gap + 60) + 300, 460)
    mid = 220.0
    x = 40.0
    previous: list[Point] | None = None
    first = True
    for layer in layers:
        if len(layer.shape) == 3 or first:
            side = 240 if first else max(10, min(150, 12 * math.sqrt(layer.shape[0] or 1)))
            w = 4 if first else max(3, min(40, 4 * math.log2((layer.shape[-1] or 1) + 1)))
            d = side * 0.5
            _cuboid(draw, x, mid - side / 2 + d / 2, w, side, d, None, outline="black")
            k = max(3, side / 7)
            kx, ky = x + w * 0.6 + d * 0.2, mid - k / 2
            _cuboid(draw, kx, ky + k, k / 2, k, k / 2, None, outline=line)
            if previous is not None:
                for corner in previous:
                    draw.line([corner, (kx + k / 4, ky + k / 2)], fill=line, width=1)
            previous = [(kx, ky), (kx + k / 2, ky), (kx, ky + k), (kx + k / 2, ky + k)]
            text = "x".join(str(v) for v in layer.shape if v is not None)
            draw.text((x + d / 2, mid - side / 2 - d / 2 - 8), text, fill="black", font=font(12, 0), anchor="ms")
            below = (f"{_label(layer, rng).lower()}\nstride ({rng.choice((1, 2))}, {rng.choice((1, 2))})"
                     if not first else "input")
            draw.multiline_text((x + d / 2, mid + side / 2 + 8), below, fill="black", font=font(12, 0), anchor="ma",
                                align="center")
            x += w + d + gap
            first = False
        else:
            h = max(40, min(260, 30 * math.log10(_size(layer.shape) + 1)))
            top, bottom = (x, mid - h / 2), (x, mid + h / 2)
            draw.polygon([top, (x + 6, top[1] - 6), (x + 6, bottom[1] - 6), bottom], outline="black")
            if previous is not None:
                for corner in (previous[0], previous[-1]):
                    for end in (top, bottom):
                        if rng.random() < 0.6:
                            _dashed_line(draw, corner, end, line, step=3)
            previous = [(x + 6, top[1] - 6), (x + 6, bottom[1] - 6)]
            draw.text((x, top[1] - 12), str(_size(layer.shape)), fill="black", font=font(12, 0), anchor="ms")
            draw.text((x, bottom[1] + 8), rng.choice(("dense", "fc", layer.op.lower())), fill="black",
                      font=font(12, 0), anchor="ma")
            x += gap
    return image


LOOKS = {"boxes2d": (recurrent_cell, unrolled_sequence, module_stack),
         "boxes3d": (blocks3d_perspective, wire_pyramids)}
