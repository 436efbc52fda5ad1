"""The text inside each node of a figure, with Tesseract (through ``tesserocr``, in process).

Tesseract reads clean, dark, upright text of 20-30 pixel letters well and everything else badly, so
each node is cleaned first:

1. Dark bands (the black headers of Keras 3) are inverted: text is always darker than its ground.
2. Ink is what is clearly darker than the node's fill; the outline and the lines that split a record
   into fields (all joined to the node's edge) are dropped; what is left is text.
3. Text is grouped by the field (cell) it sits in, and each field is scaled so its letters are
   ``TARGET`` pixels tall; lines of a field that run into each other are pulled apart.
4. The fields of all nodes are stacked into one page and read in one call (a call costs ~70 ms
   whatever its size; a figure has dozens of fields), then each line read goes back to its field.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.pixels import quantile
from PIL import Image

TARGET = 28  # letter height (pixels) Tesseract reads best at
TALL = 2.2  # a piece of ink this many letters tall spans two lines (brackets reach 1.9 x-heights)
GAP = TARGET  # blank rows between stacked fields
PAGE_HEIGHT = 12_000  # one Tesseract call reads at most this many stacked rows
DARK_BAND = 80  # a row whose ends are darker than this lies in a dark band (light text)
MIN_CONTRAST = 40  # grey levels between a node's fill and its darkest ink; less is no text
TESSDATA_CANDIDATES = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                       "/usr/share/tessdata", "/usr/local/share/tessdata")
Box = tuple[int, int, int, int]


class OcrError(Dlp2cError):
    code = "ocr"


@dataclass(frozen=True)
class Line:
    text: str
    confidence: float  # Tesseract's, 0-1


@dataclass(frozen=True)
class Field:
    """One field of a node (a record cell, a table cell, or the whole node) and the lines read in it."""

    box: Box  # in the figure's pixels
    lines: tuple[Line, ...]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class NodeText:
    fields: tuple[Field, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return "\n".join(f.text for f in self.fields if f.text)

    @property
    def confidence(self) -> float:
        scores = [line.confidence for f in self.fields for line in f.lines]
        return min(scores) if scores else 0.0


def tessdata_path() -> str:
    """Where Tesseract's language data is: ``TESSDATA_PREFIX``, else Debian's and the usual places."""
    configured = os.environ.get("TESSDATA_PREFIX")
    for candidate in ([configured] if configured else []) + list(TESSDATA_CANDIDATES):
        if (Path(candidate) / "eng.traineddata").is_file():
            return str(Path(candidate)) + "/"
    raise OcrError("Tesseract's English data (eng.traineddata) was not found",
                   where=configured or ", ".join(TESSDATA_CANDIDATES),
                   hint="install it (apt-get install tesseract-ocr) or set TESSDATA_PREFIX to its folder")


@dataclass
class _Piece:
    node: str
    box: Box  # the field, in figure pixels
    image: np.ndarray  # clean text, dark on white, letters TARGET tall


def _normalised(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The crop with text dark on a white ground (grey levels stretched), its ink, and which rows were
    a dark band; None when blank."""
    crop = crop.copy()
    dark = _dark_rows(crop)
    crop[dark] = 255 - crop[dark]
    ground = quantile(crop, 0.5)
    darkest = quantile(crop, 0.01)
    if ground - darkest < MIN_CONTRAST:
        return None
    # the outline (joined to the crop's edge) is often darker than small, blurred letters: the
    # darkest ink is taken from what it does not cover, or thin strokes fall under the midpoint
    ink = (crop < (ground + darkest) / 2).astype(np.uint8)
    _count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    edge = (x == 0) | (y == 0) | (x + w >= crop.shape[1]) | (y + h >= crop.shape[0])
    edge[0] = False
    rest = crop[~edge[labels]]
    if rest.size:
        darkest = max(darkest, min(quantile(rest, 0.01), ground - MIN_CONTRAST))
    stretched = np.clip((crop.astype(np.float32) - darkest) * (255.0 / (ground - darkest)), 0, 255).astype(np.uint8)
    ink = (stretched < 128).astype(np.uint8)
    return stretched, ink, dark


def _dark_rows(crop: np.ndarray) -> np.ndarray:
    """Rows of a dark band: dark at both ends, inside the outline. A letter that reaches into the
    margin lightens a few rows; runs that short between dark rows are closed, and dark runs that
    short are dropped."""
    height, width = crop.shape
    # clear of the outline, which can be thick once enlarged, and of the text: the margin beside a
    # label scales with the letters (the node's height), not with how long the label is
    a = max(3, min(width * 3 // 100, height // 10))
    b = min(width // 2, a + max(3, min(width // 20, height // 8)))
    if b <= a:  # too narrow to hold a band and its outline
        return np.zeros(height, bool)
    left, right = crop[:, a:b], crop[:, width - b:width - a]
    dark = ((np.median(left, axis=1) < DARK_BAND) & (np.median(right, axis=1) < DARK_BAND)).astype(np.uint8)
    gap = max(3, height // 8)
    closed = cv2.morphologyEx(dark[:, None], cv2.MORPH_CLOSE, np.ones((gap, 1), np.uint8))
    # a band holds a line of text; a few dark rows alone are a rule crossing letters' strokes
    opened = cv2.morphologyEx(closed, cv2.MORPH_OPEN, np.ones((gap, 1), np.uint8))[:, 0]
    return opened.astype(bool)


def _text_components(ink: np.ndarray, letter: float | None = None) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Labels, stats and the ids of the pieces of ink that are text: not joined to the crop's edge
    (the outline and the field separators joined to it) and, once the letter height is known, not
    an outline or a rule (wider and taller than two letters, or a long thin stroke)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h, w = ink.shape
    text = []
    for i in range(1, count):
        x, y, cw, ch = (int(v) for v in stats[i, :4])
        if x == 0 or y == 0 or x + cw >= w or y + ch >= h:
            continue
        # a glyph whose descender touches the line below ("y" over ")") is tall but narrow
        if letter is not None and ((ch > 2.5 * letter and cw > 1.5 * letter) or ch > 4 * letter
                                   or (ch < 0.35 * letter and cw > 1.5 * letter)
                                   or (cw < 0.35 * letter and ch > 2.5 * letter)):
            continue
        text.append(i)
    return labels, stats, text


def _letter_height(stats: np.ndarray, text: Sequence[int]) -> float | None:
    heights = [int(stats[i, cv2.CC_STAT_HEIGHT]) for i in text
               if stats[i, cv2.CC_STAT_HEIGHT] >= 3 and stats[i, cv2.CC_STAT_WIDTH] <= 3 * stats[i, cv2.CC_STAT_HEIGHT]]
    return float(np.median(heights)) if heights else None


def node_pieces(gray: np.ndarray, node: str, box: Box) -> list[_Piece]:
    """The fields of one node, cleaned and scaled for Tesseract."""
    x0, y0, x1, y1 = (int(v) for v in box)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(gray.shape[1], x1), min(gray.shape[0], y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return []
    first = _normalised(gray[y0:y1, x0:x1])
    if first is None:
        return []
    _labels, stats, text = _text_components(first[1])
    height = _letter_height(stats, text)
    if height is None:
        return []
    scale = float(np.clip(TARGET / height, 0.5, 6.0))
    big = cv2.resize(gray[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    second = _normalised(big)
    if second is None:
        return []
    stretched, ink, dark = second
    labels, stats, text = _text_components(ink, TARGET)
    is_grid = np.ones(len(stats), bool)
    is_grid[0] = False
    is_grid[text] = False
    grid = is_grid[labels]
    grid[1:][dark[1:] != dark[:-1]] = True  # a dark band's edge parts fields (Keras 3's header from its cells)
    _count, fields = cv2.connectedComponents((~grid).astype(np.uint8), connectivity=4)
    by_field: dict[int, list[int]] = {}
    for i in text:
        x, y = int(stats[i, cv2.CC_STAT_LEFT]), int(stats[i, cv2.CC_STAT_TOP])
        column = np.nonzero(labels[y, x:] == i)[0]
        by_field.setdefault(int(fields[y, x + int(column[0])]), []).append(i)
    pieces = []
    for members in by_field.values():
        boxes = np.array([stats[i, :4] for i in members])
        fx0, fy0 = boxes[:, 0].min(), boxes[:, 1].min()
        fx1, fy1 = (boxes[:, 0] + boxes[:, 2]).max(), (boxes[:, 1] + boxes[:, 3]).max()
        pad = TARGET // 3
        fx0, fy0 = max(0, fx0 - pad), max(0, fy0 - pad)
        fx1, fy1 = min(ink.shape[1], fx1 + pad), min(ink.shape[0], fy1 + pad)
        window = labels[fy0:fy1, fx0:fx1]
        member = np.zeros(len(stats), np.uint8)
        member[members] = 1
        mask = cv2.dilate(member[window], np.ones((3, 3), np.uint8)) > 0
        clean = np.where(mask, stretched[fy0:fy1, fx0:fx1], 255).astype(np.uint8)
        clean = _spaced_lines(clean, window, stats, members, fx0, fy0)
        in_figure = (x0 + int(fx0 / scale), y0 + int(fy0 / scale), x0 + int(np.ceil(fx1 / scale)),
                     y0 + int(np.ceil(fy1 / scale)))
        pieces.append(_Piece(node, in_figure, clean))
    pieces.sort(key=lambda p: (p.box[1], p.box[0]))
    return _reading_order(pieces)


def _spaced_lines(clean: np.ndarray, window: np.ndarray, stats: np.ndarray, members: Sequence[int],
                  left: int, top: int) -> np.ndarray:
    """A field's lines pulled apart: tight lines (Courier at low resolution: an underscore or a
    descender touching the line below) run together for Tesseract. Lines are found from the
    letters' heights; every piece of ink moves with the line it belongs to."""
    tops = stats[members, cv2.CC_STAT_TOP] - top
    bottoms = tops + stats[members, cv2.CC_STAT_HEIGHT]
    core = [(t, b) for t, b in zip(tops, bottoms, strict=True) if 0.5 * TARGET <= b - t <= TALL * TARGET]
    bands: list[list[int]] = []  # top, bottom, letters
    for t, b in sorted(core):
        # a letter is on a line when most of it is (a descender hangs below, an ascender above);
        # one mark alone (a comma) is not a line: it joins the letter after it
        if bands and (min(b, bands[-1][1]) - max(t, bands[-1][0])
                      >= 0.5 * min(b - t, bands[-1][1] - bands[-1][0]) or bands[-1][2] < 2):
            bands[-1] = [min(t, bands[-1][0]), max(b, bands[-1][1]), bands[-1][2] + 1]
        else:
            bands.append([t, b, 1])
    if len(bands) > 1 and bands[-1][2] < 2:
        last = bands.pop()
        bands[-1][1] = max(bands[-1][1], last[1])
    # only lines closer than a quarter letter apart are moved (by half a letter)
    offsets = np.cumsum([0] + [TARGET // 2 if below[0] - above[1] < TARGET / 4 else 0
                               for above, below in itertools.pairwise(bands)])
    if not offsets[-1]:
        return clean
    out = np.full((clean.shape[0] + int(offsets[-1]), clean.shape[1]), 255, np.uint8)
    for i, t, b in zip(members, tops, bottoms, strict=True):
        # the piece and the pixel around it (as the field's mask took it), within its own box
        x0, y0 = max(0, int(stats[i, cv2.CC_STAT_LEFT]) - left - 1), max(0, int(t) - 1)
        x1 = int(stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH]) - left + 1
        where = cv2.dilate((window[y0:int(b) + 1, x0:x1] == i).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        ys, xs = np.nonzero(where)
        ys, xs = ys + y0, xs + x0
        if b - t > TALL * TARGET:
            # taller than a line: letters of two lines run together (a "g" into the bracket under
            # it); each row goes with the line it is in
            shift = offsets[np.searchsorted(np.array([band[0] for band in bands[1:]]), ys, side="right")]
        else:
            # a piece belongs to the line most of it is on, or to the last line that starts above
            # it (an underscore or a comma hangs below its line)
            overlaps = [min(b, band_bottom) - max(t, band_top) for band_top, band_bottom, _ in bands]
            if max(overlaps) > 0:
                line = int(np.argmax(overlaps))
            else:
                line = max([n for n, band in enumerate(bands) if band[0] <= t], default=0)
            shift = int(offsets[line])
        out[ys + shift, xs] = np.minimum(out[ys + shift, xs], clean[ys, xs])
    return out


def _reading_order(pieces: list[_Piece]) -> list[_Piece]:
    """Top to bottom, and left to right among fields that share a row."""
    rows: list[list[_Piece]] = []
    for piece in pieces:
        middle = (piece.box[1] + piece.box[3]) / 2
        if rows and rows[-1][0].box[1] <= middle <= rows[-1][0].box[3]:
            rows[-1].append(piece)
        else:
            rows.append([piece])
    return [p for row in rows for p in sorted(row, key=lambda p: p.box[0])]


class Reader:
    """One Tesseract instance, reused for every figure (start-up costs ~0.2 s; not thread-safe)."""

    def __init__(self, tessdata: str | None = None, lang: str = "eng") -> None:
        import tesserocr

        self._tesserocr = tesserocr
        self._api = tesserocr.PyTessBaseAPI(
            path=tessdata or tessdata_path(), lang=lang, psm=tesserocr.PSM.SINGLE_BLOCK,
            # layer names are not English words: the dictionaries only pull them towards words
            variables={"load_system_dawg": "0", "load_freq_dawg": "0", "preserve_interword_spaces": "1",
                       "tessedit_do_invert": "0"})

    def close(self) -> None:
        self._api.End()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, image: np.ndarray, boxes: Mapping[str, Box]) -> dict[str, NodeText]:
        """The text of each node (``boxes``: node id -> box in pixels) of a figure (RGB or grey, uint8)."""
        if image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise OcrError(f"expected an 8-bit image, got an array of shape {image.shape} and type {image.dtype}")
        gray = image if image.ndim == 2 else cv2.cvtColor(image[:, :, :3], cv2.COLOR_RGB2GRAY)
        pieces = [piece for node, box in boxes.items() for piece in node_pieces(gray, node, box)]
        lines = self._read_pieces(pieces)
        found: dict[str, list[Field]] = {node: [] for node in boxes}
        for piece, piece_lines in zip(pieces, lines, strict=True):
            if piece_lines:
                found[piece.node].append(Field(piece.box, tuple(piece_lines)))
        return {node: NodeText(tuple(fields)) for node, fields in found.items()}

    def _read_pieces(self, pieces: Sequence[_Piece]) -> list[list[Line]]:
        results: list[list[Line]] = [[] for _ in pieces]
        for batch in _pages(pieces):
            width = max(pieces[i].image.shape[1] for i in batch) + 2 * GAP
            spans = []
            top = GAP
            for i in batch:
                spans.append((top, top + pieces[i].image.shape[0], i))
                top += pieces[i].image.shape[0] + GAP
            page = np.full((top, width), 255, np.uint8)
            for start, end, i in spans:
                page[start:end, GAP:GAP + pieces[i].image.shape[1]] = pieces[i].image
            for text, confidence, (ly0, ly1) in self._lines(page):
                middle = (ly0 + ly1) / 2
                owner = next((i for start, end, i in spans if start - GAP / 2 <= middle < end + GAP / 2), None)
                if owner is not None:
                    results[owner].append(Line(text, confidence))
        return results

    def _lines(self, page: np.ndarray) -> Iterable[tuple[str, float, tuple[int, int]]]:
        tesserocr = self._tesserocr
        level = tesserocr.RIL.TEXTLINE
        self._api.SetImage(Image.fromarray(page))
        self._api.Recognize()
        iterator = self._api.GetIterator()
        iterator.Begin()
        while True:
            try:
                text = (iterator.GetUTF8Text(level) or "").strip()
            except RuntimeError:  # tesserocr's "No text returned": a page whose marks held no text
                text = ""
            box = iterator.BoundingBox(level)
            if text and box is not None:
                yield " ".join(text.split()), iterator.Confidence(level) / 100.0, (box[1], box[3])
            if not iterator.Next(level):
                break


def _pages(pieces: Sequence[_Piece]) -> Iterable[list[int]]:
    """Indices of pieces in groups whose stacked height stays under ``PAGE_HEIGHT``."""
    batch: list[int] = []
    height = 0
    for i, piece in enumerate(pieces):
        rows = piece.image.shape[0] + GAP
        if batch and height + rows > PAGE_HEIGHT:
            yield batch
            batch, height = [], 0
        batch.append(i)
        height += rows
    if batch:
        yield batch
