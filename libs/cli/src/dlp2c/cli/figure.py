"""A design figure to a figure graph, in one process: flow detection, then OCR of every node, then
what each node's text says. Also the overlay that shows a person what was understood."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.figure import FigureEdge, FigureGraph, FigureNode
from dlp2c.flow.detect import Flow, detect
from dlp2c.ocr.labels import read_label
from dlp2c.ocr.read import Reader
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

STYLES = ("auto", "keras", "caffe")
MAX_FILE_BYTES = 64 * 1024 * 1024


class FigureError(Dlp2cError):
    code = "figure"


def load_image(path: Path) -> np.ndarray:
    """An image file as RGB pixels, with a clear error for what is not one."""
    if not path.is_file():
        raise FigureError("no such image file", where=str(path))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FigureError(f"the file has {path.stat().st_size:,} bytes, more than {MAX_FILE_BYTES:,}", where=str(path))
    try:
        with Image.open(path) as image:
            if image.width * image.height > 60_000_000:
                raise FigureError(f"the image is {image.width}x{image.height} pixels, too large", where=str(path),
                                  hint="scale it down first")
            return np.array(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise FigureError(f"not a readable image: {exc}", where=str(path)) from exc


def guess_style(flow: Flow) -> str:
    """Caffe's drawings put octagon blobs between their layers; Keras draws boxes only."""
    octagons = sum(1 for n in flow.nodes if n.shape == "octagon")
    return "caffe" if octagons >= max(1, len(flow.nodes) // 4) else "keras"


class FigureReader:
    """Reads figures one after another with one Tesseract instance (not thread-safe)."""

    def __init__(self) -> None:
        self._reader = Reader()

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> FigureReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, image: np.ndarray, style: str = "auto") -> FigureGraph:
        if style not in STYLES:
            raise FigureError(f"unknown style {style!r}", hint=f"one of {', '.join(STYLES)}")
        flow = detect(image)
        chosen = guess_style(flow) if style == "auto" else style
        started = time.perf_counter()
        texts = self._reader.read(image, {n.id: n.box for n in flow.nodes})
        ocr_s = time.perf_counter() - started
        nodes = []
        for node in flow.nodes:
            text = texts[node.id]
            label = read_label(text.text, chosen, node.shape)
            confidence = min(label.confidence, node.confidence) if label.kind == "layer" else node.confidence
            nodes.append(FigureNode(node.id, label.kind, node.box, label.name, label.type, label.op, confidence,
                                    label.params, label.output_shape, text.text))
        edges = [FigureEdge(e.tail, e.head, e.confidence) for e in flow.edges]
        return FigureGraph(flow.width, flow.height, chosen, nodes, edges,
                           {"flow": flow.seconds, "ocr": ocr_s})


_KIND_COLOURS = {"layer": (0, 114, 178), "blob": (120, 120, 120), "unknown": (213, 94, 0)}


def overlay(image: np.ndarray, graph: FigureGraph) -> Image.Image:
    """The figure, paled, with each detected node boxed and labelled with what was read, and each edge
    drawn as an arrow from box centre to box centre (red when unsure)."""
    base = Image.fromarray(image).convert("RGB")
    pale = Image.blend(base, Image.new("RGB", base.size, "white"), 0.55)
    draw = ImageDraw.Draw(pale)
    size = max(10, min(28, round(min(base.size) / 60)))
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        font = ImageFont.load_default()
    centres = {n.id: ((n.box[0] + n.box[2]) / 2, (n.box[1] + n.box[3]) / 2) for n in graph.nodes}
    for edge in graph.edges:
        if edge.tail in centres and edge.head in centres:
            _arrow(draw, centres[edge.tail], centres[edge.head], (0, 158, 115) if edge.confidence >= 0.9 else (204, 0, 0),
                   max(2, size // 6))
    for node in graph.nodes:
        colour = _KIND_COLOURS.get(node.kind, (213, 94, 0))
        draw.rectangle(node.box, outline=colour, width=max(2, size // 6))
        caption = node.type or node.name or node.kind
        if node.params:
            caption += " " + " ".join(f"{k}={v}" for k, v in node.params.items())
        if node.output_shape is not None:
            caption += " " + "x".join("?" if d is None else str(d) for d in node.output_shape[1:])
        x, y = node.box[0], max(0, node.box[1] - size - 4)
        box = draw.textbbox((x, y), caption, font=font)
        draw.rectangle(box, fill=(255, 255, 255))
        draw.text((x, y), caption, fill=colour, font=font)
    return pale


def _arrow(draw: ImageDraw.ImageDraw, start: tuple[float, float], end: tuple[float, float],
           colour: tuple[int, int, int], width: int) -> None:
    draw.line([start, end], fill=colour, width=width)
    vector = np.subtract(end, start)
    length = float(np.hypot(*vector)) or 1.0
    unit = vector / length
    tip = np.subtract(end, unit * min(length / 3, 6 * width))  # short of the centre, so the head shows
    side = np.array([-unit[1], unit[0]]) * 3 * width
    back = tip - unit * 5 * width
    draw.polygon([tuple(tip), tuple(back + side), tuple(back - side)], fill=colour)
