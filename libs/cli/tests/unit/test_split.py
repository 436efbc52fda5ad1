"""`dlp2c split`: a paper in; figures, tables and the graphs its design tables describe out."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from dlp2c.cli.main import cli
from dlp2c.common.graph import Graph
from dlp2c.common.inference import infer
from dlp2c.splitter import sample


def _split(pdf: Path, out: Path) -> dict:
    result = CliRunner().invoke(cli, ["split", str(pdf), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "manifest.json").read_text())


def _graph(out: Path, record: dict) -> Graph:
    return Graph.from_json(json.loads((out / record["graph"]).read_text()))


def test_sample_paper_to_a_valid_graph(tmp_path: Path) -> None:
    pdf = sample.write_sample(tmp_path / "tinynet.pdf")
    manifest = _split(pdf, tmp_path / "out")
    [table] = manifest["tables"]
    assert table["kind"]["design"] and table["kind"]["major"] == "row"
    [design] = table["designs"]
    graph = _graph(tmp_path / "out", design)
    assert [n.op for n in graph.nodes] == sample.FIGURE_LAYERS
    info = infer(graph)
    assert info.total_params == (3 * 9 * 16 + 16) + (16 * 9 * 32 + 32) + (8 * 8 * 32 * 10 + 10)
    assert (tmp_path / "out" / manifest["figures"][0]["image"]).is_file()


def test_bad_pdf_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_text("hello")
    result = CliRunner().invoke(cli, ["split", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "not a PDF" in result.output and "not_pdf" in result.output


@pytest.mark.realdata
def test_vgg_table_gives_six_configurations(realdata: Path, tmp_path: Path) -> None:
    manifest = _split(realdata / "papers" / "1409.1556.pdf", tmp_path)
    table = next(t for t in manifest["tables"] if t["label"] == "Table 1")
    names = [d["name"] for d in table["designs"]]
    assert names == [f"Table 1 {c}" for c in ("A", "A-LRN", "B", "C", "D", "E")]
    d = _graph(tmp_path, table["designs"][4])
    ops = Counter(n.op for n in d.nodes)
    assert ops["Conv2D"] == 13 and ops["Dense"] == 3
    widths = [n.params["filters"] for n in d.nodes if n.op == "Conv2D"]
    assert widths == [64] * 2 + [128] * 2 + [256] * 3 + [512] * 6
    assert [n.params["units"] for n in d.nodes if n.op == "Dense"] == [4096, 4096, 1000]
    assert infer(d).total_params == 138_357_544  # VGG-16
    assert not any(t["kind"]["design"] for t in manifest["tables"] if t["label"] != "Table 1")


@pytest.mark.realdata
def test_mobilenet_body_table(realdata: Path, tmp_path: Path) -> None:
    pdf = realdata / "papers" / "MobileNets Efficient Convolutional Neural Networks for Mobile Vision Applications.pdf"
    manifest = _split(pdf, tmp_path)
    table = next(t for t in manifest["tables"] if t["label"] == "Table 1")
    [design] = table["designs"]
    graph = _graph(tmp_path, design)
    ops = Counter(n.op for n in graph.nodes)
    assert ops["Conv2D"] == 14 and ops["DepthwiseConv2D"] == 13 and ops["Dense"] == 1
    assert infer(graph).outputs()[0].output.shape == (1000,)
    # The table's last "Conv dw / s2" contradicts its own sizes (7x7 in, 7x7 out): flagged, not followed.
    assert any("stride 2 disagrees" in note for note in design["notes"])
