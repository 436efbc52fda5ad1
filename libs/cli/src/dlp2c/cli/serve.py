"""``dlp2c serve`` (the gateway and every worker in one process) and ``dlp2c apikey`` (keys for the
REST API's write endpoints)."""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path
from typing import Any

import click
from dlp2c.cli.figures import _fail, err

WEB_DIST = Path(__file__).resolve().parents[5] / "services" / "gateway" / "web" / "dist"


@click.command()
@click.option("--host", default=None, help="Address to listen on  [default: DLP2C_HTTP_HOST or 127.0.0.1]")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="HTTP port  [default: DLP2C_HTTP_PORT or 8080]")
@click.option("--grpc-port", type=click.IntRange(0, 65535), default=None,
              help="gRPC port for every stage's service and PipelineService, with health and reflection "
                   "(0: none)  [default: DLP2C_GRPC_PORT or 50061]")
@click.option("--workers/--no-workers", default=True, show_default=True,
              help="Also run every stage's worker in this process (off: a gateway in front of separate workers).")
def serve(host: str | None, port: int | None, grpc_port: int | None, workers: bool) -> None:
    """Serve the REST API (OpenAPI at /openapi.json, docs at /docs) and, by default, every pipeline stage
    in this process: one command for a lab server or a laptop.

    Uses DLP2C_STORAGE_URL, DLP2C_BUS_URL and DLP2C_DB_URL (embedded defaults: ./data, memory://,
    SQLite). Write endpoints need an API key: make one with `dlp2c apikey create --owner NAME`.

    \b
    Example:
      dlp2c serve --port 8080 &
      curl -H "X-API-Key: $KEY" -F pdf=@paper.pdf localhost:8080/v1/papers
    """
    import uvicorn
    from dlp2c.cli.pipeline import STAGE_NAMES, Pipeline
    from dlp2c.common.errors import Dlp2cError
    from dlp2c.common.logs import configure
    from dlp2c.common.rpc import RpcSettings, build_server
    from dlp2c.gateway.app import create_app
    from dlp2c.gateway.settings import GatewaySettings

    configure(os.environ.get("LOG_LEVEL", "INFO"))
    settings = GatewaySettings()
    if not settings.web_dist and WEB_DIST.joinpath("index.html").is_file():
        settings = settings.model_copy(update={"web_dist": str(WEB_DIST)})  # built by `make web`
    try:
        pipeline = Pipeline.open(stages=STAGE_NAMES if workers else ())
    except Dlp2cError as exc:
        _fail(exc)
    stop = threading.Event()
    threads = pipeline.run_threads(stop)
    app = create_app(pipeline.storage, pipeline.db, pipeline.bus, settings)
    grpc_server = None
    port_for_grpc = RpcSettings().grpc_port if grpc_port is None else grpc_port
    if port_for_grpc:
        from dlp2c.gateway.rpc import registration as pipeline_service

        services = (grpc_services(pipeline, settings) if workers else  # the gateway alone: no stage models
                    [pipeline_service(pipeline.storage, pipeline.db, pipeline.bus, settings)])
        grpc_server, bound = build_server(services, port_for_grpc)
        grpc_server.start()
        err.print(f"gRPC on port {bound}: {', '.join(name for _, _, name in services)}", highlight=False)
    try:
        uvicorn.run(app, host=host or settings.http_host, port=port or settings.http_port, log_config=None)
    finally:
        if grpc_server is not None:
            grpc_server.stop(grace=5)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        pipeline.close()


def stage_registration(name: str) -> Any:
    """A stage's gRPC servicer (imports only that stage's service)."""
    import importlib

    module = {"splitter": "dlp2c.splitter.server", "tables": "dlp2c.tables.server",
              "classifier": "dlp2c.classifier.server", "flow": "dlp2c.flow.server", "ocr": "dlp2c.ocr.server",
              "codegen": "dlp2c.codegen.server"}[name]
    return importlib.import_module(module).registration()


def grpc_services(pipeline: Any, settings: Any) -> list:
    """Every stage's gRPC servicer and the PipelineService over this process's store, database and bus."""
    from dlp2c.cli.pipeline import STAGE_NAMES
    from dlp2c.gateway.rpc import registration as pipeline_service

    return [*(stage_registration(name) for name in STAGE_NAMES),
            pipeline_service(pipeline.storage, pipeline.db, pipeline.bus, settings)]


@click.group()
def apikey() -> None:
    """API keys for the REST API's write endpoints (stored hashed; shown once)."""


@click.command("init")
def init() -> None:
    """Prepare the configured infrastructure: create the bus topics and the storage bucket, migrate the
    database. Idempotent; the Helm chart runs it as a Job before the services start."""
    from dlp2c.cli.pipeline import Pipeline
    from dlp2c.common.errors import Dlp2cError

    try:
        pipeline = Pipeline.open(stages=())
    except Dlp2cError as exc:
        _fail(exc)
    err.print(f"ready: storage {pipeline.storage.url}, bus {pipeline.bus.url}, database migrated", highlight=False)
    pipeline.close()


@apikey.command("create")
@click.option("--owner", required=True, help="Who the key is for (shown in job records and limits).")
def apikey_create(owner: str) -> None:
    """Make a key and print it (it is stored only as a hash)."""
    from dlp2c.common.db import Database
    from dlp2c.common.errors import Dlp2cError
    from dlp2c.common.settings import InfraSettings

    key = "dlp2c_" + secrets.token_urlsafe(24)
    try:
        db = Database(InfraSettings().db_url)
        db.add_api_key(key, owner[:120])
        db.close()
    except Dlp2cError as exc:
        _fail(exc)
    click.echo(key)
    err.print(f"key for {owner!r} stored (hashed) in the metadata database", highlight=False)
