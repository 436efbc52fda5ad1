"""Reading a page with pdfium: characters and drawn objects where the page shows them, in points from its
top-left corner, through Form XObjects and /Rotate; and words joined into phrases line by line."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pypdfium2 as pdfium
import pytest
from dlp2c.splitter.layout import _phrases
from dlp2c.splitter.pdfpage import PageContent, read_page

W, H = 4.0, 3.0  # inches


def _draw(path: Path) -> Path:
    """A 288 x 216 pt page: `conv 3x3` at 12 pt with its baseline 1 inch from the top, from x = 0.5 inch;
    a vertical rule at x = 3 inches; three square markers (Form XObjects in matplotlib's PDFs)."""
    with matplotlib.rc_context():
        matplotlib.rcdefaults()  # whatever other tests in this process set: DejaVu Sans, Type 3 fonts
        fig = plt.figure(figsize=(W, H))
        fig.text(0.5 / W, 1 - 1.0 / H, "conv 3x3", fontsize=12, va="baseline", ha="left")
        fig.add_artist(plt.Line2D([3.0 / W, 3.0 / W], [0.2, 0.8], color="black", linewidth=0.5))
        axes = fig.add_axes((0, 0, 1, 1))
        axes.set_xlim(0, W)
        axes.set_ylim(0, H)
        axes.axis("off")
        axes.plot([1.0, 1.5, 2.0], [0.5, 0.5, 0.5], linestyle="none", marker="s", markersize=6, color="black")
        fig.savefig(path)
        plt.close(fig)
    return path


def _read(path: Path, rotation: int = 0) -> PageContent:
    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[0]
        if rotation:
            page.set_rotation(rotation)
        try:
            return read_page(page)
        finally:
            page.close()
    finally:
        pdf.close()


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _draw(tmp_path_factory.mktemp("page") / "page.pdf")


def test_characters_where_the_page_shows_them(drawn: Path) -> None:
    content = _read(drawn)
    assert (content.width, content.height) == pytest.approx((W * 72, H * 72))
    chars = [c for c in content.chars if not c["text"].isspace()]
    assert "".join(c["text"] for c in chars) == "conv3x3"
    assert all(c["upright"] and c["size"] == pytest.approx(12, abs=0.1) for c in chars)
    assert chars[0]["x0"] == pytest.approx(36, abs=1.5)
    assert all(c["baseline"] == pytest.approx(72, abs=0.5) for c in chars)
    # pdfminer's box: from the font's descent below the baseline (the same for every glyph of a font),
    # one font size high
    assert all(c["bottom"] - c["top"] == pytest.approx(12, abs=0.01) for c in chars)
    assert all(c["bottom"] == pytest.approx(chars[0]["bottom"], abs=0.01) for c in chars)
    assert 0 < chars[0]["bottom"] - 72 < 0.6 * 12


def test_drawn_objects_one_per_subpath_through_forms(drawn: Path) -> None:
    graphics = _read(drawn).graphics
    rules = [b for kind, b in graphics if kind == "line" and b.width < 1]
    assert len(rules) == 1
    assert rules[0].x0 == pytest.approx(216, abs=0.5)
    assert (rules[0].top, rules[0].bottom) == pytest.approx((0.2 * 216, 0.8 * 216), abs=0.5)
    # the markers sit in a Form XObject placed three times: each lands where it is drawn
    markers = sorted((b for _, b in graphics if 4 <= b.width <= 8 and 4 <= b.height <= 8), key=lambda b: b.x0)
    assert [round((b.x0 + b.x1) / 2) for b in markers] == [72, 108, 144]
    assert all((b.top + b.bottom) / 2 == pytest.approx(216 - 36, abs=0.5) for b in markers)


def test_a_rotated_page_reads_as_it_is_shown(drawn: Path) -> None:
    content = _read(drawn, rotation=90)
    assert (content.width, content.height) == pytest.approx((H * 72, W * 72))
    chars = [c for c in content.chars if not c["text"].isspace()]
    # turned a quarter clockwise, the line of text runs down the page: no glyph is upright any more
    assert not any(c["upright"] for c in chars)
    first = chars[0]
    assert ((first["x0"] + first["x1"]) / 2, first["top"]) == pytest.approx((216 - 72 + 4, 36), abs=6)
    rule = next(b for kind, b in content.graphics if kind == "line")
    assert rule.height < 1 and rule.top == pytest.approx(216, abs=0.5)


def _word(text: str, x0: float, top: float, size: float = 9.0) -> dict:
    return {"text": text, "x0": x0, "x1": x0 + 5.0 * len(text), "top": top, "bottom": top + size, "size": size}


def test_a_caption_beside_body_text_stays_one_phrase() -> None:
    # left column body (10 pt, top 431.7); right column caption (9 pt, 4 pt lower): near enough in height
    # to share a page row, too far apart across the gutter to share a phrase
    body = [_word("A", 69, 431.7, 10), _word("man", 78, 431.7, 10), _word("frisbee.", 100, 431.7, 10)]
    caption = [_word("Figure", 309, 436.3), _word("4.", 342, 436.2), _word("Flickr-8k:", 355, 436.0),
               _word("NIC", 409, 436.3)]  # tops a tenth of a point apart, as two fonts' boxes are
    texts = sorted(p.text for p in _phrases(body + caption))
    assert texts == ["A man frisbee.", "Figure 4. Flickr-8k: NIC"]


def test_a_superscript_does_not_cut_its_line() -> None:
    line = [_word("set", 88, 406.05), _word("(except", 100, 406.05), _word("†", 137, 404.6, 6.0),
            _word("reported", 142, 406.05)]
    assert [p.text for p in _phrases(line)] == ["set (except † reported"]
