"""``dlp2c classify`` (is each figure a network design, in which style) and ``dlp2c train-classifier``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from dlp2c.cli.figures import _fail, err, out
from rich.table import Table


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per image on stdout.")
@click.option("--model", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A model file from `dlp2c train-classifier`  [default: the shipped one]")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="P(design) above which a figure counts as a design.")
def classify(images: tuple[Path, ...], as_json: bool, model: Path | None, threshold: float) -> None:
    """Say, for each figure, whether it shows a network design and, if so, in which of the paper's
    five styles: neurons plot, 2D box, stacked 2D box, 3D box or pipeline.

    A file that cannot be read is reported on its own line (exit status 2 at the end); the others are
    still classified.

    \b
    Examples:
      dlp2c classify fig1.png fig2.jpg
      dlp2c classify figures/*.png --json > labels.jsonl
    """
    from dlp2c.classifier.classify import DEFAULT_MODEL, Classifier
    from dlp2c.classifier.data import STYLE_TITLES, open_figure
    from dlp2c.common.errors import Dlp2cError

    try:
        classifier = Classifier(model or DEFAULT_MODEL, threshold=threshold)
    except Dlp2cError as exc:
        _fail(exc)
    figures, failed = [], []
    for path in images:
        try:
            figures.append((path, open_figure(path)))
        except Dlp2cError as exc:
            failed.append((path, exc))
    predictions = classifier.classify([image for _, image in figures])
    if as_json:
        for (path, _), prediction in zip(figures, predictions, strict=True):
            sys.stdout.write(json.dumps({"image": str(path), **prediction.to_json()}) + "\n")
        for path, exc in failed:
            sys.stdout.write(json.dumps({"image": str(path), "error": exc.to_dict()}) + "\n")
    else:
        table = Table("figure", "design", "P(design)", "style", "P(style)", box=None)
        for (path, _), p in zip(figures, predictions, strict=True):
            table.add_row(str(path), "yes" if p.design else "no", f"{p.p_design:.3f}",
                          STYLE_TITLES[p.style] if p.style else "-", f"{p.p_style:.3f}" if p.style else "-")
        out.print(table)
        for _, exc in failed:  # the error names the file
            err.print(f"[bold red]error[/] [dim]({exc.code})[/] {exc}", highlight=False, soft_wrap=True)
    if failed:
        sys.exit(2)


@click.command("train-classifier")
@click.argument("dataset", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the model (.keras); its card goes beside it.")
@click.option("--epochs", type=click.IntRange(1), default=14, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--members", type=click.IntRange(1), default=1, show_default=True,
              help="Networks to train (seeds SEED, SEED+1, ...) and ship as one, their answers averaged.")
@click.option("-j", "--workers", type=click.IntRange(1), default=2, show_default=True,
              help="Processes that decode images.")
def train_classifier(dataset: Path, output: Path, epochs: int, seed: int, members: int, workers: int) -> None:
    """Train the figure classifier on a simulated dataset (`dlp2c simulate --styles all --negatives N`).

    \b
    Example (what `make train-classifier` runs):
      dlp2c simulate -n 1200 --styles all --negatives 2400 --seed 7001 -o data/classifier
      dlp2c train-classifier data/classifier -o model/figure-classifier.keras
    """
    from dlp2c.classifier.train import train, write_card
    from dlp2c.common.errors import Dlp2cError

    try:
        train(dataset, output, epochs=epochs, seed=seed, workers=workers, members=members, log=err.print)
    except Dlp2cError as exc:
        _fail(exc)
    card = write_card(output, f"dlp2c train-classifier {dataset} -o {output} --epochs {epochs} --seed {seed}"
                              + (f" --members {members}" if members > 1 else ""))
    err.print(f"model: {output}; card: {card}")
