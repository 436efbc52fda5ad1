"""A figure whose nodes flow detection found (a skeleton: boxes, outlines, edges, nothing read) to a
figure graph: OCR of every node, then what each node's text says."""

from __future__ import annotations

import io
import time

import numpy as np
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.figure import FigureGraph, FigureNode
from dlp2c.ocr.labels import read_label
from dlp2c.ocr.read import NodeText, Reader
from PIL import Image, UnidentifiedImageError

STYLES = ("auto", "keras", "caffe")
MAX_PIXELS = 60_000_000  # a figure crop at 200 DPI is a few million; more is a bomb or a mistake


class FigureError(Dlp2cError):
    code = "figure"


def decode_rgb(data: bytes, where: str) -> np.ndarray:
    """An encoded image (PNG, JPEG, ...) as RGB pixels, with a clear error for what is not one."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise FigureError(f"the image is {image.width}x{image.height} pixels, too large", where,
                                  "scale it down first")
            return np.array(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise FigureError(f"not a readable image: {exc}", where) from exc


def guess_style(skeleton: FigureGraph) -> str:
    """Caffe's drawings put octagon blobs between their layers; Keras draws boxes only."""
    octagons = sum(1 for n in skeleton.nodes if n.shape == "octagon")
    return "caffe" if octagons >= max(1, len(skeleton.nodes) // 4) else "keras"


def read_figure(image: np.ndarray, skeleton: FigureGraph, reader: Reader, style: str = "auto") -> FigureGraph:
    """Read every node's text with one Tesseract call per figure and label the nodes with it."""
    if style not in STYLES:
        raise FigureError(f"unknown style {style!r}", hint=f"one of {', '.join(STYLES)}")
    chosen = guess_style(skeleton) if style == "auto" else style
    started = time.perf_counter()
    # a Caffe octagon is a blob whatever it says, and blobs only join layers: their names are not read
    wanted = [n for n in skeleton.nodes if not (chosen == "caffe" and n.shape == "octagon")]
    texts = reader.read(image, {n.id: n.box for n in wanted})
    ocr_s = time.perf_counter() - started
    nodes = []
    for node in skeleton.nodes:
        text = texts.get(node.id, NodeText())
        label = read_label(text.text, chosen, node.shape)
        confidence = min(label.confidence, node.confidence) if label.kind == "layer" else node.confidence
        nodes.append(FigureNode(node.id, label.kind, node.box, label.name, label.type, label.op, confidence,
                                label.params, label.output_shape, text.text, node.shape))
    return FigureGraph(skeleton.width, skeleton.height, chosen, nodes, list(skeleton.edges),
                       {**skeleton.seconds, "ocr": ocr_s})
