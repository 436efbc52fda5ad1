"""Table grids from camelot: lattice for ruled tables, stream where the text alone shows no columns.

Camelot finds the grid (the rulings a lattice table draws, or the text columns stream infers); the
text of each cell is then set from our own words, placed by their baselines, because camelot's cell
text breaks a TeX table's `3x3, 64` into `3`, `3, 64` and a stray `x` (math fonts report glyph boxes
far below the glyph).

A cell that holds a bracketed block with a multiplier beside it (ResNet's two lines `3x3, 64` in a
bracket with `x2` to the right) is written in one line, as papers print it inline:
`[3x3, 64; 3x3, 64] x2`. The table reader expands that notation.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlp2c.common.document import Box, Cell, Table
from dlp2c.splitter.layout import Phrase

RULES = 3  # vertical rules inside a table (its frame and one divider) that make it a ruled table
STACKED = 3  # a body cell of this many lines or more stacks layers, one per line: rows, not one cell
LINE_GAP = 0.8  # inside a cell line, a gap wider than this many font sizes separates parts (a block and its `x2`)
# Pieces of a large bracket: TeX's extension font has no Unicode for them (`(cid:20)`), others map to these.
BRACKET = re.compile(r"\(cid:\d+\)|[\[\]\u23a1-\u23a6\uf8ee-\uf8fb]")
MULTIPLIER = re.compile(r"^[\u00d7x*]\s*(?P<n>\d{1,3})$")
# A multiplier set close after a block's middle line (ResNet's bottleneck `3x3, 64  x3`, ResNeXt's `..., C=32  x3`).
TRAILING = re.compile(r"^(?P<item>.*,.*\d)\s+[\u00d7x*]\s*(?P<n>\d{1,3})$")


@dataclass
class _Word:
    text: str
    box: Box
    size: float

    @property
    def middle(self) -> float:
        return (self.box.top + self.box.bottom) / 2


def vertical_rules(graphics: list[tuple[str, Box]], box: Box) -> int:
    """How many vertical rules lie inside ``box``: x positions whose thin lines or rectangles add up to a
    quarter of its height (LaTeX draws a ruled column as one short segment per text line)."""
    length: dict[int, float] = {}
    for kind, g in graphics:
        if kind not in ("line", "rect") or g.width > 2.0 or g.height < 2.0:
            continue
        if box.x0 - 3 <= g.x0 <= box.x1 + 3 and g.top >= box.top - 3 and g.bottom <= box.bottom + 3:
            key = round((g.x0 + g.x1) / 2)
            length[key] = length.get(key, 0.0) + g.height
    xs = sorted(x for x, total in length.items() if total >= 0.25 * box.height)
    return sum(1 for i, x in enumerate(xs) if i == 0 or x - xs[i - 1] > 2)


def _words(phrases: list[Phrase]) -> list[_Word]:
    return [_Word(text, b, p.size) for p in phrases for text, b in (p.words or [(p.text, p.box)])]


def cell_text(words: list[_Word]) -> str:
    """The text of one cell's words: lines top to bottom (newlines between); a bracketed block as `[a; b] xN`."""
    bracket = any(BRACKET.search(w.text) for w in words)
    words = [_Word(text, w.box, w.size) for w in words if (text := BRACKET.sub("", w.text).strip())]
    lines: list[list[_Word]] = []
    for w in sorted(words, key=lambda w: w.middle):
        if lines and abs(w.middle - sum(v.middle for v in lines[-1]) / len(lines[-1])) <= 0.5 * w.size:
            lines[-1].append(w)
        else:
            lines.append([w])
    items: list[str] = []
    repeat = 0
    for line in lines:
        line.sort(key=lambda w: w.box.x0)
        parts: list[list[_Word]] = [[line[0]]]
        for w in line[1:]:
            if w.box.x0 - parts[-1][-1].box.x1 > LINE_GAP * w.size:
                parts.append([])
            parts[-1].append(w)
        kept = []
        for part in parts:
            text = " ".join(w.text for w in part)
            m = MULTIPLIER.match(text.replace(" ", ""))
            if m and not repeat:
                repeat = int(m.group("n"))
            else:
                kept.append(text)
        if kept:
            items.append(" ".join(kept))
    if not repeat and (bracket or len(items) > 1):
        for i, item in enumerate(items):
            m = TRAILING.match(item)
            if m:
                items[i], repeat = m.group("item"), int(m.group("n"))
                break
    if items and (repeat or (bracket and len(items) > 1)):
        return f"[{'; '.join(items)}] \u00d7{repeat or 1}"
    if repeat and not items:
        return f"\u00d7{repeat}"
    return "\n".join(items)


def _grid(found: Any, words: list[_Word], page_height: float, label: str, caption: str, page: int, box: Box,
          engine: str) -> Table | None:
    """A Table on camelot's grid (rows and columns in PDF points, origin bottom left) with our words."""
    cols: list[tuple[float, float]] = list(found.cols)
    rows: list[tuple[float, float]] = [(page_height - a, page_height - b) for a, b in found.rows]  # top-down
    if len(cols) < 2 or len(rows) < 2:
        return None

    def index(value: float, spans: list[tuple[float, float]]) -> int | None:
        return next((i for i, (a, b) in enumerate(spans) if min(a, b) <= value <= max(a, b)), None)

    placed: dict[tuple[int, int], list[_Word]] = {}
    for w in words:
        r, c = index(w.middle, rows), index((w.box.x0 + w.box.x1) / 2, cols)
        if r is not None and c is not None:
            placed.setdefault((r, c), []).append(w)
    cells: list[Cell] = []
    used_rows = sorted({r for r, _ in placed})
    used_cols = sorted({c for _, c in placed})
    if len(used_cols) < 2 or len(used_rows) < 2:
        return None
    new_col = {c: i for i, c in enumerate(used_cols)}
    for out_row, r in enumerate(used_rows):
        c = 0
        while c < len(cols):
            end = c
            if engine == "lattice":  # a missing rule between two cells of a row merges them
                while end + 1 < len(cols) and not (found.cells[r][end].right or found.cells[r][end + 1].left):
                    end += 1
            members = [w for k in range(c, end + 1) for w in placed.get((r, k), [])]
            if members:
                inside = [new_col[k] for k in range(c, end + 1) if k in new_col]
                first, last = inside[0], inside[-1]
                text = cell_text(members)
                if engine == "lattice" and out_row > 0 and text.count("\n") + 1 >= STACKED:
                    return None  # layers stacked one per line in a cell (PReLU's Table 3): the words' grid reads them
                if text:
                    cells.append(Cell(out_row, first, text, Box.enclosing([w.box for w in members]),
                                      last if last != first else -1))
            c = end + 1
    return Table(label, caption, page, box, len(used_rows), len(used_cols), cells, engine)


def camelot_table(path: Path | str, flavor: str, page: int, page_height: float, box: Box, phrases: list[Phrase],
                  label: str, caption: str) -> Table | None:
    """The table camelot's ``flavor`` (lattice | stream) finds in ``box`` on ``page``; None when none."""
    import camelot  # heavy (pandas, OpenCV): loaded on the first table that needs it

    area = f"{box.x0 - 4:.1f},{page_height - box.top + 4:.1f},{box.x1 + 4:.1f},{page_height - box.bottom - 4:.1f}"
    quiet = logging.getLogger("camelot")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # lattice only runs where the PDF draws its rules as vectors: read them, no page render
            options = {"engine": "vector"} if flavor == "lattice" else {}
            found = camelot.read_pdf(str(path), pages=str(page), flavor=flavor, table_areas=[area], **options)
    finally:
        quiet.setLevel(level)
    if not found.n:
        return None
    biggest = max(found, key=lambda t: t.shape[0] * t.shape[1])
    return _grid(biggest, _words(phrases), page_height, label, caption, page, box, flavor)
