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
