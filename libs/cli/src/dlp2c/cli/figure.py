"""A design figure to a figure graph, in one process: flow detection, then OCR of every node, then
what each node's text says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from dlp2c.common.figure import FigureGraph
from dlp2c.flow.detect import detect
from dlp2c.ocr.figure import FigureError, decode_rgb, read_figure
from dlp2c.ocr.overlay import overlay
from dlp2c.ocr.read import Reader

__all__ = ["FigureError", "FigureReader", "load_image", "overlay"]
MAX_FILE_BYTES = 64 * 1024 * 1024


def load_image(path: Path) -> np.ndarray:
    """An image file as RGB pixels, with a clear error for what is not one."""
    if not path.is_file():
        raise FigureError("no such image file", where=str(path))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FigureError(f"the file has {path.stat().st_size:,} bytes, more than {MAX_FILE_BYTES:,}", where=str(path))
    return decode_rgb(path.read_bytes(), str(path))


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
        return read_figure(image, detect(image).to_figure(), self._reader, style)
