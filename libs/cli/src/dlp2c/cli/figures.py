"""``dlp2c extract`` (a figure to its layers and connections) and ``dlp2c evaluate`` (how well, on a
simulated dataset)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

out = Console()
err = Console(stderr=True)


def _fail(exc: Exception) -> None:
    code = getattr(exc, "code", "error")
    err.print(f"[bold red]error[/] [dim]({code})[/] {exc}", highlight=False, soft_wrap=True, markup=True)
    sys.exit(2)


@click.command()
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the figure graph (JSON) here  [default: print it]")
@click.option("--overlay", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also draw what was understood over the figure (PNG).")
@click.option("--style", type=click.Choice(["auto", "keras", "caffe"]), default="auto", show_default=True,
              help="Which framework drew the figure (picks the layer names OCR is matched against).")
@click.option("--all-nodes", is_flag=True, help="Keep Caffe's data blobs as nodes instead of collapsing them.")
def extract(image: Path, output: Path | None, overlay: Path | None, style: str, all_nodes: bool) -> None:
    """Read a network figure: its layers (type, name, the hyper-parameters it prints), the
    connections between them and their direction.

    \b
    Examples:
      dlp2c extract model.png -o graph.json --overlay seen.png
      dlp2c extract caffe_net.jpg --style caffe --all-nodes
    """
    from dlp2c.cli.figure import FigureReader, load_image
    from dlp2c.cli.figure import overlay as draw_overlay
    from dlp2c.common.errors import Dlp2cError

    try:
        pixels = load_image(image)
        with FigureReader() as reader:
            graph = reader.read(pixels, style)
    except Dlp2cError as exc:
        _fail(exc)
    result = graph if all_nodes else graph.layers()
    text = json.dumps(result.to_json(), indent=1) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
    if overlay is not None:
        overlay.parent.mkdir(parents=True, exist_ok=True)
        draw_overlay(pixels, graph).save(overlay)
    unknown = sum(1 for n in result.nodes if n.kind == "unknown")
    err.print(f"{sum(1 for n in result.nodes if n.kind == 'layer')} layers, {len(result.edges)} edges"
              + (f", {unknown} node(s) not read" if unknown else "")
              + f" ({graph.style} style, {sum(graph.seconds.values()) * 1000:.0f} ms)"
              + (f"; graph in {output}" if output else "") + (f"; overlay in {overlay}" if overlay else ""),
              highlight=False)


@click.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Score only the first N images.")
@click.option("-j", "--workers", type=click.IntRange(min=1), default=None,
              help="Processes in parallel  [default: one per core]")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write every image's scores here.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Box plots of layer and edge accuracy per style (the paper's Figure 6), PNG.")
def evaluate(dataset: Path, limit: int | None, workers: int | None, json_path: Path | None,
             plot: Path | None) -> None:
    """Measure figure reading on a simulated dataset (made by `dlp2c simulate`): the paper's layer and
    edge accuracy, edge precision, hyper-parameters read exactly, whole graphs exact; per style and
    per depth.

    \b
    Example:
      dlp2c simulate -n 200 --seed 7 -o data/eval && dlp2c evaluate data/eval --plot fig6.png
    """
    from dlp2c.cli.evaluate import dataset_images, plot_scores, summary
    from dlp2c.cli.evaluate import evaluate as run

    if not dataset_images(dataset)[:1]:
        _fail(click.ClickException(f"{dataset}: no simulated Keras or Caffe drawings (models/shard-*/m*/meta.json)"))
    workers = workers or os.cpu_count() or 1
    with Progress(TextColumn("[bold]reading figures[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("eta"), TimeRemainingColumn(), console=err) as bar:
        task = bar.add_task("figures", total=None)
        scores = run(dataset, limit, workers, lambda done, total: bar.update(task, completed=done, total=total))
    table = Table(title=f"{len(scores)} figures of {dataset}")
    for column in ("group", "images", "layer acc.", "edge acc.", "edge prec.", "params exact", "exact graphs",
                   "median s"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for name, row in summary(scores).items():
        table.add_row(name, str(row["images"]), f"{row['layer_accuracy']:.1%}", f"{row['edge_accuracy']:.1%}",
                      f"{row['edge_precision']:.1%}",
                      "-" if row["params_shown"] == 0 else f"{row['params_exact']:.1%}",
                      f"{row['exact']:.1%}", f"{row['median_seconds']:.2f}")
    out.print(table)
    if json_path is not None:
        json_path.write_text(json.dumps([s.__dict__ for s in scores], indent=0) + "\n")
    if plot is not None:
        plot_scores(scores, plot)
        err.print(f"box plots in {plot}", highlight=False)
