"""A page's reading layout: text phrases, which of them are body text, the columns, the drawn objects.

Figures and tables are found the way pdffigures2 finds them: a caption anchors a region, and the
region stops where body text starts. So the one question this module answers well is "is this
line body text?": body lines are set in the page's dominant font size and run the width of a text
column with ordinary word spacing; table rows and labels inside drawings break on wide gaps, are
shorter, or use another size.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dlp2c.common.document import Box
from dlp2c.splitter.pdfpage import PageContent
from pdfplumber.utils import extract_words

PHRASE_GAP = 0.8  # a gap wider than this many font sizes ends a phrase (table cells, labels in drawings)


@dataclass
class Phrase:
    text: str
    box: Box
    size: float
    body: bool = False
    words: list[tuple[str, Box]] = field(default_factory=list)  # for tables, which split cells at narrower gaps

    @property
    def center_x(self) -> float:
        return (self.box.x0 + self.box.x1) / 2


@dataclass
class PageLayout:
    number: int  # 1-based
    width: float
    height: float
    phrases: list[Phrase]
    graphics: list[tuple[str, Box]]  # (image | rect | line | curve, box)
    sizes: Counter[float]  # characters per font size (half points)
    body_size: float = 10.0  # the rest is set by settle()
    column_width: float = 0.0
    text_left: float = 0.0
    text_right: float = 0.0
    two_columns: bool = False

    def column_of(self, box: Box) -> tuple[float, float]:
        """The horizontal span of the text column holding ``box`` (the whole text width when it spans both)."""
        gutter = (self.text_left + self.text_right) / 2
        if not self.two_columns or box.width > self.column_width * 1.2 or box.x0 < gutter - 8 < gutter + 8 < box.x1:
            return self.text_left, self.text_right  # a caption across the gutter belongs to a full-width float
        if (box.x0 + box.x1) / 2 < gutter:
            return self.text_left, self.text_left + self.column_width
        return self.text_right - self.column_width, self.text_right


def _middle(word: dict[str, Any]) -> float:
    return (word["top"] + word["bottom"]) / 2


def _phrases(words: list[dict[str, Any]]) -> list[Phrase]:
    """Words joined left to right into phrases: a word continues the phrase that ends just before it
    (a gap of at most 0.8 em) on its line (middles within 0.45 em of the phrase's first word, in the
    larger of their sizes), the nearest such line when two qualify. Lines are found per phrase, not per
    page row, so two columns with different leading never mix: a caption beside body text stays one
    phrase, and a superscript dagger does not cut its line in two."""
    ordered = sorted(words, key=lambda w: (w["x0"], w["top"]))
    chains: list[list[dict[str, Any]]] = []
    open_ends: list[list[dict[str, Any]]] = []  # chains whose last word may still be continued
    for word in ordered:
        size = float(word.get("size") or (word["bottom"] - word["top"]) or 10.0)
        middle = _middle(word)
        best, best_off = None, 0.0
        still_open = []
        for chain in open_ends:
            gap = word["x0"] - chain[-1]["x1"]
            if gap > PHRASE_GAP * max(size, float(chain[-1].get("size") or 0.0)):
                continue  # words still to come start further right: closed (a larger word begins its own)
            still_open.append(chain)
            off = abs(_middle(chain[0]) - middle)
            line_size = max(size, float(chain[0].get("size") or 0.0))  # a superscript goes by its line's size
            if off <= 0.45 * line_size and gap >= -0.5 * size and (best is None or off < best_off):
                best, best_off = chain, off
        open_ends = still_open
        if best is None:
            best = []
            chains.append(best)
            open_ends.append(best)
        best.append(word)
    return [_phrase(chain) for chain in sorted(chains, key=lambda c: (c[0]["top"], c[0]["x0"]))]


def _phrase(words: list[dict[str, Any]]) -> Phrase:
    box = Box.enclosing([Box(w["x0"], w["top"], w["x1"], w["bottom"]) for w in words])
    size = statistics.median(float(w.get("size") or (w["bottom"] - w["top"])) for w in words)
    return Phrase(" ".join(w["text"] for w in words), box, size, False,
                  [(w["text"], Box(w["x0"], w["top"], w["x1"], w["bottom"])) for w in words])


def _mark_body(phrases: list[Phrase], body_size: float, column_width: float, text_left: float,
               text_right: float, two_columns: bool) -> None:
    def same_size(p: Phrase) -> bool:
        return abs(p.size - body_size) <= 0.75

    lefts = [text_left] if not two_columns else [text_left, text_right - column_width]
    for p in phrases:
        if same_size(p) and p.box.width >= 0.7 * column_width and p.box.width <= 2.1 * column_width:
            p.body = True
    # The last line of a paragraph is short: body when it starts at a column's left edge right under a body line.
    ordered = sorted(phrases, key=lambda p: p.box.top)
    for i, p in enumerate(ordered):
        if p.body or not same_size(p) or len(p.text) < 12:
            continue
        if not any(abs(p.box.x0 - left) <= 2.5 for left in lefts):
            continue
        for q in reversed(ordered[max(0, i - 8):i]):
            if q.body and 0 <= p.box.top - q.box.bottom <= 0.6 * p.size and abs(q.box.x0 - p.box.x0) <= 16:
                p.body = True
                break


OFF_BASELINE = 0.35  # a glyph box further off its baseline than the page's text (in font sizes) is a math font's


def on_baseline(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``chars`` with math-font glyph boxes moved to sit on their baselines like the text around them.

    TeX's symbol and extension fonts (CMSY, CMEX) report boxes far below the glyph: the `x` of `3x3, 64`
    would start a line of its own under `3 3, 64`. The baseline (the glyph's origin, ``baseline``) is where
    the glyph really is; how far a box normally reaches below it is the page's own (the median over its
    characters)."""
    def offset(c: dict[str, Any]) -> float | None:
        size = float(c.get("size") or 0.0)
        if not c.get("upright", True) or size <= 0 or c.get("baseline") is None:
            return None
        return (float(c["bottom"]) - float(c["baseline"])) / size

    offsets = [offset(c) for c in chars]
    known = [o for o in offsets if o is not None]
    if not known:
        return chars
    normal = statistics.median(known)
    fixed = []
    for c, off in zip(chars, offsets, strict=True):
        if off is None or abs(off - normal) <= OFF_BASELINE:
            fixed.append(c)
            continue
        shift = (normal - off) * float(c["size"])
        fixed.append({**c, "top": float(c["top"]) + shift, "bottom": float(c["bottom"]) + shift,
                      "doctop": float(c.get("doctop", c["top"])) + shift})
    return fixed


def page_layout(page: PageContent, number: int) -> PageLayout:
    """Phrases, body text and drawn objects of one page."""
    words = []
    for w in extract_words(on_baseline(page.chars), x_tolerance=1.5, y_tolerance=2.5, return_chars=True):
        if w.get("upright", True) and w["text"].strip():
            # Small capitals mix sizes inside a word: the word's size is its letters' largest.
            w["size"] = max(float(c.get("size") or 0.0) for c in w.pop("chars")) or (w["bottom"] - w["top"])
            words.append(w)
    phrases = _phrases(words) if words else []
    width, height = page.width, page.height
    sizes = Counter({})
    for p in phrases:
        sizes[round(p.size * 2) / 2] += len(p.text)
    page_area = width * height
    graphics: list[tuple[str, Box]] = []
    for kind, b in page.graphics:
        box = Box(max(0.0, b.x0), max(0.0, b.top), min(width, b.x1), min(height, b.bottom))
        if box.width < 0 or box.height < 0 or box.width * box.height > 0.9 * page_area:
            continue
        graphics.append((kind, box))
    layout = PageLayout(number, width, height, phrases, graphics, sizes)
    settle(layout, sizes.most_common(1)[0][0] if sizes else 10.0)
    return layout


@dataclass
class Geometry:
    """Where a paper sets its body text: font size, column width and the text block's edges."""
    size: float
    column_width: float
    text_left: float
    text_right: float


def _long_lines(layout: PageLayout, size: float) -> list[Phrase]:
    return [p for p in layout.phrases if abs(p.size - size) <= 0.75 and len(p.text) >= 40]


def _geometry(pages: list[tuple[PageLayout, list[Phrase]]], size: float) -> Geometry | None:
    pages = [(layout, long) for layout, long in pages if long]
    if not pages:
        return None
    return Geometry(size, statistics.median(p.box.width for _, long in pages for p in long),
                    statistics.median(min(p.box.x0 for p in long) for _, long in pages),
                    statistics.median(max(p.box.x1 for p in long) for _, long in pages))


def paper_geometry(layouts: list[PageLayout]) -> Geometry | None:
    """The body's geometry over every page: the size most characters are set in, and the columns its
    long lines fill (a page of figures and captions alone would take its caption size for the body's,
    and a page with one column of text left would look single-column)."""
    total: Counter[float] = Counter()
    for layout in layouts:
        total.update(layout.sizes)
    if not total:
        return None
    size = total.most_common(1)[0][0]
    return _geometry([(layout, _long_lines(layout, size)) for layout in layouts], size)


def settle(layout: PageLayout, size: float, geometry: Geometry | None = None) -> None:
    """Set ``layout``'s body size, text column geometry and body lines (the paper's, when given)."""
    if geometry is None:
        geometry = _geometry([(layout, _long_lines(layout, size))], size)
    if geometry is not None:
        column_width, text_left, text_right = geometry.column_width, geometry.text_left, geometry.text_right
    else:
        column_width, text_left, text_right = layout.width * 0.75, layout.width * 0.125, layout.width * 0.875
    layout.body_size, layout.column_width = size, column_width
    layout.text_left, layout.text_right = text_left, text_right
    layout.two_columns = column_width < 0.6 * (text_right - text_left)
    for p in layout.phrases:
        p.body = False
    _mark_body(layout.phrases, size, column_width, text_left, text_right, layout.two_columns)
