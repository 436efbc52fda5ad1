"""Figures as the network sees them, and the simulated dataset as labelled items."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from dlp2c.classifier.data import (
    SIZE,
    STYLES,
    FigureError,
    dataset_items,
    open_figure,
    perturb,
    split,
    to_square,
)
from dlp2c.simulator.dataset import Options, simulate
from PIL import Image, ImageDraw


def test_a_tall_figure_is_letterboxed_with_its_own_background() -> None:
    image = Image.new("RGB", (100, 400), (250, 250, 240))
    ImageDraw.Draw(image).rectangle([40, 0, 60, 399], fill="black")
    square = to_square(image)
    assert square.shape == (SIZE, SIZE, 3) and square.dtype == np.uint8
    assert tuple(square[SIZE // 2, 2]) == (250, 250, 240)  # padding on the sides, in the figure's colour
    assert square[:, SIZE // 2].max() < 20  # the bar runs top to bottom, centred


def test_the_margin_around_a_drawing_does_not_change_how_it_is_seen() -> None:
    def figure(canvas: int) -> Image.Image:  # the same 200x100 drawing on a roomy or a tight canvas
        image = Image.new("RGB", (canvas, canvas), "white")
        x, y = (canvas - 200) // 2, (canvas - 100) // 2
        ImageDraw.Draw(image).rectangle([x, y, x + 199, y + 99], fill=(200, 60, 40), outline="black", width=4)
        return image

    roomy, tight = to_square(figure(1000)).astype(int), to_square(figure(220)).astype(int)
    assert abs(roomy - tight).mean() < 8  # resampling differs a little; with the margin kept: 33
    # the drawing spans the square's width, less a thin margin, instead of a fifth of it
    red = (abs(roomy - np.array([200, 60, 40])).max(axis=2) < 40)[SIZE // 2]
    assert red.sum() > 0.8 * SIZE
    blank = Image.new("RGB", (300, 200), (240, 240, 230))
    assert (to_square(blank) == (240, 240, 230)).all()  # nothing drawn: nothing to cut to


def test_a_long_thin_figure_is_stretched_across_to_a_third_of_the_square() -> None:
    image = Image.new("RGB", (1400, 100), "white")  # a 14:1 row of eight blocks
    draw = ImageDraw.Draw(image)
    for k in range(8):
        draw.rectangle([20 + 170 * k, 20, 150 + 170 * k, 80], fill="black")
    ink = to_square(image)[:, :, 0] < 128
    rows = np.flatnonzero(ink.any(axis=1))
    assert rows[-1] - rows[0] + 1 >= SIZE // 5  # 60% of a 3:1 strip; kept at 14:1 they would be 5 pixels tall
    assert ink.any(axis=0).sum() > 0.7 * SIZE  # and still span the square's width
    square = Image.new("RGB", (300, 300), "white")  # a figure within 3:1 keeps its proportions
    ImageDraw.Draw(square).rectangle([0, 100, 299, 199], fill="black")
    rows = np.flatnonzero((to_square(square)[:, :, 0] < 128).any(axis=1))
    assert abs((rows[-1] - rows[0] + 1) - SIZE / 3) <= 3


def test_a_hairline_in_a_large_figure_stays_visible() -> None:
    # one-pixel lines across a 2048-pixel figure: averaged down 16x to 128 they would be 94% paper
    for paper, ink in (((255, 255, 255), (0, 0, 0)), ((10, 10, 30), (255, 255, 255))):
        image = Image.new("RGB", (2048, 2048), paper)
        draw = ImageDraw.Draw(image)
        draw.line([(1000, 0), (1000, 2047)], fill=ink)
        draw.line([(0, 501), (2047, 501)], fill=ink)
        square = to_square(image).astype(int)
        column, row = square[:, 1000 * SIZE // 2048], square[501 * SIZE // 2048]
        far = abs(square[5, 5] - np.array(paper)).max()
        assert far == 0  # the paper stays paper
        # the lines stand out from the paper by at least a third of the contrast
        assert abs(column - np.array(paper)).max(axis=1).min() > 255 // 3
        assert abs(row - np.array(paper)).max(axis=1).min() > 255 // 3


def test_transparent_png_is_drawn_on_white(tmp_path: Path) -> None:
    path = tmp_path / "clear.png"
    Image.new("RGBA", (50, 20), (0, 0, 0, 0)).save(path)
    assert np.asarray(open_figure(path)).min() == 255


def test_what_is_not_an_image_says_so(tmp_path: Path) -> None:
    bad = tmp_path / "paper.pdf"
    bad.write_bytes(b"%PDF-1.4 not an image")
    with pytest.raises(FigureError, match="not an image"):
        open_figure(bad)
    with pytest.raises(FigureError, match="no such file"):
        open_figure(tmp_path / "missing.png")


def test_perturbation_is_seeded() -> None:
    image = Image.effect_noise((60, 40), 50).convert("RGB")
    one = perturb(image, random.Random(3), design=True)
    two = perturb(image, random.Random(3), design=True)
    assert np.array_equal(np.asarray(one), np.asarray(two))


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sim")
    simulate(str(root), Options(n=4, depths=(6,), seed=5, styles=("keras", "neurons", "boxes3d", "boxes2d"),
                                negatives=3), workers=1)
    return root


def test_simulated_drawings_are_labelled_with_the_papers_classes(simulated: Path) -> None:
    items = dataset_items(simulated)
    designs = [i for i in items if i.design]
    assert len(designs) == 4 * 4 and len(items) - len(designs) == 3
    by_file = {Path(i.path).stem: i.style for i in designs}
    assert by_file == {"keras": "box2d", "neurons": "neurons", "boxes3d": "box3d", "boxes2d": "box2d"}
    assert all(i.style is None for i in items if not i.design)
    assert {i.style for i in designs} <= set(STYLES)


def test_items_say_how_they_were_drawn(simulated: Path) -> None:
    from dlp2c.simulator.looks import looks_of

    items = dataset_items(simulated)
    by_file = {Path(i.path).stem: i.look for i in items if i.design}
    assert by_file["keras"] == "keras"  # Keras renderings are one look, whatever their variation
    assert by_file["boxes2d"] in {look.__name__ for look in looks_of("boxes2d")}
    assert all(i.look == Path(i.path).stem for i in items if not i.design)  # lineplot, table, ...


def test_split_keeps_a_models_drawings_together(simulated: Path) -> None:
    items = dataset_items(simulated)
    train, held = split(items, 0.5, seed=1)
    assert len(train) + len(held) == len(items) and train and held
    assert not {i.group for i in train} & {i.group for i in held}


def test_an_empty_folder_is_refused_with_the_command_that_fills_it(tmp_path: Path) -> None:
    with pytest.raises(FigureError, match="dlp2c simulate"):
        dataset_items(tmp_path)
