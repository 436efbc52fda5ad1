"""``dlp2c``: import model definitions, validate graphs, inspect the layer catalog.

Exit status: 0 when the work was done, 2 when the input was bad (the message says what and where),
1 for anything unexpected.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from dlp2c.cli.classify import classify, train_classifier
from dlp2c.cli.crawl import crawl
from dlp2c.cli.figures import evaluate, extract
from dlp2c.cli.run import run, sample, worker
from dlp2c.cli.serve import apikey, init, serve
from dlp2c.cli.simulate import simulate
from dlp2c.cli.split import split
from dlp2c.common.catalog import CATALOG, REQUIRED, TensorType
from dlp2c.common.dot import to_dot
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.grammar import next_layers
from dlp2c.common.graph import Graph
from dlp2c.common.importers import FORMATS, load_model
from dlp2c.common.inference import Inference, infer
from dlp2c.common.schema import graph_schema
from rich.console import Console
from rich.table import Table

out = Console()
err = Console(stderr=True)


def reports_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input ends in one clear line on stderr and exit status 2, never a traceback."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Dlp2cError as exc:
            err.print(f"[bold red]error[/] [dim]({exc.code})[/] {exc}", highlight=False, markup=True,
                      soft_wrap=True)
            sys.exit(2)
    return wrapper


def _write(path: str | None, text: str) -> None:
    if path in (None, "-"):
        click.echo(text)
        return
    target = Path(path)  # type: ignore[arg-type]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text + "\n", encoding="utf-8")


def _shape(dims: Any) -> str:
    text = ", ".join("?" if d is None else str(d) for d in dims)
    return f"({text},)" if len(dims) == 1 else f"({text})"


def _summary_table(result: Inference, limit: int | None) -> Table:
    table = Table(title=f"{result.graph.name}", title_justify="left", show_lines=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("layer")
    table.add_column("op", style="cyan")
    table.add_column("output shape")
    table.add_column("params", justify="right")
    table.add_column("inputs", style="dim")
    feeds = result.graph.inputs_of()
    names = {n.id: n.name or n.id for n in result.graph.nodes}
    order = list(result.order)
    shown = order if limit is None or len(order) <= limit else [*order[:limit // 2], None, *order[-limit // 2:]]
    for _i, nid in enumerate(shown):
        if nid is None:
            table.add_row("", f"... {len(order) - limit} more ...", "", "", "", "")  # type: ignore[operator]
            continue
        info = result.info[nid]
        position = order.index(nid)
        table.add_row(str(position), info.node.name or nid, info.node.op, _shape(info.output.shape),
                      f"{info.params:,}", ", ".join(names[s] for s in feeds[nid][:3])
                      + (" ..." if len(feeds[nid]) > 3 else ""))
    return table


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="dlp2c-cli")
def cli() -> None:
    """DLPaper2Code: deep-learning papers in, runnable code out.

    Every command reads and writes the graph JSON documented by `dlp2c schema`.
    """


def _parse_shapes(values: tuple[str, ...]) -> dict[str, list[int]]:
    shapes: dict[str, list[int]] = {}
    for value in values:
        blob, sep, dims = value.partition("=")
        try:
            if not sep or not blob:
                raise ValueError
            shapes[blob] = [int(d) for d in dims.split(",")]
        except ValueError:
            raise click.BadParameter(f"{value!r}: use BLOB=N,C,H,W, e.g. data=1,3,224,224",
                                     param_hint="--input-shape") from None
    return shapes


@cli.command("import")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="-", show_default=True,
              help="Where to write the graph JSON ('-' for stdout).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Input format; auto decides by extension and content.")
@click.option("--input-shape", "input_shapes", multiple=True, metavar="BLOB=N,C,H,W",
              help="Shape of a Caffe data layer whose prototxt does not state it (repeatable).")
@reports_errors
def import_(source: Path, output: str, fmt: str, input_shapes: tuple[str, ...]) -> None:
    """Convert a model definition to a graph: Keras JSON or .keras, Caffe prototxt, ONNX.

    The graph is checked by shape inference before it is written.

    \b
    Examples:
      dlp2c import deploy.prototxt -o alexnet.json
      dlp2c import model.json -o graph.json
      dlp2c import train_val.prototxt --input-shape data=1,3,227,227 -o net.json
    """
    graph = load_model(source, fmt, _parse_shapes(input_shapes))
    result = infer(graph)
    _write(output, graph.dumps())
    if output != "-":
        err.print(f"imported [bold]{source.name}[/]: {len(graph.nodes)} layers, {len(graph.edges)} edges, "
                  f"{result.total_params:,} parameters -> {output}", highlight=False, soft_wrap=True)


@cli.command()
@click.argument("graph_file", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary instead of a table.")
@click.option("--all", "show_all", is_flag=True, help="List every layer (the table shows 40 by default).")
def validate(graph_file: Path, as_json: bool, show_all: bool) -> None:
    """Check a graph: schema, wiring and shapes; print output shapes and the parameter count.

    Exit status 0 when the graph is valid, 2 (with the reason) when it is not.
    """
    try:
        text = sys.stdin.read() if str(graph_file) == "-" else graph_file.read_text(encoding="utf-8")
        result = infer(Graph.loads(text))
    except (Dlp2cError, OSError) as exc:
        error = exc if isinstance(exc, Dlp2cError) else Dlp2cError(str(exc), str(graph_file), code="unreadable")
        if as_json:
            click.echo(json.dumps({"valid": False, "error": error.to_dict()}, indent=2))
        else:
            err.print(f"[bold red]invalid[/] [dim]({error.code})[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(result.summary(), indent=2))
        return
    out.print(_summary_table(result, None if show_all else 40))
    for o in result.outputs():
        out.print(f"output [bold]{o.node.name or o.node.id}[/]: {_shape(o.output.shape)}", highlight=False)
    out.print(f"[green]valid[/]: {len(result.graph.nodes)} layers, {len(result.graph.edges)} edges, "
              f"[bold]{result.total_params:,}[/] parameters", highlight=False)


@cli.command()
@click.argument("graph_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Image to write; its extension picks the format (.svg, .png, .pdf) or .dot for the text.")
@click.option("--lr", "left_right", is_flag=True, help="Draw left to right instead of top to bottom.")
@reports_errors
def render(graph_file: Path, output: Path, left_right: bool) -> None:
    """Draw a graph with Graphviz: layers with their output shapes and parameter counts."""
    graph = Graph.load(graph_file)
    dot = to_dot(graph, infer(graph), "LR" if left_right else "TB")
    fmt = output.suffix.lstrip(".").lower() or "svg"
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        output.write_text(dot, encoding="utf-8")
        return
    if fmt not in ("svg", "png", "pdf"):
        raise Dlp2cError(f"cannot draw {fmt!r} files; use .svg, .png, .pdf or .dot", str(output), code="bad_argument")
    exe = shutil.which("dot")
    if exe is None:
        raise Dlp2cError("Graphviz is not installed", "dot", "apt-get install graphviz (or write .dot)",
                         code="missing_dependency")
    proc = subprocess.run([exe, f"-T{fmt}", "-o", str(output)], input=dot, text=True, capture_output=True,
                          timeout=120, check=False)
    if proc.returncode != 0:
        raise Dlp2cError(f"Graphviz failed: {proc.stderr.strip()[:500]}", str(output), code="render_failed")
    err.print(f"drew {len(graph.nodes)} layers -> {output}", highlight=False)


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="-", show_default=True,
              help="Where to write the JSON Schema.")
def schema(output: str) -> None:
    """Print the JSON Schema of the graph (generated from the layer catalog)."""
    _write(output, json.dumps(graph_schema(), indent=2))


def _tensor(text: str, dtype: str) -> TensorType:
    try:
        dims = [None if d.strip() in ("?", "None", "") else int(d) for d in text.strip("()").split(",") if d.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r}: use sizes without the batch, e.g. 28,28,1 or ?,64",
                                 param_hint="--after") from None
    return TensorType(tuple(dims), dtype)


@cli.command()
@click.argument("op", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--after", metavar="SHAPE", help="Only ops that can follow a tensor of this shape, e.g. 28,28,1.")
@click.option("--dtype", type=click.Choice(["float32", "int32"]), default="float32", show_default=True,
              help="Element type of the --after tensor (int32 for token ids).")
@reports_errors
def ops(op: str | None, as_json: bool, after: str | None, dtype: str) -> None:
    """List the supported ops, or show one op's parameters and aliases.

    With --after, list what the paper's grammar allows next (derived from the shape rules).
    """
    if after is not None:
        names = next_layers(_tensor(after, dtype))
        click.echo(json.dumps(names) if as_json else "\n".join(names))
        return
    specs = [CATALOG.get(op)] if op else list(CATALOG)
    if as_json:
        click.echo(json.dumps([{
            "op": s.name, "family": s.family, "doc": s.doc, "aliases": list(s.aliases),
            "inputs": s.arity_text(),
            "params": [{"name": p.name, "type": p.kind.value, "required": p.required,
                        "default": None if p.default is REQUIRED else p.default, "doc": p.doc} for p in s.params],
        } for s in specs], indent=2, default=list))
        return
    if op:
        spec = specs[0]
        out.print(f"[bold cyan]{spec.name}[/] ({spec.family}, inputs: {spec.arity_text()})\n{spec.doc}")
        table = Table("param", "type", "default", "meaning")
        for p in spec.params:
            default = "[red]required[/]" if p.required else repr(p.default)
            kind = p.kind.value + (f" {p.choices}" if p.choices else "")
            table.add_row(p.name, kind, default, p.doc)
        out.print(table)
        out.print(f"aliases: {', '.join(spec.aliases) or '-'}")
        return
    table = Table("op", "family", "inputs", "what it does")
    for spec in specs:
        table.add_row(spec.name, spec.family, spec.arity_text(), spec.doc)
    out.print(table)
    out.print(f"{len(specs)} ops. `dlp2c ops NAME` shows one op's parameters.")


def _load_graph(source: Path) -> Graph:
    """A graph JSON, or any model file `dlp2c import` reads."""
    if source.suffix == ".json":
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise Dlp2cError(f"cannot read {source.name}: {exc}", str(source), code="unreadable") from None
        if isinstance(data, dict) and "nodes" in data:
            return Graph.from_json(data)
    return load_model(source)


def _shape_text(shapes: list[list[int | None]] | None) -> str:
    return ", ".join(_shape(s) for s in shapes) if shapes else "-"


@cli.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-t", "--target", "targets", multiple=True, default=("all",), show_default=True,
              type=click.Choice(["keras", "caffe", "pytorch", "onnx", "all"]),
              help="Code to write (repeatable).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write into (one subfolder per target).")
@click.option("--verify", is_flag=True, help="Build and run each target; compare shapes and parameter counts.")
@click.option("--weights", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Keras weights (.npz of <layer>/<index>) to convert for every target.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@reports_errors
def generate(source: Path, targets: tuple[str, ...], output: Path, verify: bool, weights: Path | None,
             as_json: bool) -> None:
    """Write runnable code for a graph: Keras 3, Caffe (prototxt + NetSpec), PyTorch, ONNX.

    SOURCE is a graph JSON or a model file (prototxt, Keras JSON, ONNX). A target that cannot
    express a layer is skipped with the reason. With --verify each target is built and run in its
    own process; exit status 2 when any target fails or disagrees with shape inference.

    \b
    Examples:
      dlp2c generate vgg16.json -o out/vgg16 --verify
      dlp2c generate deploy.prototxt -t pytorch -t onnx -o out/net
    """
    from dlp2c.codegen.generate import generate as generate_code
    from dlp2c.codegen.verify import verify as verify_code

    graph = _load_graph(source)
    generated = generate_code(graph, targets)
    generated.write(output)
    if weights is not None:
        from dlp2c.codegen.export import write_weights

        write_weights(generated, weights, output)
    report: dict[str, Any] = {"graph": graph.name, "output": str(output), "params": generated.plan.total_params,
                              "targets": {}}
    failed = False
    problems: list[str] = []
    checks = {}
    if verify:
        with err.status("verifying: building and running each target in its own process ..."):
            checks = verify_code(generated, output)
    table = Table(title=f"{graph.name} -> {output}", title_justify="left")
    for column in ("target", "generated", "built", "output shape", "parameters", "expected", "status"):
        table.add_column(column, justify="right" if column in ("parameters", "expected") else "left")
    for target, result in generated.results.items():
        row: dict[str, Any] = {"generated": result.ok, "files": sorted(result.files)}
        if not result.ok:
            row["error"] = result.error.to_dict() if result.error else None
            failed = failed or verify
            table.add_row(target, "[red]no[/]", "", "", "", "", f"[red]{result.error.code if result.error else ''}[/]")
            problems.append(f"{target}: {result.error}")
        elif target in checks:
            check = checks[target]
            row["verify"] = check.to_dict()
            failed = failed or not check.ok
            status = "[green]ok[/]" if check.ok else "[red]failed[/]"
            if not check.ok:
                problems.append(f"{target}: {check.error or 'output shape or parameter count differs'}")
            if check.notes:
                status += " [yellow](schema only)[/]"
                problems.append(f"{target}: {'; '.join(check.notes)}")
            table.add_row(target, "yes", "yes" if check.built else "[red]no[/]", _shape_text(check.outputs),
                          "-" if check.params is None else f"{check.params:,}", f"{check.expected_params:,}", status)
        else:
            table.add_row(target, "yes", "", "", "", "", ", ".join(sorted(result.files)))
        report["targets"][target] = row
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        out.print(table)
        out.print(f"shape inference: {generated.plan.total_params:,} parameters; files in [bold]{output}[/]",
                  highlight=False)
        for line in problems:
            err.print(line, highlight=False, markup=False, soft_wrap=True)
    if failed:
        sys.exit(2)


cli.add_command(simulate)
cli.add_command(extract)
cli.add_command(evaluate)
cli.add_command(classify)
cli.add_command(split)
cli.add_command(train_classifier)
cli.add_command(run)
cli.add_command(sample)
cli.add_command(serve)
cli.add_command(apikey)
cli.add_command(init)
cli.add_command(crawl)
cli.add_command(worker)


def main() -> None:
    cli(prog_name="dlp2c")


if __name__ == "__main__":
    main()
