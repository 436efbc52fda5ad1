"""Opening a PDF under limits, and the paper's metadata (title, authors, arXiv id).

Everything that can be checked before parsing is checked here, cheaply, with pdfium: the size,
the header, encryption, the page count and page sizes. A file that fails gets a SplitError whose
code says which rule it broke.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from dlp2c.splitter.layout import PageLayout
from dlp2c.splitter.limits import Limits, SplitError

ARXIV_ID = re.compile(r"arXiv:\s*(\d{4}\.\d{4,5})(v\d+)?", re.IGNORECASE)
ARXIV_NAME = re.compile(r"(?<!\d)(\d{4}\.\d{4,5})(v\d+)?(?!\d)")


@dataclass
class PaperMeta:
    title: str = ""
    authors: list[str] = field(default_factory=list)
    arxiv_id: str = ""
    pages: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "authors": self.authors, "arxiv_id": self.arxiv_id, "pages": self.pages}


def check_file(path: Path, limits: Limits) -> int:
    """Validate ``path`` as a PDF within ``limits``; returns its page count."""
    where = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SplitError(f"cannot read the file: {exc.strerror or exc}", where, code="not_pdf") from exc
    if size == 0:
        raise SplitError("the file is empty", where, code="empty")
    if size > limits.max_bytes:
        raise SplitError(f"the file is {size / 2**20:.1f} MiB; the limit is {limits.max_bytes / 2**20:.0f} MiB",
                         where, "raise DLP2C_SPLIT_MAX_BYTES if this paper is genuine", code="too_large")
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise SplitError("not a PDF (no %PDF- header in its first 1024 bytes)", where, code="not_pdf")
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text:
            raise SplitError("the PDF is encrypted with a password", where, "send an unencrypted copy",
                             code="encrypted") from exc
        raise SplitError(f"the PDF is damaged or truncated ({exc})", where, code="corrupt") from exc
    try:
        pages = len(pdf)
        if pages == 0:
            raise SplitError("the PDF has no pages", where, code="empty")
        if pages > limits.max_pages:
            raise SplitError(f"the PDF has {pages} pages; the limit is {limits.max_pages}", where,
                             "split a paper, not a book, or raise DLP2C_SPLIT_MAX_PAGES", code="too_many_pages")
        for index in range(pages):
            try:
                page = pdf[index]
            except pdfium.PdfiumError as exc:
                raise SplitError(f"page {index + 1} cannot be loaded ({exc})", where, code="corrupt") from exc
            try:
                w, h = page.get_size()
            finally:
                page.close()
            if max(w, h) / 72 > limits.max_page_inches or min(w, h) <= 0:
                raise SplitError(f"page {index + 1} measures {w / 72:.0f} x {h / 72:.0f} inches", where,
                                 code="page_too_large")
        return pages
    finally:
        pdf.close()


def _title_from_layout(first: PageLayout) -> tuple[str, float]:
    top_half = [p for p in first.phrases if p.box.top < first.height * 0.45 and len(p.text) > 3]
    if not top_half:
        return "", 0.0
    biggest = max(p.size for p in top_half)
    if biggest < first.body_size + 1.5:
        return "", 0.0
    lines = sorted((p for p in top_half if p.size >= biggest - 0.5), key=lambda p: (p.box.top, p.box.x0))
    return " ".join(p.text for p in lines), max(p.box.bottom for p in lines)


_NAME = re.compile(r"^[A-Z][\w.'\-]*(?:\s+[A-Z][\w.'\-]*){1,4}$")


def _authors(first: PageLayout, below: float) -> list[str]:
    names: list[str] = []
    for p in sorted(first.phrases, key=lambda p: (p.box.top, p.box.x0)):
        if p.box.top < below or p.box.top > below + 140:
            continue
        if p.text.replace(" ", "").lower().startswith("abstract"):
            break
        for part in re.split(r",|&|\band\b|\u2217|\*|\d|†|‡", p.text):
            part = part.strip()
            if _NAME.match(part) and not re.search(r"university|institute|research|department|lab|inc|school|"
                                                   r"college|google|microsoft|facebook|abstract",
                                                   part, re.IGNORECASE) and part not in names:
                names.append(part)
    return names[:20]


def metadata(path: Path, first: PageLayout | None, pdf: pdfium.PdfDocument, pages: int) -> PaperMeta:
    meta = PaperMeta(pages=pages)
    info = pdf.get_metadata_dict(skip_empty=True)
    stamp = ""
    page = pdf[0]
    try:
        textpage = page.get_textpage()
        stamp = textpage.get_text_range()
        textpage.close()
    finally:
        page.close()
    m = ARXIV_ID.search(stamp) or ARXIV_NAME.search(path.name)
    if m:
        meta.arxiv_id = m.group(1) + (m.group(2) or "")
    title, bottom = _title_from_layout(first) if first is not None else ("", 0.0)
    given = str(info.get("Title", "")).strip()
    if len(given.split()) >= 3 and not re.search(r"\.(dvi|tex|docx?|pdf)$|^microsoft word", given, re.IGNORECASE):
        meta.title = given
    else:
        meta.title = title
    if first is not None and bottom:
        meta.authors = _authors(first, bottom)
    if not meta.authors and info.get("Author"):
        meta.authors = [a.strip() for a in re.split(r",|;|\band\b", str(info["Author"])) if a.strip()]
    return meta
