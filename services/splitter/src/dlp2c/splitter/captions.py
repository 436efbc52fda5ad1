"""Captions: the anchors of figures and tables.

A caption starts a block ("Figure 3.", "Fig. 2:", "Table 1", "TABLE IV"); a sentence that mentions a
figure ("... as in Table 1. Figure 3 shows ...") may wrap so that a line starts the same way, but it
sits right under the body line it continues, and is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlp2c.common.document import Box
from dlp2c.splitter.layout import PageLayout, Phrase

CAPTION = re.compile(r"^(?P<kind>fig(?:ure)?\.?|table)\s*(?P<num>\d{1,3}|[ivxl]{1,6})\s*(?P<punct>[.:|\u2014\u2013-])?",
                     re.IGNORECASE)


@dataclass
class Caption:
    kind: str  # figure | table
    number: str
    text: str
    box: Box
    size: float

    @property
    def label(self) -> str:
        return f"{self.kind.capitalize()} {self.number}"


def _continues_body(p: Phrase, layout: PageLayout) -> bool:
    for q in layout.phrases:
        if q is p or not q.body:
            continue
        overlap = min(q.box.x1, p.box.x1) - max(q.box.x0, p.box.x0)
        if overlap > 0.5 * min(q.box.width, p.box.width) and -1 <= p.box.top - q.box.bottom <= 0.45 * p.size:
            return True
    return False


def find_captions(layout: PageLayout) -> list[Caption]:
    phrases = sorted(layout.phrases, key=lambda p: (p.box.top, p.box.x0))
    captions: list[Caption] = []
    used: set[int] = set()
    for i, p in enumerate(phrases):
        if i in used:
            continue
        m = CAPTION.match(p.text)
        if m is None:
            continue
        rest = p.text[m.end():].strip()
        # "Table 2 shows ..." and "Figure 1, which ..." are mentions; a caption has its punctuation or ends the line.
        if m.group("punct") is None and rest and (rest[0].islower() or rest[0] in ",;)"):
            continue
        if _continues_body(p, layout):
            continue
        kind = "figure" if m.group("kind").lower().startswith("fig") else "table"
        left, right = p.box.x0 - 4, max(p.box.x1, p.box.x0 + layout.column_width) + 4
        # A justified first line can break into phrases at its widened word spaces: join the rest of it.
        line = [p]
        for k, o in enumerate(phrases):
            if k in used or o is p or abs(o.box.top - p.box.top) >= 0.5 * p.size or abs(o.size - p.size) > 0.5:
                continue
            if line[-1].box.x1 < o.box.x0 <= right and o.box.x0 - line[-1].box.x1 <= 2.0 * p.size \
                    and not CAPTION.match(o.text):
                line.append(o)
                used.add(k)
        if len(line) > 1:
            p = Phrase(" ".join(o.text for o in line), Box.enclosing([o.box for o in line]), p.size)
        box, texts = p.box, [p.text]
        last = p
        for j in range(i + 1, min(len(phrases), i + 60)):
            q = phrases[j]
            if q.box.x1 < left or q.box.x0 > right or j in used:
                continue  # the other column
            if q.box.top - last.box.bottom > 0.6 * p.size or abs(q.size - p.size) > 1.0 or CAPTION.match(q.text):
                break
            # Cells beside the line make it a table row; long text to its left, or starting past the
            # caption's first line, is body wrapped around a figure.
            row = [o for o in phrases if o is not q and abs(o.box.top - q.box.top) < 0.5 * q.size
                   and o.box.x0 >= left and o.box.x0 <= right
                   and not (len(o.text) >= 25 and o.box.x0 > p.box.x1 + 2)]
            centered = abs(q.center_x - p.center_x) <= 6
            if row and len(row) <= 2 and abs(q.box.x0 - p.box.x0) <= 2 \
                    and abs(max(o.box.x1 for o in row) - p.box.x1) <= 2:
                # A justified line whose word spaces grew wider than a phrase gap, not a table row.
                q = Phrase(" ".join(o.text for o in [q, *sorted(row, key=lambda o: o.box.x0)]),
                           Box.enclosing([q.box, *(o.box for o in row)]), q.size)
                used.update(k for k, o in enumerate(phrases) if any(o is r for r in row))
                row = []
            if row or not (q.box.x0 >= left and (abs(q.box.x0 - p.box.x0) <= 4 or centered)):
                break  # a table row or a label: the caption ended
            texts.append(q.text)
            box = box.union(q.box)
            used.add(j)
            last = q
        captions.append(Caption(kind, m.group("num").upper(), " ".join(texts), box, p.size))
    return captions
