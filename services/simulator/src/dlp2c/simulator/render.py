"""DOT to pixels through Graphviz, and the variations that make simulated figures look like real ones:
fonts, line widths and DPI at drawing time; scale, colour and JPEG artefacts afterwards."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from dataclasses import dataclass

from dlp2c.common.errors import Dlp2cError
from PIL import Image, ImageEnhance, ImageOps

FONTS = ("Helvetica", "Times-Roman", "Courier", "DejaVu Sans", "Liberation Serif", "Liberation Sans Narrow")
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

    @classmethod
    def draw(cls, rng: random.Random) -> Variation:
        return cls(font=rng.choice(FONTS), penwidth=rng.choice((0.7, 1.0, 1.0, 1.5, 2.0)),
                   scale=rng.choice((0.5, 0.6, 0.75, 1.0, 1.0, 1.25)), contrast=rng.uniform(0.8, 1.1),
                   grey=rng.random() < 0.2, jpeg_quality=rng.choice((None, None, 95, 75, 50, 30)),
                   border=rng.choice((0, 0, 8, 20)))

    @property
    def extension(self) -> str:
        return "png" if self.jpeg_quality is None else "jpg"


def dot_binary() -> str:
    found = shutil.which("dot")
    if found is None:
        raise RenderError("Graphviz's `dot` is not installed", hint="apt-get install graphviz (make sysdeps)")
    return found


def render_dot(dot: str, variation: Variation = Variation(), timeout_s: float = 120.0) -> Image.Image:
    """Lay out and draw DOT text; the font and line width apply where the DOT does not set its own.

    Graphviz 2.43's orthogonal router fails an assertion on some graphs (``Trapezoid-table
    overflow``); Keras 3 asks for it, so such a graph is drawn again with polyline edges."""
    try:
        return _render(dot, variation, timeout_s)
    except RenderError as exc:
        if "splines=ortho" not in dot or "rapezoid" not in str(exc):
            raise
    return _render(dot.replace("splines=ortho", "splines=polyline"), variation, timeout_s)


def _render(dot: str, variation: Variation, timeout_s: float) -> Image.Image:
    args = [dot_binary(), "-Tpng", f"-Nfontname={variation.font}", f"-Gfontname={variation.font}",
            f"-Npenwidth={variation.penwidth}", f"-Epenwidth={variation.penwidth}"]
    try:
        done = subprocess.run(args, input=dot.encode(), capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"Graphviz took more than {timeout_s:.0f} s") from None
    if done.returncode != 0 or not done.stdout:
        raise RenderError(f"Graphviz failed: {done.stderr.decode(errors='replace').strip()[-300:]}")
    image = Image.open(io.BytesIO(done.stdout))
    image.load()
    return image


def degrade(image: Image.Image, variation: Variation) -> Image.Image:
    """Scale, border, contrast and greyscale, as figures get when pasted into papers."""
    image = image.convert("RGB")
    if variation.scale != 1.0:
        size = (max(8, round(image.width * variation.scale)), max(8, round(image.height * variation.scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    if variation.border:
        image = ImageOps.expand(image, variation.border, fill="white")
    if variation.contrast != 1.0:
        image = ImageEnhance.Contrast(image).enhance(variation.contrast)
    if variation.grey:
        image = ImageOps.grayscale(image).convert("RGB")
    return image


def encode(image: Image.Image, variation: Variation) -> bytes:
    out = io.BytesIO()
    if variation.jpeg_quality is None:
        image.save(out, "PNG", optimize=False, compress_level=3)
    else:
        image.save(out, "JPEG", quality=variation.jpeg_quality)
    return out.getvalue()
