"""``dlp2c simulate``: the ground-truth dataset of design figures (the paper's 216,000-image set)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

err = Console(stderr=True)


def _depths(text: str) -> tuple[int, ...]:
    lo, _, hi = text.partition(":")
    try:
        first, last = int(lo), int(hi or lo)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not DEPTH or MIN:MAX, e.g. 5:40") from None
    if first < 2 or last < first:
        raise click.BadParameter(f"{text!r}: depths run from 2 up, MIN <= MAX")
    return tuple(range(first, last + 1))


def _styles(text: str) -> tuple[str, ...]:
    from dlp2c.simulator.dataset import STYLES

    chosen = STYLES if text == "all" else tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in chosen if s not in STYLES]
    if unknown:
        raise click.BadParameter(f"unknown style {', '.join(unknown)}; choose from {', '.join(STYLES)} or all")
    return chosen


@click.command()
@click.option("-n", "count", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Models to generate (the paper: 108,000 = 3,000 per depth 5-40).")
@click.option("--depth", "depth_text", default="5:40", show_default=True,
              help="Layers between the Input and the final Dense: DEPTH or MIN:MAX (each depth equally often).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same dataset.")
@click.option("--styles", "style_text", default="keras,caffe", show_default=True,
              help="Comma-separated: keras, caffe, neurons, stacked2d, boxes3d, pipeline, or all.")
@click.option("--negatives", type=click.IntRange(min=0), default=0, show_default=True,
              help="Figures that are not designs (plots, charts, tables, equations, flowcharts).")
@click.option("-o", "--output", required=True,
              help="A folder, file:///path, or s3://bucket/prefix (then DLP2C_S3_* settings apply).")
@click.option("-j", "--workers", type=click.IntRange(min=1), default=None,
              help="Processes in parallel  [default: one per core]")
def simulate(count: int, depth_text: str, seed: int, style_text: str, negatives: int, output: str,
             workers: int | None) -> None:
    """Generate random valid models from the paper's grammar and draw them.

    Per model: graph.json (ground truth), keras.json, deploy.prototxt, and one image per style, in
    shards of 1,000. Interrupt it and run the same command again: finished models are kept.

    \b
    Examples:
      dlp2c simulate -n 1000 -o data/sim
      dlp2c simulate -n 108000 --depth 5:40 -o s3://dlp2c/sim      # the paper's 216,000 images
      dlp2c simulate -n 500 --styles all --negatives 500 -o data/classifier
    """
    from dlp2c.common.errors import Dlp2cError
    from dlp2c.common.storage import open_storage
    from dlp2c.simulator.card import write_card
    from dlp2c.simulator.dataset import Options, read_metas
    from dlp2c.simulator.dataset import simulate as run_simulation

    options = Options(count, _depths(depth_text), seed, _styles(style_text), negatives)
    workers = workers or os.cpu_count() or 1
    failed = 0
    try:
        with Progress(TextColumn("[bold]simulating[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[note]}"),
                      console=err, transient=False) as bar:
            task = bar.add_task("models", total=None, note="")

            def progress(done: int, total: int, meta: dict[str, Any] | None) -> None:
                nonlocal failed
                if meta is None:
                    bar.update(task, total=total, note=f"starting {workers} worker(s)")
                    return
                failed += "error" in meta
                bar.update(task, completed=done, note=f"[red]{failed} failed[/]" if failed else "")

            run = run_simulation(output, options, workers, progress)
        storage = open_storage(output)
        card = write_card(storage, read_metas(storage), options)
    except Dlp2cError as exc:
        err.print(f"[bold red]error[/] [dim]({exc.code})[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    err.print(f"{len(run.metas):,} made, {run.skipped:,} already there, {run.seconds:.1f} s; "
              f"{card['models']:,} models and {card['images']:,} images in {storage.url} "
              f"(card: {storage.url}/CARD.md)", highlight=False, soft_wrap=True)
    if card["failed"]:
        err.print(f"[red]{len(card['failed'])} item(s) failed[/]; see card.json", highlight=False)
        sys.exit(2)
