"""Figures as the network sees them, and the simulated dataset as labelled arrays.

A figure becomes a ``SIZE``x``SIZE`` RGB square: the figure cut to what is drawn, its aspect ratio kept
up to ``MAX_ASPECT``, padded with its own background colour (a tall Keras plot and a wide pipeline stay
tall and wide; a 7:1 row of blocks is stretched across to 3:1). Training images
are also perturbed here (crops, rotations for designs, scale, stroke width, blur, JPEG, inversion) so
that the network learns the style and not the simulator's exact pixels. Shrinking keeps lines visible
whatever the figure's pixel size (:func:`_keep_ink`).
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from dlp2c.common.errors import Dlp2cError
from PIL import Image, ImageFilter, ImageOps

SIZE = 128
MAX_ASPECT = 3.0  # letterboxing stretches a figure's short side to at least a third of its long side
STYLES = ("neurons", "box2d", "stacked2d", "box3d", "pipeline")  # the paper's five classes, in its order
STYLE_TITLES = {"neurons": "Neurons plot", "box2d": "2D box", "stacked2d": "Stacked2D box", "box3d": "3D box",
                "pipeline": "Pipeline plot"}
# the simulator's drawing styles, by the paper's class they belong to (Keras and Caffe draw 2D boxes)
FROM_SIMULATOR = {"keras": "box2d", "caffe": "box2d", "boxes2d": "box2d", "neurons": "neurons",
                  "stacked2d": "stacked2d", "boxes3d": "box3d", "pipeline": "pipeline"}
MAX_PIXELS = 80_000_000

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class FigureError(Dlp2cError):
    code = "figure"


def open_figure(path: str | Path) -> Image.Image:
    """A figure file as RGB, with a clear error for what is not an image."""
    path = Path(path)
    if not path.is_file():
        raise FigureError("no such file", where=str(path))
    try:
        with Image.open(path) as image:
            image.load()
            return _flatten(image)
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise FigureError(f"not an image Pillow can read ({exc})", where=str(path),
                          hint="give a PNG, JPEG, GIF, BMP or TIFF file") from exc


def decode_figure(data: bytes, where: str = "") -> Image.Image:
    """A figure's encoded bytes (from the artifact store) as RGB, with the same errors as :func:`open_figure`."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return _flatten(image)
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise FigureError(f"not an image Pillow can read ({exc})", where=where) from exc


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: transparent parts of a PNG are paper, not black."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, "white")
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _background(image: Image.Image) -> tuple[int, int, int]:
    """The colour of the figure's border: what to pad with."""
    pixels = np.asarray(image)
    edge = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    return tuple(int(v) for v in np.median(edge, axis=0))  # type: ignore[return-value]


def _keep_ink(image: Image.Image, size: int, background: tuple[int, int, int]) -> Image.Image:
    """``image`` shrunk by whole blocks to about twice ``size``, each block taking its inkiest pixel.

    Averaging a 1500-pixel drawing down to 128 fades its one-pixel lines to nothing, while a 400-pixel
    chart keeps its strokes: the network would learn the figure's pixel size (simulated designs are
    drawn large and faint, simulated charts small and inky) instead of what is drawn. Taking each block's
    darkest pixel (its lightest, on a dark background) keeps a line a line at any size."""
    w, h = image.size
    factor = max(w, h) // (2 * size)
    if factor < 2:
        return image
    pixels = np.asarray(image)[: h // factor * factor, : w // factor * factor]
    keep = np.maximum if sum(background) < 3 * 128 else np.minimum  # light ink on dark paper: its lightest
    out = pixels[::factor, ::factor].copy()
    for dy in range(factor):  # one pass per offset in the block: 5x faster than reducing a 5-d view
        for dx in range(factor):
            if dy or dx:
                keep(out, pixels[dy::factor, dx::factor], out=out)
    return Image.fromarray(out)


def _trim(image: Image.Image, background: tuple[int, int, int], tolerance: int = 40) -> Image.Image:
    """``image`` cut to what is drawn on it, with a thin margin of its own background.

    Tools and papers leave very different margins around a drawing (the simulator draws on a roomy
    canvas, a figure cut from a paper is cropped tight); letterboxing the margin as well would let the
    margin decide how large the drawing appears to the network. Pixels within ``tolerance`` of the
    background (JPEG noise, faint paper tint) are margin."""
    pixels = np.asarray(image).astype(np.int16)
    ink = (np.abs(pixels - np.array(background, np.int16)).max(axis=2) > tolerance)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return image
    pad = max(2, round(0.03 * max(rows[-1] - rows[0], cols[-1] - cols[0])))
    box = (max(0, int(cols[0]) - pad), max(0, int(rows[0]) - pad),
           min(image.width, int(cols[-1]) + 1 + pad), min(image.height, int(rows[-1]) + 1 + pad))
    return image if box == (0, 0, image.width, image.height) else image.crop(box)


def to_square(image: Image.Image, size: int = SIZE) -> np.ndarray:
    """The figure letterboxed into ``size``x``size``, as uint8 RGB, its lines kept (:func:`_keep_ink`)
    and its margins trimmed (:func:`_trim`)."""
    image = _flatten(image)
    background = _background(image)
    image = _trim(_keep_ink(image, size, background), background)
    w, h = image.size
    scale = size / max(w, h)
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    # a long thin figure is stretched across to at most MAX_ASPECT: a 7:1 row of blocks would otherwise
    # be an 18-pixel strip in which no block can be told from a bar
    sw, sh = max(sw, min(size, round(sh * MAX_ASPECT))), max(sh, min(size, round(sw / MAX_ASPECT)))
    small = image.resize((sw, sh), Image.Resampling.BOX)
    square = Image.new("RGB", (size, size), background)
    square.paste(small, ((size - small.width) // 2, (size - small.height) // 2))
    return np.asarray(square, dtype=np.uint8)


def perturb(image: Image.Image, rng: random.Random, design: bool) -> Image.Image:
    """A training view of a figure: what figures cut from real papers do to a drawing."""
    w, h = image.size
    if rng.random() < 0.4:  # cropped tighter or looser than the drawing
        dx, dy = int(w * rng.uniform(0, 0.08)), int(h * rng.uniform(0, 0.08))
        image = image.crop((dx, dy, w - int(w * rng.uniform(0, 0.08)), h - int(h * rng.uniform(0, 0.08))))
    if rng.random() < 0.3:
        image = ImageOps.expand(image, border=int(max(w, h) * rng.uniform(0.02, 0.15)), fill=_background(image))
    if design and rng.random() < 0.25:  # the same network drawn top-down instead of left-right
        image = image.transpose(rng.choice((Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270)))
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if rng.random() < 0.3:  # stretched: columns and pages squeeze figures
        image = image.resize((max(8, int(image.width * rng.uniform(0.6, 1.4))), image.height))
    if rng.random() < 0.4:  # drawn smaller or larger than the simulator drew it: strokes thick or thin
        factor = rng.uniform(0.3, 1.2)
        image = image.resize((max(8, int(image.width * factor)), max(8, int(image.height * factor))),
                             Image.Resampling.LANCZOS)
    stroke = rng.random()
    if stroke < 0.2:  # bolder lines and text
        image = image.filter(ImageFilter.MinFilter(3))
    elif stroke < 0.3:  # hairlines
        image = image.filter(ImageFilter.MaxFilter(3))
    if rng.random() < 0.3:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    if rng.random() < 0.25:  # saved as JPEG somewhere on its way into the paper
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=rng.randint(25, 90))
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    if rng.random() < 0.15:
        image = ImageOps.grayscale(image).convert("RGB")
    if rng.random() < 0.1:  # slides, posters and dark-themed tools: light drawing on a dark background
        image = ImageOps.invert(image)
    return image


@dataclass(frozen=True)
class Item:
    path: str
    design: bool
    style: str | None  # one of STYLES for a design, None otherwise
    group: int  # the simulated model (or negative) it comes from: splits keep a model's drawings together
    look: str = ""  # how it was drawn (a look of its style, a kind of chart): training balances looks


def dataset_items(root: str | Path) -> list[Item]:
    """Every image of a simulated dataset folder (``dlp2c simulate --styles all --negatives N``)."""
    root = Path(root)
    metas = sorted(root.glob("models/*/*/meta.json")) + sorted(root.glob("negatives/*/*/meta.json"))
    if not metas:
        raise FigureError("no simulated figures here (no models/*/*/meta.json)", where=str(root),
                          hint="make one with: dlp2c simulate -n 1200 --styles all --negatives 2400 -o DIR")
    items = []
    for meta_path in metas:
        meta = json.loads(meta_path.read_text())
        negative = meta["kind"] == "negative"
        group = meta["index"] * 2 + (1 if negative else 0)
        for image in meta["images"]:
            path = str(meta_path.parent / image["file"])
            if negative:
                items.append(Item(path, False, None, group, Path(image["file"]).stem))
            else:  # Keras and Caffe renderings count as one look each, whatever their variation
                look = image["style"] if image["style"] in ("keras", "caffe") else image.get("look", image["style"])
                items.append(Item(path, True, FROM_SIMULATOR[image["style"]], group, look))
    return items


def split(items: Sequence[Item], validation: float, seed: int) -> tuple[list[Item], list[Item]]:
    """Train and validation items, split by model so that no model is drawn on both sides."""
    groups = sorted({item.group for item in items})
    random.Random(seed).shuffle(groups)
    held = set(groups[: round(len(groups) * validation)])
    return [i for i in items if i.group not in held], [i for i in items if i.group in held]


def _load(job: tuple[str, bool, int | None]) -> np.ndarray:
    path, design, seed = job
    image = open_figure(path)
    if seed is not None:
        image = perturb(image, random.Random(seed), design)
    return to_square(image)


def load_arrays(items: Sequence[Item], augment_seed: int | None = None, workers: int = 1,
                progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images (N, SIZE, SIZE, 3) uint8, design labels (N,) and style indices (N,; -1 for non-designs)."""
    jobs = [(item.path, item.design, None if augment_seed is None else augment_seed * 1_000_003 + k)
            for k, item in enumerate(items)]
    images = np.zeros((len(items), SIZE, SIZE, 3), dtype=np.uint8)
    results: Iterable[np.ndarray]
    if workers > 1:
        pool = ProcessPoolExecutor(workers)
        results = pool.map(_load, jobs, chunksize=64)
    else:
        pool, results = None, map(_load, jobs)
    try:
        for k, array in enumerate(results):
            images[k] = array
            if progress is not None:
                progress(1)
    finally:
        if pool is not None:
            pool.shutdown()
    design = np.array([item.design for item in items], dtype=np.float32)
    style = np.array([STYLES.index(item.style) if item.style else -1 for item in items], dtype=np.int32)
    return images, design, style
