"""``dlp2c split``: a paper's figures, tables and the designs its tables describe."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from dlp2c.cli.figures import _fail, out
from rich.table import Table


@click.command()
@click.argument("paper", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for figures/, tables/, designs/ and manifest.json.")
@click.option("--dpi", type=click.IntRange(72, 600), default=200, show_default=True, help="Resolution of figure crops.")
@click.option("--max-pages", type=click.IntRange(1), default=300, show_default=True)
@click.option("--seconds-per-page", type=click.FloatRange(0.1), default=20.0, show_default=True,
              help="Time allowed per page; the whole paper gets this times its page count.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON instead of a summary.")
def split(paper: Path, output: Path, dpi: int, max_pages: int, seconds_per_page: float, as_json: bool) -> None:
    """Split a paper's PDF into its figures (cropped, with captions) and tables (cells with their
    positions), decide which tables describe a network, and read those into graphs.

    \b
    Writes:
      DIR/manifest.json          paper metadata, figures, tables (with their kind), designs, errors
      DIR/figures/figure-N.png   each captioned figure, cropped
      DIR/tables/table-N.csv     each table's grid (and .json with every cell's box)
      DIR/designs/*.graph.json   one graph per network a design table lists (`dlp2c generate` takes them)

    \b
    Examples:
      dlp2c split 1409.1556.pdf -o out/vgg
      dlp2c generate "out/vgg/designs/table-1-D.graph.json" -o out/vgg16
    """
    from dlp2c.common.errors import Dlp2cError
    from dlp2c.splitter.isolate import split_isolated
    from dlp2c.splitter.limits import Limits
    from dlp2c.splitter.split import MANIFEST
    from dlp2c.tables.kind import classify
    from dlp2c.tables.read import read_table

    limits = Limits(max_pages=max_pages, seconds_per_page=seconds_per_page, dpi=dpi)
    try:
        result = split_isolated(paper, output, limits)
    except Dlp2cError as exc:
        _fail(exc)
    designs_dir = output / "designs"
    manifest = result.to_json()
    summary = []
    for table, entry in zip(result.tables, manifest["tables"], strict=True):
        kind = classify(table)
        entry["kind"] = kind.to_json()
        entry["designs"] = []
        for number, design in enumerate(read_table(table, kind)):
            record = {"name": design.name, "notes": design.notes, "error": design.error, "left_out": design.left_out,
                      "graph": ""}
            if design.graph is not None and not design.error:
                designs_dir.mkdir(parents=True, exist_ok=True)
                suffix = design.name[len(table.label):].strip() or str(number + 1)
                stem = "table-" + table.label.split()[-1].lower() + "-" + "".join(
                    ch if ch.isalnum() or ch in "-_" else "_" for ch in suffix)[:40]
                target = designs_dir / f"{stem}.graph.json"
                target.write_text(json.dumps(design.graph.to_json(), indent=1))
                record["graph"] = f"designs/{target.name}"
            entry["designs"].append(record)
            summary.append((table.label, design))
    (output / MANIFEST).write_text(json.dumps(manifest, indent=1))
    if as_json:
        sys.stdout.write(json.dumps(manifest) + "\n")
        return
    meta = result.meta
    out.print(f"[bold]{meta.title or paper.name}[/]" + (f"  arXiv:{meta.arxiv_id}" if meta.arxiv_id else ""))
    out.print(f"{meta.pages} pages, {len(result.figures)} figures, {len(result.tables)} tables "
              f"in {result.seconds:.1f} s -> {output}")
    if summary:
        table_view = Table("table", "design", "layers", "graph", "notes", box=None)
        for label, design in summary:
            layers = len(design.graph.nodes) if design.graph is not None else 0
            graph = "invalid: " + design.error if design.error else "ok"
            table_view.add_row(label, design.name[len(label):].strip() or "-", str(layers), graph,
                               str(len(design.notes)))
        out.print(table_view)
    for error in result.errors:
        out.print(f"[yellow]page {error['page']}[/] ({error['code']}) {error['message']}", highlight=False)
