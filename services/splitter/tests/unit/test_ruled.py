"""Ruled tables through camelot's lattice: a PDF the test writes, with rules, merged cells and bracketed
blocks, read back into the grid and then into the networks it lists."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from dlp2c.common.document import Box
from dlp2c.common.inference import infer
from dlp2c.splitter.layout import on_baseline
from dlp2c.splitter.ruled import _Word, cell_text, vertical_rules
from dlp2c.splitter.sample import HEIGHT, LEFT, WIDTH, _paragraph, _x, _y
from dlp2c.splitter.split import split
from dlp2c.tables.read import read_table
from matplotlib.backends.backend_pdf import PdfPages

COLUMNS = [0.0, 1.1, 2.1, 3.5, 4.9]  # inches right of LEFT + 0.3: the vertical rules
ROW = 0.2  # inches per text line
# (layer name, output size, config A, config B); a string for A alone spans A and B; lists are lines
ROWS: list[tuple[str, str, object, object]] = [
    ("layer name", "output size", "tiny-A", "tiny-B"),
    ("conv1", "16\u00d716", "3\u00d73, 16, stride 2", None),
    ("stage1", "16\u00d716", (["3\u00d73, 16", "3\u00d73, 16"], 2), (["3\u00d73, 16", "3\u00d73, 16"], 3)),
    ("stage2", "8\u00d78", (["3\u00d73, 32", "3\u00d73, 32"], 1), (["3\u00d73, 32", "3\u00d73, 32"], 1)),
    ("", "1\u00d71", "average pool, 10-d fc, softmax", None),
]


def _rule(fig: plt.Figure, xs: list[float], ys: list[float]) -> None:
    fig.lines.append(plt.Line2D([_x(x) for x in xs], [_y(y) for y in ys], transform=fig.transFigure,
                                color="black", linewidth=0.6))


def _ruled_paper(path: Path) -> Path:
    left = LEFT + 0.3
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path) as pdf:
        fig = plt.figure(figsize=(WIDTH, HEIGHT))
        top = _paragraph(fig, 1.0)
        fig.text(_x(LEFT), _y(top + 0.4), "Table 1: Tiny residual networks. Blocks are shown in brackets.",
                 fontsize=10, va="top", family="DejaVu Serif")
        y = top + 0.8
        heights = [3 if isinstance(r[2], tuple) else 1 for r in ROWS]
        _rule(fig, [left + COLUMNS[0], left + COLUMNS[-1]], [y, y])
        for row, lines in zip(ROWS, heights, strict=True):
            bottom = y + lines * ROW + 0.1
            middle = (y + bottom) / 2
            for k, text in enumerate(row[:2]):
                fig.text(_x(left + COLUMNS[k] + 0.08), _y(middle), text, fontsize=8, va="center", family="DejaVu Serif")
            spans = row[3] is None
            for k, cell in ((2, row[2]), (3, row[3])):
                if cell is None:
                    continue
                x = left + COLUMNS[k] + 0.1
                if isinstance(cell, tuple):
                    block, times = cell
                    for j, text in enumerate(block):
                        fig.text(_x(x), _y(y + 0.1 + (j + 0.5) * 1.4 * ROW), text, fontsize=8, va="center",
                                 family="DejaVu Serif")
                    fig.text(_x(x + 0.85), _y(middle), f"\u00d7{times}", fontsize=8, va="center", family="DejaVu Serif")
                else:
                    fig.text(_x(x), _y(middle), cell, fontsize=8, va="center", family="DejaVu Serif")
            for k, column in enumerate(COLUMNS):
                if not (spans and k == 3):
                    _rule(fig, [left + column, left + column], [y, bottom])
            y = bottom
            _rule(fig, [left + COLUMNS[0], left + COLUMNS[-1]], [y, y])
        _paragraph(fig, y + 0.5)
        pdf.savefig(fig)
        plt.close(fig)
    return path


@pytest.fixture(scope="module")
def ruled_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _ruled_paper(tmp_path_factory.mktemp("ruled") / "ruled.pdf")


def test_lattice_grid_with_merged_cells_and_blocks(ruled_pdf: Path) -> None:
    tables = split(ruled_pdf).tables
    assert len(tables) == 1
    table = tables[0]
    assert table.engine == "lattice"
    grid = table.grid()
    assert grid[0] == ["layer name", "output size", "tiny-A", "tiny-B"]
    assert grid[1][2] == grid[1][3] == "3\u00d73, 16, stride 2"  # one cell under both configurations
    assert grid[2][2] == "[3\u00d73, 16; 3\u00d73, 16] \u00d72"
    assert grid[2][3] == "[3\u00d73, 16; 3\u00d73, 16] \u00d73"
    assert grid[4][2] == grid[4][3] == "average pool, 10-d fc, softmax"


def test_lattice_table_reads_into_residual_networks(ruled_pdf: Path) -> None:
    designs = {d.name: d for d in read_table(split(ruled_pdf).tables[0])}
    assert set(designs) == {"Table 1 tiny-A", "Table 1 tiny-B"}
    a, b = designs["Table 1 tiny-A"], designs["Table 1 tiny-B"]
    assert not a.error and not b.error
    # conv1 448; stage1 2 or 3 blocks of two 3x3x16x16 convs (2,320 each); stage2 two convs (4,640 + 9,248),
    # its 1x1 projection (544) where 16x16x16 becomes 8x8x32; dense 330
    assert infer(a.graph).total_params == 448 + 4 * 2320 + 4640 + 9248 + 544 + 330
    assert infer(b.graph).total_params == 448 + 6 * 2320 + 4640 + 9248 + 544 + 330
    ops = Counter(n.op for n in a.graph.nodes)
    assert ops["Add"] == 3 and ops["Conv2D"] == 1 + 4 + 2 + 1 and ops["GlobalAveragePooling2D"] == 1
    assert tuple(infer(a.graph).output("input").shape) == (32, 32, 3)  # from conv1's size and stride
    strided = [n for n in a.graph.nodes if n.op == "Conv2D" and n.params.get("strides") == 2]
    assert len(strided) == 3  # conv1, stage2's first conv and its projection


def _w(text: str, x0: float, top: float, size: float = 6.5) -> _Word:
    return _Word(text, Box(x0, top, x0 + 4 * len(text), top + size), size)


def test_cell_text_blocks() -> None:
    # ResNet's basic block: bracket pieces, two lines, the multiplier between them on the right
    words = [_w("(cid:20)", 0, 0), _w("3\u00d73,", 6, 2), _w("64", 30, 2), _w("\u00d72", 60, 6),
             _w("3\u00d73,", 6, 10), _w("64", 30, 10)]
    assert cell_text(words) == "[3\u00d73, 64; 3\u00d73, 64] \u00d72"
    # the bottleneck: the multiplier close after the middle line, glued to a bracket piece
    words = [_w("1\u00d71,", 6, 0), _w("64", 30, 0), _w("3\u00d73,", 6, 8), _w("64", 30, 8),
             _w("\uf8fb\u00d73", 40, 8), _w("1\u00d71,", 6, 16), _w("256", 30, 16)]
    assert cell_text(words) == "[1\u00d71, 64; 3\u00d73, 64; 1\u00d71, 256] \u00d73"
    assert cell_text([_w("conv1", 0, 0)]) == "conv1"
    assert cell_text([_w("conv1", 0, 0), _w("conv2", 0, 10)]) == "conv1\nconv2"
    assert cell_text([_w("7\u00d77,", 0, 0), _w("64,", 30, 0), _w("stride", 45, 0), _w("2", 72, 0)]) == \
        "7\u00d77, 64, stride 2"


def test_vertical_rules_from_segments() -> None:
    box = Box(100, 100, 300, 200)
    segments = [("line", Box(x, 100 + 10 * k, x, 110 + 10 * k)) for x in (100, 150, 300) for k in range(10)]
    assert vertical_rules(segments, box) == 3
    assert vertical_rules([("line", Box(100, 100, 300, 100)), ("line", Box(150, 100, 150, 110))], box) == 0


def test_math_glyphs_go_on_their_baseline() -> None:
    # a symbol font's `x` reports a box 0.95 sizes below its baseline; the text around it 0.2
    def char(text: str, x: float, top: float, baseline: float = 108.5) -> dict:
        return {"text": text, "x0": x, "top": top, "bottom": top + 6.5, "doctop": top, "size": 6.5,
                "upright": True, "baseline": baseline}

    text = [char(t, 100 + 3 * k, 103.4) for k, t in enumerate("3, 64")]
    times = char("\u00d7", 98, 108.2)
    *kept, moved = on_baseline([*text, times])
    assert all(a is b for a, b in zip(kept, text, strict=True))
    assert abs(moved["bottom"] - text[0]["bottom"]) < 0.1 and abs(moved["top"] - text[0]["top"]) < 0.1
    # every box offset alike from its baseline (another origin): nothing moves
    shifted = [{**c, "baseline": c["baseline"] - 40} for c in text]
    assert on_baseline(shifted) == shifted
