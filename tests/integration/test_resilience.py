"""The distributed pipeline under trouble: two worker processes per stage on Kafka, S3 and PostgreSQL;
one worker of two stages killed mid-run; a poison message and a broken paper in the stream. Every good
paper completes exactly once, nothing is lost or duplicated, the bad ones land in the dead-letter
topic with their reason, and the gateway keeps answering."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from dlp2c.common.bus import open_bus
from dlp2c.common.db import Database
from dlp2c.common.events import Topic, decode
from dlp2c.common.settings import InfraSettings
from dlp2c.common.storage import StorageSettings, open_storage
from dlp2c.gateway.app import create_app
from dlp2c.gateway.server import BackgroundServer
from dlp2c.gateway.settings import GatewaySettings
from dlp2c.splitter.sample import write_sample

from .conftest import free_port

pytestmark = [pytest.mark.connected, pytest.mark.slow, pytest.mark.xdist_group("kafka")]
STAGES = ("splitter", "tables", "classifier", "flow", "ocr", "codegen")
PAPERS = 6


class Callbacks(BaseHTTPRequestHandler):
    seen: Counter = Counter()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Callbacks.seen[(body["job_id"], body["status"])] += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


def _workers(env: dict[str, str], log_dir: Path) -> dict[str, list[subprocess.Popen]]:
    procs: dict[str, list[subprocess.Popen]] = {}
    for stage in STAGES:
        for k in range(2):
            log = (log_dir / f"{stage}-{k}.log").open("w")
            procs.setdefault(stage, []).append(subprocess.Popen(
                [sys.executable, "-m", "dlp2c.cli.main", "worker", stage], env=env, stdout=log,
                stderr=subprocess.STDOUT))
    return procs


def test_killed_workers_and_poison_lose_and_duplicate_nothing(kafka_url: str, s3_settings: StorageSettings,
                                                              postgres_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DLP2C_BUS_URL": kafka_url, "DLP2C_DB_URL": postgres_url,
           "DLP2C_STORAGE_URL": "s3://dlp2c-resilience", "DLP2C_S3_ENDPOINT": s3_settings.s3_endpoint,
           "DLP2C_S3_ACCESS_KEY": "k", "DLP2C_S3_SECRET_KEY": "s", "DLP2C_S3_REGION": "us-east-1",
           "DLP2C_KAFKA_PARTITIONS": "2", "DLP2C_VERIFY_CODE": "false", "DLP2C_BACKOFF_S": "0.2",
           "LOG_LEVEL": "WARNING"}
    settings = InfraSettings(bus_url=kafka_url, db_url=postgres_url, storage_url="s3://dlp2c-resilience",
                             kafka_partitions=2)
    storage = open_storage(settings.storage_url, StorageSettings(
        s3_endpoint=s3_settings.s3_endpoint, s3_access_key="k", s3_secret_key="s", s3_region="us-east-1"))
    db, bus = Database(postgres_url), open_bus(kafka_url, settings)
    bus.ensure_topics(list(Topic))
    db.add_api_key("key", "lab")
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Callbacks)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    callback = f"http://127.0.0.1:{receiver.server_port}/done"
    procs = _workers(env, tmp_path)
    sample = write_sample(tmp_path / "tinynet.pdf").read_bytes()
    limits = GatewaySettings(max_jobs_per_key=100, allow_private_urls=True)  # the callbacks go to loopback
    gateway = BackgroundServer(create_app(storage, db, bus, limits), port=free_port())
    latencies: list[float] = []
    try:
        with gateway:
            http = httpx.Client(base_url=gateway.url, timeout=10, headers={"X-API-Key": "key"})
            jobs = []
            for k in range(PAPERS):  # the same paper with different ids: a trailing comment changes its hash
                pdf = sample + f"\n% copy {k}\n".encode()
                response = http.post("/v1/papers", files={"pdf": (f"p{k}.pdf", pdf)}, data={"callback_url": callback})
                assert response.status_code == 202, response.text
                jobs.append(response.json()["job_id"])
            bus.publish(Topic.FIGURES, "poison", b"\x00\x01 this is not an envelope")
            broken = http.post("/v1/papers", files={"pdf": ("broken.pdf", sample[:800])}).json()["job_id"]
            bus.flush()

            killed = False
            deadline = time.monotonic() + 420
            while time.monotonic() < deadline:
                started = time.perf_counter()
                assert http.get("/livez").status_code == 200
                latencies.append(time.perf_counter() - started)
                states = [db.job(j)["status"] for j in [*jobs, broken]]
                if not killed and any(f["status"] != "found" for j in jobs[:1]
                                      for f in db.figures_of(db.job(j)["paper_id"])):
                    for stage in ("splitter", "classifier"):  # mid-run: work in flight, work still queued
                        procs[stage][0].send_signal(signal.SIGKILL)
                    killed = True
                if all(s in ("done", "failed") for s in states):
                    break
                time.sleep(0.5)
            assert killed
            assert [db.job(j)["status"] for j in jobs] == ["done"] * PAPERS
            assert db.job(broken)["status"] == "failed"
            deadline = time.monotonic() + 30
            while sum(Callbacks.seen.values()) < PAPERS and time.monotonic() < deadline:
                time.sleep(0.2)
            assert Callbacks.seen == Counter({(j, "done"): 1 for j in jobs})  # each exactly once
            for job in jobs:
                paper = db.job(job)["paper_id"]
                designs = db.designs_of(paper)
                assert sorted(d["source"] for d in designs) == ["figure", "table"]
                assert all(d["status"] == "generated" and d["params"] == 25_578 for d in designs)
            dead_reader = bus.consumer([Topic.DEAD], "test-dead-reader")
            letters = []
            for _ in range(30):
                letters += [decode(m.value).dead_letter for m in dead_reader.poll(1.0, 100)]
                if len(letters) >= 2:
                    break
            dead_reader.close()
            codes = {(d.topic, d.code) for d in letters}
            assert (Topic.FIGURES.value, "bad_event") in codes
            assert any(topic == Topic.PAPERS.value and code not in ("bad_event",) for topic, code in codes)
            assert len(latencies) >= 2  # the gateway answered every probe (asserted above) all through
    finally:
        for group in procs.values():
            for proc in group:
                proc.terminate()
        for group in procs.values():
            for proc in group:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        receiver.shutdown()
        db.close()
