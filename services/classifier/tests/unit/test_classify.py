"""The shipped classifier on figures it never saw: freshly simulated drawings of every style and other
figures, and the command line around it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from dlp2c.classifier.classify import DEFAULT_MODEL, Classifier
from dlp2c.classifier.data import FigureError, dataset_items, open_figure
from dlp2c.cli.main import cli
from dlp2c.simulator.dataset import STYLES as SIM_STYLES
from dlp2c.simulator.dataset import Options, simulate


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fresh")
    simulate(str(root), Options(n=8, depths=(5, 12, 20), seed=424242, styles=SIM_STYLES, negatives=12), workers=1)
    return root


def test_the_shipped_model_and_its_card_are_there() -> None:
    assert DEFAULT_MODEL.is_file() and DEFAULT_MODEL.stat().st_size < 2_000_000
    card = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    assert card["metrics"]["validation"]["design_accuracy"] > 0.97
    assert (DEFAULT_MODEL.parent / "MODEL_CARD.md").is_file()


def test_fresh_simulated_figures_are_classified(classifier: Classifier, fresh: Path) -> None:
    items = dataset_items(fresh)
    predictions = classifier.classify([open_figure(i.path) for i in items])
    design_right = [p.design == i.design for p, i in zip(predictions, items, strict=True)]
    style_right = [p.style == i.style for p, i in zip(predictions, items, strict=True) if i.design]
    assert len(items) > 60
    assert np.mean(design_right) >= 0.95, [i.path for i, ok in zip(items, design_right, strict=True) if not ok]
    assert np.mean(style_right) >= 0.85
    assert all(p.style is None for p in predictions if not p.design)


def test_probabilities_are_the_same_batched_or_one_by_one(classifier: Classifier, fresh: Path) -> None:
    images = [open_figure(i.path) for i in dataset_items(fresh)[:5]]
    together = classifier.classify(images)
    alone = [classifier.classify([image])[0] for image in images]
    assert [p.design for p in together] == [p.design for p in alone]
    assert np.allclose([p.p_design for p in together], [p.p_design for p in alone], atol=1e-4)
    assert classifier.classify([]) == []


def test_a_figure_and_its_mirror_image_get_the_same_answer(classifier: Classifier, fresh: Path) -> None:
    from dlp2c.classifier.data import to_square

    squares = np.stack([to_square(open_figure(i.path)) for i in dataset_items(fresh)[:6]])
    p_design, p_style = classifier.probabilities(squares)
    mirrored = classifier.probabilities(np.ascontiguousarray(squares[:, :, ::-1]))
    assert np.allclose(p_design, mirrored[0], atol=1e-5) and np.allclose(p_style, mirrored[1], atol=1e-5)
    one_view = Classifier(mirror=False)
    as_drawn = one_view.probabilities(squares)
    flipped = one_view.probabilities(np.ascontiguousarray(squares[:, :, ::-1]))
    assert not np.allclose(as_drawn[0], flipped[0], atol=1e-5)  # one view alone does depend on the side
    assert np.allclose(p_design, (as_drawn[0] + flipped[0]) / 2, atol=1e-5)


def test_a_missing_model_names_the_make_target(tmp_path: Path) -> None:
    with pytest.raises(FigureError, match="make train-classifier"):
        Classifier(tmp_path / "none.keras")


def test_cli_classifies_and_reports_bad_files_without_stopping(fresh: Path, tmp_path: Path) -> None:
    good = sorted(fresh.glob("models/*/*/neurons.*"))[0]
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    result = CliRunner().invoke(cli, ["classify", str(good), str(bad), "--json"])
    assert result.exit_code == 2
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["image"] == str(good) and lines[0]["design"] is True and lines[0]["style"] == "neurons"
    assert lines[1]["image"] == str(bad) and lines[1]["error"]["code"] == "figure"
    table = CliRunner().invoke(cli, ["classify", str(good)])
    assert table.exit_code == 0 and "Neurons plot" in table.stdout


def test_training_writes_a_model_the_classifier_loads(fresh: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train-classifier", str(fresh), "-o", str(tmp_path / "m.keras"),
                                      "--epochs", "1", "--members", "2", "-j", "1"])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "m.json").read_text())
    assert card["epochs"] == 1 and card["data"]["others"] == 12
    assert card["members"] == 2 and [run["seed"] for run in card["runs"]] == [0, 1]
    assert "--members 2" in (tmp_path / "MODEL_CARD.md").read_text()
    figure = open_figure(next(i.path for i in dataset_items(fresh) if Path(i.path).stem == "keras"))
    assert len(Classifier(tmp_path / "m.keras").classify([figure])) == 1


def test_an_ensemble_answers_the_mean_of_its_members(tmp_path: Path) -> None:
    from dlp2c.classifier.network import build, embedder, ensemble

    members = [build(seed) for seed in (3, 4)]
    for k, member in enumerate(members):  # untrained heads answer alike; make the members differ
        member.get_layer("design").set_weights([w + 0.05 * (k + 1) for w in member.get_layer("design").get_weights()])
    x = np.random.default_rng(0).integers(0, 256, (4, 128, 128, 3)).astype(np.float32)
    each = [member(x, training=False) for member in members]
    model = ensemble(members)
    model.save(tmp_path / "e.keras")
    loaded = Classifier(tmp_path / "e.keras", mirror=False)
    design, style = loaded.probabilities(x.astype(np.uint8))
    assert not np.allclose(each[0]["design"], each[1]["design"])
    assert np.allclose(design, (np.asarray(each[0]["design"]) + np.asarray(each[1]["design"]))[:, 0] / 2, atol=1e-5)
    assert np.allclose(style, (np.asarray(each[0]["style"]) + np.asarray(each[1]["style"])) / 2, atol=1e-5)
    assert embedder(loaded.model)(x).shape == (4, 256)  # the members' embeddings side by side
