"""The region a caption belongs to: what is drawn or set between the caption and the body text.

For each caption two candidates are looked at, above and below, each within the caption's column
and bounded by the nearest body text or other caption. What lies in a candidate (drawn objects and
non-body text) is its content; the region is the content's bounding box, so a figure wider than the
caption's column is kept whole, and one caption gives one region (no sub-figure shards).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dlp2c.common.document import Box
from dlp2c.splitter.captions import Caption
from dlp2c.splitter.layout import PageLayout, Phrase


@dataclass
class Region:
    box: Box
    kind: str  # raster | vector | mixed | text
    phrases: list[Phrase]
    parts: list[Box] = field(default_factory=list)  # every drawn object and phrase the box encloses

    def without(self, taken: list[Box]) -> Region | None:
        """This region less what lies inside ``taken`` (another float's region), None if nothing is left."""
        def free(box: Box) -> bool:
            cx, cy = (box.x0 + box.x1) / 2, (box.top + box.bottom) / 2
            return not any(t.x0 <= cx <= t.x1 and t.top <= cy <= t.bottom for t in taken)

        parts = [b for b in self.parts if free(b)]
        if not parts:
            return None
        return Region(Box.enclosing(parts), self.kind, [p for p in self.phrases if free(p.box)], parts)


def _overlaps(a: Box, left: float, right: float) -> bool:
    return min(a.x1, right) - max(a.x0, left) > 0.3 * max(1.0, min(a.width, right - left))


def _bounds(caption: Caption, layout: PageLayout, others: list[Caption], side: str,
            left: float, right: float) -> tuple[float, float]:
    blockers = [p.box for p in layout.phrases if p.body] + [c.box for c in others if c is not caption]
    if side == "above":
        limit = max([b.bottom for b in blockers if b.bottom <= caption.box.top + 1 and _overlaps(b, left, right)],
                    default=0.0)
        return limit, caption.box.top
    limit = min([b.top for b in blockers if b.top >= caption.box.bottom - 1 and _overlaps(b, left, right)],
                default=layout.height)
    return caption.box.bottom, limit


def _inside(box: Box, left: float, right: float, top: float, bottom: float) -> bool:
    cx, cy = (box.x0 + box.x1) / 2, (box.top + box.bottom) / 2
    return left - 2 <= cx <= right + 2 and top - 1 <= cy <= bottom + 1


def _within(inner: Box, outer: Box) -> bool:
    return (inner.top >= outer.top - 1 and inner.bottom <= outer.bottom + 1 and inner.x0 >= outer.x0 - 2
            and inner.x1 <= outer.x1 + 2)


GAP = 3.0  # whitespace taller than this many body font sizes ends a figure (what lies beyond is not its)
FIRST_GAP = 5.0  # ... except between the caption and the figure, which floats may set further apart


def _cluster(boxes: list[Box], side: str, edge: float, size: float) -> list[Box]:
    """The boxes that reach the caption without a gap wider than GAP: a figure is one block, and a
    highlight or a rule in the abstract above it is not part of it."""
    near = sorted(boxes, key=lambda b: -b.bottom if side == "above" else b.top)
    kept: list[Box] = []
    reach = edge
    for box in near:
        gap = reach - box.bottom if side == "above" else box.top - reach
        if gap > (GAP if kept else FIRST_GAP) * size:
            break
        kept.append(box)
        reach = min(reach, box.top) if side == "above" else max(reach, box.bottom)
    return kept


def _candidate(caption: Caption, layout: PageLayout, others: list[Caption], side: str) -> Region | None:
    left, right = layout.column_of(caption.box)
    if caption.box.height > 1.8 * caption.size and caption.box.width < 0.65 * (right - left):
        # A caption of several lines in part of a column: a wrapped figure, with body text set beside it.
        left, right = caption.box.x0 - caption.size, caption.box.x1 + caption.size
    top, bottom = _bounds(caption, layout, others, side, left, right)
    if bottom - top < 4:
        return None
    graphics = [(k, b) for k, b in layout.graphics if _inside(b, left, right, top, bottom)
                and not (caption.kind == "table" and k == "image")]  # a table is set, not pasted in as a picture
    phrases = [p for p in layout.phrases if not p.body and _inside(p.box, left, right, top, bottom)
               and not any(_within(p.box, c.box) for c in others)]
    edge = caption.box.top if side == "above" else caption.box.bottom
    kept = {id(b) for b in _cluster([b for _, b in graphics] + [p.box for p in phrases], side, edge, layout.body_size)}
    graphics = [(k, b) for k, b in graphics if id(b) in kept]
    phrases = [p for p in phrases if id(p.box) in kept]
    if not graphics and not phrases:
        return None
    box = Box.enclosing([b for _, b in graphics] + [p.box for p in phrases])
    # Drawn objects stay whole; keep the region inside the band between caption and body text.
    box = Box(box.x0, max(box.top, top), box.x1, min(box.bottom, bottom))
    area = max(1.0, box.width * box.height)
    image_area = sum(b.width * b.height for k, b in graphics if k == "image")
    if not graphics:
        kind = "text"
    elif image_area > 0.5 * area:
        kind = "raster"
    elif image_area > 0:
        kind = "mixed"
    else:
        kind = "vector"
    return Region(box, kind, phrases, [b for _, b in graphics] + [p.box for p in phrases])


def candidates(caption: Caption, layout: PageLayout, captions: list[Caption]) -> tuple[Region | None, Region | None]:
    """The content above and below ``caption`` (None on a side with nothing drawn or set)."""
    return _candidate(caption, layout, captions, "above"), _candidate(caption, layout, captions, "below")


def choose(caption: Caption, above: Region | None, below: Region | None, convention: str) -> Region | None:
    """One of the two candidates: the only one; for a figure the drawn one, for a table the one that is not
    a picture; else the paper's convention
    for this kind of float (where its unambiguous captions sit), else the nearer content."""
    if above is None or below is None:
        return above or below
    if caption.kind == "figure" and (above.kind == "text") != (below.kind == "text"):
        return below if above.kind == "text" else above
    if caption.kind == "table" and (above.kind == "raster") != (below.kind == "raster"):
        return below if above.kind == "raster" else above  # a table is set, not pasted in as a picture
    if convention in ("above", "below"):
        return above if convention == "above" else below
    gap_above = caption.box.top - above.box.bottom
    gap_below = below.box.top - caption.box.bottom
    if caption.kind == "figure":
        gap_above -= 2 * caption.size
    else:
        gap_below -= 2 * caption.size
    return above if gap_above <= gap_below else below
