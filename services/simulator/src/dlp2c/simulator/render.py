"""DOT to pixels through Graphviz, and the variations that make simulated figures look like real ones:
fonts, line widths, DPI and a pixel budget at drawing time; border, colour and JPEG artefacts after.

Graphviz runs in one helper process per worker (see ``graphviz``); a drawing is laid out once and
rendered straight at its final DPI, so nothing is drawn large and then shrunk.
"""

from __future__ import annotations

import atexit
import io
import random
from dataclasses import dataclass

from dlp2c.common.errors import Dlp2cError
from dlp2c.simulator.graphviz import Graphviz, GraphvizError
from PIL import Image, ImageEnhance, ImageOps

FONTS = ("Helvetica", "Times-Roman", "Courier", "DejaVu Sans", "Liberation Serif", "Liberation Sans Narrow")
LEGIBLE_DPI = 64.0  # the least DPI a drawing with text is rendered at (10 pt: 9 px letters)
MAX_PIXELS = 60_000_000  # Graphviz caps a side at 32,767 px; tall 40-layer models come close
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class RenderError(Dlp2cError):
    code = "render"


@dataclass(frozen=True)
class Variation:
    """How one figure is drawn and degraded; drawn once per image from its own random stream."""

    font: str = "Helvetica"
    penwidth: float = 1.0
    scale: float = 1.0
    contrast: float = 1.0
    grey: bool = False
    jpeg_quality: int | None = None  # None: lossless PNG
    border: int = 0
    megapixels: float = 2.0  # the most pixels a Graphviz drawing may have (its DPI is lowered to fit)

    @classmethod
    def draw(cls, rng: random.Random) -> Variation:
        return cls(font=rng.choice(FONTS), penwidth=rng.choice((0.7, 1.0, 1.0, 1.5, 2.0)),
                   scale=rng.choice((0.5, 0.6, 0.75, 1.0, 1.0, 1.25)), contrast=rng.uniform(0.8, 1.1),
                   grey=rng.random() < 0.2, jpeg_quality=rng.choice((None, None, 95, 75, 50, 30)),
                   border=rng.choice((0, 0, 8, 20)), megapixels=rng.choice((0.5, 0.75, 1.0, 1.5)))

    @property
    def extension(self) -> str:
        return "png" if self.jpeg_quality is None else "jpg"


_GRAPHVIZ: list[Graphviz] = []


def graphviz() -> Graphviz:
    """This process's Graphviz helper, started on first use."""
    if not _GRAPHVIZ:
        _GRAPHVIZ.append(Graphviz())
        atexit.register(_GRAPHVIZ[0].close)
    return _GRAPHVIZ[0]


def _with_defaults(dot: str, variation: Variation) -> str:
    """Font and line width as defaults at the top of the graph: the DOT's own settings still win."""
    brace = dot.index("{")
    defaults = (f'graph [fontname="{variation.font}"]; node [fontname="{variation.font}", '
                f"penwidth={variation.penwidth}]; edge [penwidth={variation.penwidth}];")
    return f"{dot[:brace + 1]}\n{defaults}{dot[brace + 1:]}"


def render_dot(dot: str, variation: Variation = Variation(), dpi: float = 96.0,
               min_dpi: float = LEGIBLE_DPI) -> Image.Image:
    """Lay out and draw DOT text at ``dpi`` times the variation's scale, within its pixel budget, but
    never below ``min_dpi``: under it a figure's 10-point labels are 5 pixels tall, text no reader (and
    no OCR) can read, which neither Keras's nor Caffe's own drawings are.

    Graphviz 2.43's orthogonal router aborts on some graphs (``Trapezoid-table overflow``); Keras 3
    asks for it, so such a graph is drawn again with polyline edges."""
    source = _with_defaults(dot, variation)
    target = max(dpi * variation.scale, min_dpi)
    try:
        drawn = graphviz().draw(source, target, variation.megapixels * 1e6, min_dpi)
    except GraphvizError as exc:
        if "splines=ortho" not in dot or "stopped" not in str(exc):
            raise RenderError(str(exc)) from None
        drawn = graphviz().draw(source.replace("splines=ortho", "splines=polyline"), target,
                                variation.megapixels * 1e6, min_dpi)
    image = _true_colours(Image.open(io.BytesIO(drawn.data)))
    image.info["dpi_drawn"] = round(drawn.dpi, 1)
    image.info["nodes"], image.info["edges"] = drawn.nodes, drawn.edges  # where each DOT node was drawn
    return image


def _true_colours(image: Image.Image) -> Image.Image:
    """Undo what gd's GIF path does to cairo's drawing, so it matches Graphviz's own PNG.

    gd's quantiser reports each palette colour as the centre of its histogram cell (5 bits of red
    and blue, 6 of green): white comes out as (252, 254, 252), black as (4, 2, 4). Stretching the
    cell centres back over 0-255 restores both ends exactly. And the last row and column, which the
    page only partly covers, come out grey instead of blending into the margin: they are cut off
    (the margin is 4 points, several pixels at any DPI used here)."""
    image.load()
    raw = image.getpalette() or []
    stretched = []
    for i, value in enumerate(raw):
        low, span = (2, 252) if i % 3 == 1 else (4, 248)
        stretched.append(min(255, max(0, round((value - low) * 255 / span))))
    image.putpalette(stretched)
    if image.width > 2 and image.height > 2:
        image = image.crop((0, 0, image.width - 1, image.height - 1))
    return image


def degrade(image: Image.Image, variation: Variation, scale: bool = True) -> Image.Image:
    """Scale (unless drawn at scale already), border, contrast and greyscale, as figures get in papers.

    A palette image (Graphviz's drawings) that needs no scaling is changed through its palette: the
    same result as on RGB pixels, at a fraction of the cost."""
    if image.mode == "P" and not (scale and variation.scale != 1.0):
        return _degrade_palette(image, variation)
    image = image.convert("RGB")
    if scale and variation.scale != 1.0:
        size = (max(8, round(image.width * variation.scale)), max(8, round(image.height * variation.scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    if variation.border:
        image = ImageOps.expand(image, variation.border, fill="white")
    if variation.contrast != 1.0:
        image = ImageEnhance.Contrast(image).enhance(variation.contrast)
    if variation.grey:
        image = ImageOps.grayscale(image).convert("RGB")
    return image


def _luma(r: int, g: int, b: int) -> float:
    return (r * 299 + g * 587 + b * 114) / 1000  # PIL's RGB -> L weights


def _degrade_palette(image: Image.Image, variation: Variation) -> Image.Image:
    raw = image.getpalette() or []
    colours = [tuple(raw[i:i + 3]) for i in range(0, len(raw), 3)]
    image = image.copy()
    if variation.border:
        white = max(range(len(colours)), key=lambda i: sum(colours[i]))
        if sum(colours[white]) < 765 and len(colours) < 256:
            colours.append((255, 255, 255))
            white = len(colours) - 1
            image.putpalette([v for c in colours for v in c])
        image = ImageOps.expand(image, variation.border, fill=white)
    if variation.contrast != 1.0:
        # ImageEnhance.Contrast: blend every pixel with the image's mean grey level
        counts = image.histogram()[:len(colours)]
        mean = int(sum(n * _luma(*c) for n, c in zip(counts, colours, strict=True)) / max(sum(counts), 1) + 0.5)
        f = variation.contrast
        colours = [tuple(min(255, max(0, round(mean + f * (v - mean)))) for v in c) for c in colours]
    if variation.grey:
        colours = [(round(_luma(*c)),) * 3 for c in colours]
    image.putpalette([v for c in colours for v in c])
    return image


def encode(image: Image.Image, variation: Variation) -> bytes:
    out = io.BytesIO()
    if variation.jpeg_quality is None:
        image.save(out, "PNG", optimize=False, compress_level=3)
    else:
        image.convert("RGB").save(out, "JPEG", quality=variation.jpeg_quality)
    return out.getvalue()
