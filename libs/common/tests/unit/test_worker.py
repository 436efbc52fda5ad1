"""The worker loop's promises: commit after publishing, retries with back-off, dead letters with the
reason, failures recorded on the item, callbacks when a job ends."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from dlp2c.common.bus import MemoryBus
from dlp2c.common.db import Database
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.events import Envelope, Topic, decode, follow, new_event
from dlp2c.common.settings import InfraSettings
from dlp2c.common.storage import FileStorage
from dlp2c.common.worker import Context, Output, Worker
from dlp2c.events.v1 import events_pb2 as pb


class SplitLike:
    """A stage that stores a file and sends one event on; it fails as told, ``fail_times`` times."""

    name = "test-stage"
    topics = (Topic.PAPERS,)

    def __init__(self, fail_times: int = 0, error: Exception | None = None) -> None:
        self.fail_times, self.error, self.calls, self.failures = fail_times, error, 0, []

    def handle(self, event: Envelope, ctx: Context) -> list[Output]:
        self.calls += 1
        if self.calls <= self.fail_times:
            raise self.error or ConnectionError("the store is down")
        ctx.storage.put(f"papers/{event.paper_id}/done.txt", b"ok")
        ctx.db.set_paper(event.paper_id, status="tables_read")
        return [(Topic.SPLIT, follow(event, paper_split=pb.PaperSplit(manifest_key="m.json")))]

    def failed(self, event: Envelope, error: Exception, ctx: Context) -> None:
        self.failures.append(str(error))
        ctx.db.set_paper(event.paper_id, status="failed", error=str(error))


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return Context(FileStorage(tmp_path / "store"), Database(f"sqlite:///{tmp_path / 'db.sqlite'}"),
                   InfraSettings(max_attempts=3, backoff_s=0.25))


def _submit(ctx: Context, bus: MemoryBus, paper: str = "e" * 64, callback: str = "") -> str:
    job = ctx.db.submit(paper, "k", callback_url=callback)
    event = new_event(paper, job.job_id, job.trace_id, paper_submitted=pb.PaperSubmitted(pdf_key="k"))
    bus.publish(Topic.PAPERS, paper, event.SerializeToString())
    return job.job_id


def test_outputs_are_published_then_the_message_committed(ctx: Context) -> None:
    bus = MemoryBus()
    job = _submit(ctx, bus)
    worker = Worker(SplitLike(), ctx, bus)
    assert worker.step(0) == 1
    out = bus.messages(Topic.SPLIT)
    assert len(out) == 1 and decode(out[0].value).paper_split.manifest_key == "m.json"
    assert decode(out[0].value).job_id == job
    assert bus.lag("dlp2c-test-stage", [Topic.PAPERS]) == 0
    assert ctx.db.job(job)["status"] == "done"


def test_transient_errors_are_retried_with_back_off(ctx: Context) -> None:
    bus, waits = MemoryBus(), []
    _submit(ctx, bus)
    stage = SplitLike(fail_times=2)
    Worker(stage, ctx, bus, sleep=waits.append).step(0)
    assert stage.calls == 3 and waits == [0.25, 0.5]
    assert len(bus.messages(Topic.SPLIT)) == 1 and bus.messages(Topic.DEAD) == []


def test_what_keeps_failing_goes_to_the_dead_letter_topic_whole(ctx: Context) -> None:
    bus, waits = MemoryBus(), []
    job = _submit(ctx, bus)
    stage = SplitLike(fail_times=99)
    Worker(stage, ctx, bus, sleep=waits.append).step(0)
    assert stage.calls == 3 and len(waits) == 2
    dead = decode(bus.messages(Topic.DEAD)[0].value)
    assert dead.dead_letter.stage == "test-stage" and "the store is down" in dead.dead_letter.reason
    assert dead.dead_letter.original == bus.messages(Topic.PAPERS)[0].value and dead.attempt == 3
    assert stage.failures == ["the store is down"]
    assert ctx.db.job(job)["status"] == "failed"
    assert bus.lag("dlp2c-test-stage", [Topic.PAPERS]) == 0  # nothing is retried for ever


def test_bad_input_is_not_retried(ctx: Context) -> None:
    bus = MemoryBus()
    _submit(ctx, bus)
    stage = SplitLike(fail_times=1, error=Dlp2cError("not a PDF", "paper.pdf", code="not_pdf"))
    Worker(stage, ctx, bus, sleep=lambda s: None).step(0)
    assert stage.calls == 1
    assert decode(bus.messages(Topic.DEAD)[0].value).dead_letter.code == "not_pdf"


def test_a_message_that_is_not_an_envelope_is_dead_lettered(ctx: Context) -> None:
    bus = MemoryBus()
    bus.publish(Topic.PAPERS, "x", b"\xff\x00 not protobuf")
    stage = SplitLike()
    Worker(stage, ctx, bus).step(0)
    assert stage.calls == 0
    assert decode(bus.messages(Topic.DEAD)[0].value).dead_letter.code == "bad_event"


def test_a_finished_job_calls_its_callback(ctx: Context) -> None:
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        bus = MemoryBus()
        job = _submit(ctx, bus, callback=f"http://127.0.0.1:{server.server_port}/done")
        Worker(SplitLike(), ctx, bus).step(0)
    finally:
        server.shutdown()
    assert received == [{"job_id": job, "paper_id": "e" * 64, "status": "done", "error": ""}]
    assert ctx.db.job(job)["callback_status"] == "204"
