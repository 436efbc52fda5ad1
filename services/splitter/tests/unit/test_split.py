"""The splitter on the paper the project writes itself: every figure, caption, cell and layer is known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dlp2c.splitter import sample
from dlp2c.splitter.split import MANIFEST, Split, split
from PIL import Image


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample.write_sample(tmp_path_factory.mktemp("paper") / "tinynet.pdf")


def test_metadata(sample_pdf: Path) -> None:
    result = split(sample_pdf)
    assert result.meta.title == sample.TITLE
    assert result.meta.authors == ["Ada Lovelace", "Alan Turing"]
    assert result.meta.pages == 2
    assert result.errors == []


def test_figure_round_trips(sample_pdf: Path, tmp_path: Path) -> None:
    result = split(sample_pdf, tmp_path)
    assert [f.label for f in result.figures] == ["Figure 1"]
    figure = result.figures[0]
    assert figure.caption == sample.FIGURE_CAPTION
    assert figure.page == 1 and figure.kind == "vector"
    assert [w["text"] for w in figure.words] == sample.FIGURE_LAYERS
    # The drawing is the column of boxes, centred on the page, and nothing of the body text.
    left = (sample.WIDTH - sample.BOX_W) / 2 * 72
    assert figure.box.x0 == pytest.approx(left, abs=2)
    assert figure.box.x1 == pytest.approx(left + sample.BOX_W * 72, abs=2)
    assert figure.box.height == pytest.approx(sample.FIGURE_HEIGHT * 72, abs=3)
    crop = Image.open(tmp_path / figure.image)
    assert crop.width == pytest.approx((figure.box.width + 6) * 200 / 72, abs=3)


def test_table_round_trips(sample_pdf: Path, tmp_path: Path) -> None:
    result = split(sample_pdf, tmp_path)
    assert [t.label for t in result.tables] == ["Table 1"]
    table = result.tables[0]
    assert table.caption == sample.TABLE_CAPTION and table.page == 2
    assert table.grid() == sample.TABLE
    csv_rows = (tmp_path / "tables" / "table-1.csv").read_text().splitlines()
    assert csv_rows[1] == ",".join(sample.TABLE[1])
    cells = json.loads((tmp_path / "tables" / "table-1.json").read_text())["cells"]
    assert all(len(c["box"]) == 4 for c in cells) and len(cells) == 3 * len(sample.TABLE)


def test_manifest_reloads(sample_pdf: Path, tmp_path: Path) -> None:
    result = split(sample_pdf, tmp_path)
    again = Split.from_json(json.loads((tmp_path / MANIFEST).read_text()))
    assert again.to_json() | {"seconds": 0} == result.to_json() | {"seconds": 0}
