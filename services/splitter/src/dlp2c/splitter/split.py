"""The splitting stage: a paper's PDF in; its figures, tables and metadata out, as files and a manifest.

    DIR/manifest.json            paper metadata, figures, tables, per-page errors
    DIR/figures/figure-2.png     each figure cropped at the configured DPI (200 by default)
    DIR/tables/table-1.json      cells with their boxes
    DIR/tables/table-1.csv       the same grid as CSV (a merged cell repeated in each column it spans)

File names come from the caption's number only (digits or roman numerals matched by a pattern), never
from text in the PDF, so nothing a paper says can place a file outside ``DIR``.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from dlp2c.common.document import Box, PaperFigure, Table
from dlp2c.splitter.captions import Caption, find_captions
from dlp2c.splitter.document import PaperMeta, check_file, metadata
from dlp2c.splitter.layout import PageLayout, page_layout, paper_geometry, settle
from dlp2c.splitter.limits import Limits, SplitError
from dlp2c.splitter.pdfpage import PageContent, read_page
from dlp2c.splitter.regions import Region, candidates, choose
from dlp2c.splitter.ruled import RULES, camelot_table, vertical_rules
from dlp2c.splitter.tables import table_from_phrases

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
PAD = 3.0  # points kept around a figure's drawn content


@dataclass
class Split:
    meta: PaperMeta
    figures: list[PaperFigure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"paper": self.meta.to_json(), "figures": [f.to_json() for f in self.figures],
                "tables": [t.to_json() for t in self.tables], "errors": self.errors,
                "seconds": round(self.seconds, 3)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Split:
        paper = data["paper"]
        meta = PaperMeta(paper.get("title", ""), list(paper.get("authors", [])), paper.get("arxiv_id", ""),
                         int(paper.get("pages", 0)))
        return cls(meta, [PaperFigure.from_json(f) for f in data.get("figures", [])],
                   [Table.from_json(t) for t in data.get("tables", [])], list(data.get("errors", [])),
                   float(data.get("seconds", 0.0)))


def _slug(caption: Caption) -> str:
    return f"{caption.kind}-{caption.number.lower()}"


def _render(pdf: pdfium.PdfDocument, index: int, box: Box, layout: PageLayout, dpi: int, path: Path) -> None:
    page = pdf[index]
    try:
        x0, top = max(0.0, box.x0 - PAD), max(0.0, box.top - PAD)
        x1, bottom = min(layout.width, box.x1 + PAD), min(layout.height, box.bottom + PAD)
        bitmap = page.render(scale=dpi / 72, crop=(x0, layout.height - bottom, layout.width - x1, top))
        bitmap.to_pil().convert("RGB").save(path)
    finally:
        page.close()


def _bomb(content: PageContent, limits: Limits) -> str:
    for w, h in content.image_pixels:
        if w * h > limits.max_image_pixels:
            return f"an embedded image declares {int(w)} x {int(h)} pixels"
    return ""


def _write_table(table: Table, stem: str, folder: Path) -> None:
    (folder / f"{stem}.json").write_text(json.dumps(table.to_json(), indent=1))
    with (folder / f"{stem}.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(table.grid())


def _conventions(found: list[tuple[PageLayout, Caption, Region | None, Region | None, str]]) -> dict[str, str]:
    """Per kind of float, the side its content sits on when only one side has any (this paper's style)."""
    votes: dict[str, Counter[str]] = {"figure": Counter(), "table": Counter()}
    for _, caption, above, below, _ in found:
        if (above is None) != (below is None):
            votes[caption.kind]["above" if above is not None else "below"] += 1
    out = {}
    for kind, count in votes.items():
        ranked = count.most_common()
        out[kind] = ranked[0][0] if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]) else ""
    return out


def _overlap(a: Box, b: Box) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.bottom, b.bottom) - max(a.top, b.top)
    return max(0.0, w) * max(0.0, h) / max(1.0, min(a.width * a.height, b.width * b.height))


def _table(path: Path, layout: PageLayout, region: Region, caption: Caption) -> Table:
    """The table's grid: camelot's lattice where rules draw it; else from the words' positions; camelot's
    stream when the words show no columns. A camelot failure falls back, never fails the paper."""
    words = table_from_phrases(region.phrases, caption.label, caption.text, layout.number, region.box)
    flavors = ["lattice"] if vertical_rules(layout.graphics, region.box) >= RULES else []
    if words.n_cols < 2:
        flavors.append("stream")
    for flavor in flavors:
        try:
            table = camelot_table(path, flavor, layout.number, layout.height, region.box, region.phrases,
                                  caption.label, caption.text)
        except Exception as exc:  # camelot on untrusted bytes: the words' grid stands
            log.warning("camelot %s failed on %s page %d: %s", flavor, path.name, layout.number, exc)
            continue
        if table is not None and table.n_cols >= 2:
            return table
    return words


def _place(found: list[tuple[PageLayout, Caption, Region | None, Region | None, str]], result: Split,
           pdf: pdfium.PdfDocument, path: Path, out_dir: Path | None, limits: Limits) -> None:
    conventions = _conventions(found)
    seen: set[str] = set()
    taken: dict[int, list[Box]] = {}
    for layout, caption, above, below, bomb in found:
        if caption.label in seen:
            continue
        region = choose(caption, above, below, conventions[caption.kind])
        page_taken = taken.setdefault(layout.number, [])
        if region is not None and any(_overlap(region.box, b) > 0.5 for b in page_taken):
            rest = region.without(page_taken)  # a figure that reached up into a table placed before it
            clear = rest is not None and not any(_overlap(rest.box, b) > 0.5 for b in page_taken)
            if rest is not None and clear and rest.kind == region.kind:
                region = rest
        if region is not None and any(_overlap(region.box, b) > 0.5 for b in page_taken):
            other = below if region is above else above
            region = other if other is not None and not any(_overlap(other.box, b) > 0.5 for b in page_taken) else None
        if region is None:
            continue
        seen.add(caption.label)
        page_taken.append(region.box)
        if caption.kind == "table":
            table = _table(path, layout, region, caption)
            result.tables.append(table)
            if out_dir is not None:
                _write_table(table, _slug(caption), out_dir / "tables")
            continue
        figure = PaperFigure(caption.label, caption.text, layout.number, region.box, region.kind,
                             words=[{"text": p.text, "box": p.box.to_json()} for p in region.phrases])
        if out_dir is not None and not bomb:
            name = f"figures/{_slug(caption)}.png"
            _render(pdf, layout.number - 1, region.box, layout, limits.dpi, out_dir / name)
            figure.image, figure.dpi = name, limits.dpi
        result.figures.append(figure)


def split(path: Path | str, out: Path | str | None = None, limits: Limits | None = None) -> Split:
    """Split the PDF at ``path``; with ``out``, write the crops, tables and manifest there."""
    limits = limits or Limits()
    path = Path(path)
    started = time.perf_counter()
    pages = check_file(path, limits)
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        try:
            (out_dir / "figures").mkdir(parents=True, exist_ok=True)
            (out_dir / "tables").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SplitError(f"cannot write the output folder ({exc.strerror or exc})", str(out_dir),
                             "give a folder this process may create and write", code="output") from exc
    result = Split(PaperMeta(pages=pages))
    found: list[tuple[PageLayout, Caption, Region | None, Region | None, str]] = []
    first: PageLayout | None = None
    layouts: list[tuple[PageLayout, str]] = []
    pdf = pdfium.PdfDocument(str(path))
    try:
        for index in range(len(pdf)):
            page_started = time.perf_counter()
            try:
                page = pdf[index]
                try:
                    content = read_page(page)
                finally:
                    page.close()
                layout = page_layout(content, index + 1)
            except Exception as exc:  # a page that cannot be read is reported; the others go on
                result.errors.append({"page": index + 1, "code": "page", "message": f"unreadable page: {exc}"})
                continue
            first = first or layout
            bomb = _bomb(content, limits)
            if bomb:
                result.errors.append({"page": index + 1, "code": "image_bomb", "message": bomb})
            layouts.append((layout, bomb))
            spent = time.perf_counter() - page_started
            if spent > limits.seconds_per_page:
                result.errors.append({"page": index + 1, "code": "slow_page",
                                      "message": f"page took {spent:.1f} s (limit {limits.seconds_per_page} s)"})
        geometry = paper_geometry([layout for layout, _ in layouts])
        for layout, bomb in layouts:
            if geometry is not None:
                settle(layout, geometry.size, geometry)
            captions = find_captions(layout)
            found.extend((layout, c, *candidates(c, layout, captions), bomb) for c in captions)
        _place(found, result, pdf, path, out_dir, limits)
        result.meta = metadata(path, first, pdf, pages)
    except SplitError:
        raise
    except Exception as exc:  # a parser's failure on untrusted bytes is this paper's error, not the service's
        raise SplitError(f"the PDF could not be parsed ({type(exc).__name__}: {exc})"[:500], str(path),
                         code="corrupt") from exc
    finally:
        pdf.close()
    result.seconds = time.perf_counter() - started
    if out_dir is not None:
        (out_dir / MANIFEST).write_text(json.dumps(result.to_json(), indent=1))
    return result
