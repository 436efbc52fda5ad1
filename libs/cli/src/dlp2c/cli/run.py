"""``dlp2c run`` (a paper in, code out, every stage in this process) and ``dlp2c worker`` (one stage as a
long-running worker on the configured bus, store and database)."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import click
from dlp2c.cli.figures import _fail, err, out
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

STAGE_TITLES = {"split": "split PDF", "tables": "read tables", "classify": "classify figures",
                "flow": "detect flow", "ocr": "read nodes (OCR)", "codegen": "generate + verify code"}


def _settings_for(output: Path):
    """The embedded defaults under ``output/.work``, unless DLP2C_* settings name other places."""
    from dlp2c.common.settings import InfraSettings

    settings = InfraSettings()
    work = (output / ".work").resolve()
    embedded = {"storage_url": work.joinpath("store").as_uri(), "db_url": f"sqlite:///{work / 'dlp2c.sqlite'}",
                "bus_url": "memory://"}
    return settings.model_copy(update={k: v for k, v in embedded.items() if k not in settings.model_fields_set})


@click.command()
@click.argument("paper", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for report.html, paper.json, figures/ and designs/ (code per target).")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Build and run every target's code (Keras, PyTorch, ONNX Runtime, Caffe) and compare shapes "
                   "and parameter counts.")
def run(paper: Path, output: Path, verify: bool) -> None:
    """Run the whole pipeline on one paper, in this process: split the PDF, read its tables, classify
    its figures, read the network figures (flow detection and OCR), assemble graphs (a figure borrows
    hyper-parameters from a table of the same layers), generate and verify code for Keras, Caffe,
    PyTorch and ONNX, and write an HTML report.

    Runs on embedded defaults (files, an in-process queue, SQLite under DIR/.work); set DLP2C_STORAGE_URL,
    DLP2C_BUS_URL and DLP2C_DB_URL to use MinIO, Kafka and PostgreSQL instead.

    \b
    Examples:
      dlp2c run paper.pdf -o out/paper
      dlp2c run 1409.1556.pdf -o out/vgg --no-verify
    """
    from dlp2c.cli.pipeline import Pipeline
    from dlp2c.cli.report import export
    from dlp2c.common.errors import Dlp2cError

    settings = _settings_for(output)
    try:
        pipeline = Pipeline.open(settings, verify_code=verify)
    except Dlp2cError as exc:
        _fail(exc)
    try:
        submission = pipeline.submit(paper.read_bytes(), source=f"cli:{paper.name}")
        if not submission.new:
            err.print(f"[dim]this PDF was processed before (paper {submission.paper_id[:12]}); showing that run[/]")
        with Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=False) as bar:
            tasks = {stage: bar.add_task(title, total=None) for stage, title in STAGE_TITLES.items()}

            def show(progress: dict) -> None:
                for stage, numbers in progress.items():
                    bar.update(tasks[stage], completed=numbers["done"], total=numbers["total"] or None)

            job = pipeline.drain(submission.job_id, show)
        summary = export(pipeline.storage, pipeline.db, submission.paper_id, output)
    except Dlp2cError as exc:
        _fail(exc)
    finally:
        pipeline.close()
    info = summary["paper"]
    out.print(f"[bold]{info['title'] or paper.name}[/]" + (f"  arXiv:{info['arxiv_id']}" if info["arxiv_id"] else ""))
    if job["status"] == "failed":
        _fail(Dlp2cError(info["error"] or job["error"] or "the pipeline failed", str(paper), code="failed"))
    figures = summary["figures"]
    out.print(f"{info['pages']} pages; {len(figures)} figures ({sum(f['status'] != 'other' for f in figures)} "
              f"network designs, {sum(f['status'] == 'read' for f in figures)} read); {len(summary['tables'])} tables")
    view = Table("design", "from", "layers", "params", "code", box=None)
    for d in summary["designs"]:
        title = d["name"] if d["name"] and d["name"] != d["ref"] else d["ref"]
        if d["status"] != "generated":
            code = f"[red]{d['status']}[/]: {d['error'][:60]}"
        else:
            ran = [t for t, c in d["checks"].items() if c["ok"]]
            code = f"{d['folder']}/" + (f"  ran: {', '.join(ran)}" if d["checks"] else "")
            if d["failed_targets"]:
                code += f"  [red]failed: {', '.join(d['failed_targets'])}[/]"
        view.add_row(title, f"{d['source']} {d['ref']}", str(d["layers"]),
                     "" if d["params"] is None else f"{d['params']:,}", code)
    out.print(view)
    out.print(f"code:   [bold]{output / 'designs'}[/] (one folder per design: keras/ caffe/ pytorch/ onnx/)",
              highlight=False)
    out.print(f"report: [bold]{output / 'report.html'}[/]", highlight=False)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def sample(path: Path) -> None:
    """Write the sample paper (TinyNet: two pages with a network figure and a layer table), the one
    `make run` processes.

    \b
    Example:
      dlp2c sample tinynet.pdf && dlp2c run tinynet.pdf -o out/tinynet
    """
    from dlp2c.splitter.sample import write_sample

    path.parent.mkdir(parents=True, exist_ok=True)
    write_sample(path)
    err.print(f"sample paper written to {path}", highlight=False)


@click.command()
@click.argument("stage", type=click.Choice(["splitter", "tables", "classifier", "flow", "ocr", "codegen", "all"]))
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Serve Prometheus metrics on this port (0: none).")
@click.option("--grpc-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Also serve the stage's gRPC service here, with grpc.health.v1 (Kubernetes' probes) and "
                   "reflection (0: none).")
def worker(stage: str, metrics_port: int, grpc_port: int) -> None:
    """Run one stage (or all) as a worker on the configured bus, store and database until interrupted.

    \b
    Settings (environment):
      DLP2C_BUS_URL      kafka://broker:9092      (memory:// only makes sense with "all")
      DLP2C_STORAGE_URL  s3://dlp2c               (with DLP2C_S3_ENDPOINT and credentials)
      DLP2C_DB_URL       postgresql://dlp2c@db/dlp2c

    \b
    Example:
      DLP2C_BUS_URL=kafka://127.0.0.1:9092 dlp2c worker classifier --metrics-port 9102
    """
    from dlp2c.cli.pipeline import STAGE_NAMES, Pipeline
    from dlp2c.common.errors import Dlp2cError
    from dlp2c.common.logs import configure

    configure(os.environ.get("LOG_LEVEL", "INFO"))
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port)
    try:
        pipeline = Pipeline.open(stages=STAGE_NAMES if stage == "all" else (stage,))
    except Dlp2cError as exc:
        _fail(exc)
    grpc_server = None
    if grpc_port:
        from dlp2c.cli.serve import stage_registration
        from dlp2c.common.rpc import build_server

        names = STAGE_NAMES if stage == "all" else (stage,)
        grpc_server, _ = build_server([stage_registration(name) for name in names], grpc_port)
        grpc_server.start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    threads = pipeline.run_threads(stop)
    try:
        stop.wait()
    finally:
        if grpc_server is not None:
            grpc_server.stop(grace=5)
        for thread in threads:
            thread.join(timeout=30)
        pipeline.close()
