"""Figures that are not network designs, of the kinds papers are full of. The figure classifier needs
them as its "other" class; each is drawn fresh from its own random stream."""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from dlp2c.simulator.render import render_dot
from PIL import Image

KINDS = ("lineplot", "barchart", "scatter", "confusion", "imagegrid", "table", "equation", "flowchart", "photo",
         "histogram", "subplots", "screen")
_WORDS = ("accuracy", "loss", "epoch", "baseline", "ours", "BLEU", "mAP", "recall", "precision", "F1",
          "train", "val", "test", "ResNet", "VGG", "LSTM", "time (s)", "iterations", "error rate")
_STEPS = ("Start", "Collect data", "Clean records", "Label samples", "Split by user", "Review", "Approve?",
          "Publish", "Archive", "Notify team", "Retry", "End", "Query index", "Rank results", "Cache")


def _figure(rng: random.Random):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = rng.choice(("DejaVu Sans", "DejaVu Serif", "Liberation Sans", "Liberation Serif"))
    fig, ax = plt.subplots(figsize=(rng.uniform(3.5, 6.5), rng.uniform(2.5, 4.5)))
    return plt, fig, ax


def _to_image(plt, fig, rng: random.Random) -> Image.Image:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=rng.choice((72, 100, 150)), bbox_inches="tight")
    plt.close(fig)
    out.seek(0)
    return Image.open(out).convert("RGB")


def lineplot(rng: random.Random) -> Image.Image:
    import numpy as np

    plt, fig, ax = _figure(rng)
    x = np.arange(rng.randint(10, 100))
    for _ in range(rng.randint(1, 5)):
        ax.plot(x, np.cumsum(np.random.default_rng(rng.randrange(2**32)).normal(0, 1, len(x))),
                label=rng.choice(_WORDS), marker=rng.choice(("", "o", "s", "^")), markevery=max(1, len(x) // 10))
    ax.set_xlabel(rng.choice(_WORDS))
    ax.set_ylabel(rng.choice(_WORDS))
    ax.legend(fontsize=8)
    ax.grid(rng.random() < 0.5)
    return _to_image(plt, fig, rng)


def barchart(rng: random.Random) -> Image.Image:
    plt, fig, ax = _figure(rng)
    names = rng.sample(_WORDS, rng.randint(3, 8))
    ax.bar(names, [rng.uniform(0.2, 1.0) for _ in names], color=rng.choice(("C0", "C1", "C2", "grey")))
    ax.set_ylabel(rng.choice(_WORDS))
    plt.setp(ax.get_xticklabels(), rotation=rng.choice((0, 30, 45)), fontsize=8)
    return _to_image(plt, fig, rng)


def scatter(rng: random.Random) -> Image.Image:
    import numpy as np

    plt, fig, ax = _figure(rng)
    g = np.random.default_rng(rng.randrange(2**32))
    for _ in range(rng.randint(1, 4)):
        centre = g.normal(0, 3, 2)
        points = g.normal(centre, 1, (rng.randint(20, 200), 2))
        ax.scatter(points[:, 0], points[:, 1], s=rng.choice((4, 10, 20)), alpha=0.7)
    ax.set_title(rng.choice(("t-SNE", "PCA", "embedding", "")))
    return _to_image(plt, fig, rng)


def confusion(rng: random.Random) -> Image.Image:
    import numpy as np

    plt, fig, ax = _figure(rng)
    n = rng.randint(3, 10)
    g = np.random.default_rng(rng.randrange(2**32))
    matrix = g.random((n, n)) * 0.3 + np.eye(n) * g.uniform(0.5, 1.0)
    ax.imshow(matrix, cmap=rng.choice(("Blues", "viridis", "Greys", "Oranges")))
    if n <= 6:
        for i in range(n):
            for j in range(n):
                ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return _to_image(plt, fig, rng)


def imagegrid(rng: random.Random) -> Image.Image:
    rows, cols, side = rng.randint(2, 4), rng.randint(3, 8), rng.choice((48, 64, 96))
    grid = Image.new("RGB", (cols * (side + 4), rows * (side + 4)), "white")
    for r in range(rows):
        for c in range(cols):
            tile = Image.effect_noise((side, side), rng.uniform(30, 120)).convert("RGB")
            tint = Image.new("RGB", (side, side), tuple(rng.randrange(256) for _ in range(3)))
            grid.paste(Image.blend(tile, tint, rng.uniform(0.3, 0.7)), (c * (side + 4), r * (side + 4)))
    return grid


def table(rng: random.Random) -> Image.Image:
    plt, fig, ax = _figure(rng)
    ax.axis("off")
    cols = rng.sample(_WORDS, rng.randint(3, 6))
    rows = [[f"{rng.uniform(0, 100):.1f}" for _ in cols] for _ in range(rng.randint(3, 10))]
    ax.table(cellText=rows, colLabels=cols, loc="center", edges=rng.choice(("closed", "horizontal", "open")))
    return _to_image(plt, fig, rng)


def equation(rng: random.Random) -> Image.Image:
    plt, fig, ax = _figure(rng)
    ax.axis("off")
    formulas = [r"$\mathcal{L} = -\sum_i y_i \log \hat{y}_i$", r"$h_t = \tanh(W x_t + U h_{t-1} + b)$",
                r"$\nabla_\theta J(\theta) = \mathbb{E}[\nabla_\theta \log \pi_\theta(a|s) Q(s,a)]$",
                r"$\mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}$", r"$\|x - \mu\|_2^2 \leq \epsilon$"]
    for k, formula in enumerate(rng.sample(formulas, rng.randint(1, 3))):
        ax.text(0.05, 0.8 - 0.3 * k, formula, fontsize=rng.choice((14, 18, 22)), transform=ax.transAxes)
    return _to_image(plt, fig, rng)


def flowchart(rng: random.Random) -> Image.Image:
    """A process flowchart: boxes and arrows like a network diagram, words that are not layers."""
    steps = rng.sample(_STEPS, rng.randint(4, 9))
    lines = ["digraph G {", f"rankdir={rng.choice(('TB', 'LR'))};", "node [shape=box, style=rounded];"]
    for i, step in enumerate(steps):
        shape = "diamond" if step.endswith("?") else rng.choice(("box", "ellipse", "box"))
        lines.append(f'n{i} [label="{step}", shape={shape}];')
        if i:
            lines.append(f"n{rng.randrange(i)} -> n{i};" if rng.random() < 0.3 else f"n{i - 1} -> n{i};")
    lines.append("}")
    return render_dot("\n".join(lines)).convert("RGB")


_PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "coins", "hubble_deep_field", "immunohistochemistry", "moon",
           "retina", "rocket", "brick", "grass", "gravel", "cell", "clock")


def photo(rng: random.Random) -> Image.Image:
    """A photograph (scikit-image's bundled samples), cropped, tinted and sometimes framed by tracker boxes."""
    import numpy as np
    import skimage.data
    from PIL import ImageDraw, ImageEnhance

    pixels = np.asarray(getattr(skimage.data, rng.choice(_PHOTOS))())
    image = Image.fromarray(pixels).convert("RGB")
    w, h = image.size
    cw, ch = int(w * rng.uniform(0.4, 1.0)), int(h * rng.uniform(0.4, 1.0))
    x, y = rng.randrange(w - cw + 1), rng.randrange(h - ch + 1)
    image = image.crop((x, y, x + cw, y + ch))
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = ImageEnhance.Color(image).enhance(rng.uniform(0.0, 1.5))
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.7, 1.3))
    if rng.random() < 0.3:  # detections drawn on the picture, as tracking and detection papers show
        draw = ImageDraw.Draw(image)
        for _ in range(rng.randint(1, 4)):
            bx, by = rng.randrange(cw), rng.randrange(ch)
            draw.rectangle([bx, by, bx + rng.randint(10, cw // 2), by + rng.randint(10, ch // 2)],
                           outline=rng.choice(("red", "yellow", "lime")), width=2)
    return image


def histogram(rng: random.Random) -> Image.Image:
    import numpy as np

    plt, fig, ax = _figure(rng)
    g = np.random.default_rng(rng.randrange(2**32))
    ax.hist(g.normal(0, rng.uniform(0.1, 2), rng.randint(200, 5000)), bins=rng.choice((10, 20, 50)),
            color=rng.choice(("C0", "C1", "grey")), alpha=0.8)
    ax.set_title(rng.choice(("Histogram of " + rng.choice(_WORDS), "")))
    ax.set_ylabel("count")
    return _to_image(plt, fig, rng)


def subplots(rng: random.Random) -> Image.Image:
    """A grid of small training curves, often with a grey grid background and log axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows, cols = rng.randint(1, 2), rng.randint(2, 4)
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.0 * rows), squeeze=False)
    g = np.random.default_rng(rng.randrange(2**32))
    for ax in axes.flat:
        x = np.arange(1, 200)
        for _ in range(rng.randint(1, 4)):
            ax.plot(x, np.exp(-x / g.uniform(10, 80)) + g.normal(0, 0.02, len(x)).cumsum() * 0.1)
        if rng.random() < 0.5:
            ax.set_xscale("log")
        if rng.random() < 0.5:
            ax.set_facecolor("#eaeaf2")
            ax.grid(color="white")
        ax.set_xlabel(rng.choice(_WORDS), fontsize=7)
    fig.tight_layout()
    return _to_image(plt, fig, rng)


def screen(rng: random.Random) -> Image.Image:
    """A game or simulator frame: blocky coloured regions on a dark or flat background, a score bar."""
    from PIL import ImageDraw

    w, h = rng.choice(((160, 210), (210, 160), (256, 240)))
    image = Image.new("RGB", (w, h), tuple(rng.randrange(0, 140) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 20)):
        x, y = rng.randrange(w), rng.randrange(h)
        draw.rectangle([x, y, x + rng.randint(2, w // 3), y + rng.randint(2, h // 8)],
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    draw.rectangle([0, 0, w, h // 10], fill="black")
    draw.text((w // 3, 2), str(rng.randrange(10000)), fill="white")
    return image.resize((w * 2, h * 2), Image.Resampling.NEAREST)


DRAWERS: dict[str, Callable[[random.Random], Image.Image]] = {
    "lineplot": lineplot, "barchart": barchart, "scatter": scatter, "confusion": confusion,
    "imagegrid": imagegrid, "table": table, "equation": equation, "flowchart": flowchart,
    "photo": photo, "histogram": histogram, "subplots": subplots, "screen": screen,
}
