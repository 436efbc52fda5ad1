"""Tesseract reads the text of drawn nodes: light on dark bands, dark on colour, fields kept apart."""

from __future__ import annotations

import numpy as np
import pytest
from dlp2c.ocr import read
from dlp2c.ocr.read import OcrError, Reader
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.fixture(scope="module")
def reader() -> Reader:
    with Reader() as r:
        yield r


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def _figure() -> tuple[np.ndarray, dict[str, tuple[int, int, int, int]]]:
    """A Keras 3 node (black header, white text; two shape cells), a Caffe layer (red, three lines),
    a Caffe blob (grey octagon) and an empty box."""
    image = Image.new("RGB", (900, 520), "white")
    draw = ImageDraw.Draw(image)
    boxes = {}
    # Keras 3: a black table whose header holds white text and whose cells are white
    draw.rectangle((20, 20, 620, 130), fill="black")
    draw.text((170, 32), "conv2d_1 (Conv2D)", fill="white", font=_font(22))
    draw.rectangle((24, 76, 318, 126), fill="white")
    draw.rectangle((322, 76, 616, 126), fill="white")
    draw.text((32, 90), "Input shape: (None, 28, 28, 1)", fill="black", font=_font(16))
    draw.text((330, 90), "Output shape: (None, 26, 26, 8)", fill="black", font=_font(16))
    boxes["keras"] = (20, 20, 621, 131)
    # Caffe layer: a red record with three lines
    draw.rectangle((20, 180, 280, 330), fill="#FF5050", outline="black", width=2)
    for i, line in enumerate(("conv2", "(Convolution)", "kernel size: 5")):
        draw.text((50, 195 + 42 * i), line, fill="black", font=_font(24))
    boxes["caffe"] = (20, 180, 281, 331)
    # Caffe blob: a grey octagon with a name
    draw.polygon([(360, 200), (560, 200), (600, 240), (560, 280), (360, 280), (320, 240)], fill="#E0E0E0",
                 outline="black")
    draw.text((400, 226), "conv_out", fill="black", font=_font(24))
    boxes["blob"] = (320, 200, 601, 281)
    draw.rectangle((20, 400, 300, 480), outline="black", width=2)
    boxes["empty"] = (20, 400, 301, 481)
    return np.array(image), boxes


def test_nodes_are_read_whatever_their_ground(reader: Reader) -> None:
    image, boxes = _figure()
    texts = reader.read(image, boxes)
    assert texts["keras"].text.splitlines()[0] == "conv2d_1 (Conv2D)"
    assert "Output shape: (None, 26, 26, 8)" in texts["keras"].text
    assert texts["caffe"].text.split("\n") == ["conv2", "(Convolution)", "kernel size: 5"]
    assert texts["blob"].text == "conv_out"
    assert texts["empty"].text == "" and texts["empty"].confidence == 0.0
    assert texts["caffe"].confidence > 0.5


def test_a_tables_cells_are_separate_fields_in_reading_order(reader: Reader) -> None:
    image, boxes = _figure()
    fields = reader.read(image, {"keras": boxes["keras"]})["keras"].fields
    assert len(fields) >= 2
    assert [f.box[1] for f in fields] == sorted(f.box[1] for f in fields)
    assert any(f.text.startswith("Input shape") for f in fields)
    assert all(f.box[0] >= 20 and f.box[2] <= 621 for f in fields)  # boxes in the figure's pixels


def test_small_print_is_enlarged_before_reading(reader: Reader) -> None:
    image = Image.new("L", (200, 40), 255)
    ImageDraw.Draw(image).rectangle((0, 0, 199, 39), outline=0)
    ImageDraw.Draw(image).text((10, 12), "dropout_3 (Dropout)", fill=0, font=_font(11))  # letters ~8 px
    text = reader.read(np.array(image), {"n": (0, 0, 200, 40)})["n"].text
    assert text == "dropout_3 (Dropout)"


def test_a_descender_touching_the_line_below_is_still_text(reader: Reader) -> None:
    # Caffe's tight Courier lines: the "y" of "layer" touches the ")" under it, one tall glyph
    image = Image.new("L", (140, 50), 255)
    ImageDraw.Draw(image).rectangle((0, 0, 139, 49), outline=0)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 13)
    ImageDraw.Draw(image).multiline_text((14, 8), "input_layer\n  (Input)", fill=0, font=font, spacing=0)
    text = reader.read(np.array(image), {"n": (0, 0, 140, 50)})["n"].text
    assert text.splitlines()[0] == "input_layer" and "(Input" in text


def test_many_nodes_share_pages(reader: Reader, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read, "PAGE_HEIGHT", 200)  # forces several Tesseract calls
    image, boxes = _figure()
    texts = reader.read(image, boxes)
    assert texts["blob"].text == "conv_out"
    assert "(Convolution)" in texts["caffe"].text


def test_bad_inputs_get_clear_errors(reader: Reader, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    with pytest.raises(OcrError, match="8-bit"):
        reader.read(np.zeros((10, 10), np.float32), {})
    assert reader.read(np.zeros((10, 10), np.uint8), {"tiny": (0, 0, 3, 3), "outside": (50, 50, 90, 90)}) == {
        "tiny": read.NodeText(), "outside": read.NodeText()}
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    monkeypatch.setattr(read, "TESSDATA_CANDIDATES", ())
    with pytest.raises(OcrError, match=r"eng\.traineddata") as caught:
        read.tessdata_path()
    assert "apt-get install tesseract-ocr" in str(caught.value)


def test_caffe_blobs_are_not_read_and_its_layers_are(reader: Reader) -> None:
    from dlp2c.common.figure import FigureGraph, FigureNode
    from dlp2c.ocr.figure import read_figure

    image, boxes = _figure()
    skeleton = FigureGraph(image.shape[1], image.shape[0], "other",
                           [FigureNode("layer", "unknown", boxes["caffe"], shape="box"),
                            FigureNode("blob", "unknown", boxes["blob"], shape="octagon")])
    graph = read_figure(image, skeleton, reader, "caffe")
    layer, blob = graph.node("layer"), graph.node("blob")
    assert (layer.kind, layer.type, layer.params) == ("layer", "Convolution", {"kernel_size": 5})
    assert (blob.kind, blob.text) == ("blob", "")
    # read as Keras, the same octagon is read
    assert read_figure(image, skeleton, reader, "keras").node("blob").text == "conv_out"


def test_text_lighter_than_the_outline_is_still_ink(reader: Reader) -> None:
    # grey letters on a grey fill inside a black outline: the outline, not the letters, is the darkest
    image = Image.new("RGB", (520, 70), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((5, 5, 500, 60), fill=(170, 170, 170), outline="black", width=3)
    draw.text((20, 22), "conv2d_1 (Convolution) stride: 2", fill=(105, 105, 105), font=_font(20))
    assert reader.read(np.array(image), {"n": (5, 5, 501, 61)})["n"].text == "conv2d_1 (Convolution) stride: 2"


def test_a_rule_across_the_node_is_not_a_dark_band() -> None:
    crop = np.full((160, 1000), 255, np.uint8)
    crop[118:121] = 0  # three rows, dark at both ends (a cell's rule meeting a letter's stroke)
    assert not read._dark_rows(crop).any()
    crop[20:60] = 0  # a header band a line of text tall
    band = read._dark_rows(crop)
    assert band[25:55].all() and not band[70:].any()


def test_a_long_label_in_a_dark_band_leaves_the_band_whole() -> None:
    # Keras 3 without shapes, enlarged: one black box whose light label ends close to its right
    # side; the end of the label is not the end of the band
    crop = np.full((144, 1124), 20, np.uint8)
    crop[40:100:6, 98:1090] = 230  # the label's strokes
    crop[64:82, 1040:1090] = 230  # "D)" at the end of the label
    assert read._dark_rows(crop).all()


def test_a_page_of_specks_reads_as_nothing(reader: Reader) -> None:
    # Tesseract can find a line among specks and then return no text for it (tesserocr raises)
    rng = np.random.default_rng(0)
    page = np.full((120, 900), 255, np.uint8)
    count = rng.integers(3, 30)
    for x, y in zip(rng.integers(20, 880, count), rng.integers(20, 100, count), strict=True):
        page[y:y + rng.integers(1, 6), x:x + rng.integers(1, 8)] = 0
    assert all(text for text, _, _ in reader._lines(page))


@pytest.mark.parametrize("spacing", [0, -1])
def test_lines_run_together_are_pulled_apart(reader: Reader, spacing: int) -> None:
    # Caffe's Courier at low resolution: the underscores and the "g" touch the bracket below
    image = Image.new("L", (170, 50), 255)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 13)
    ImageDraw.Draw(image).rectangle((0, 0, 169, 49), outline=0)
    ImageDraw.Draw(image).multiline_text((10, 8), "max_pooling2d_pad\n      (Pad)", fill=0, font=font,
                                         spacing=spacing)
    assert reader.read(np.array(image), {"n": (0, 0, 170, 50)})["n"].text == "max_pooling2d_pad\n(Pad)"
