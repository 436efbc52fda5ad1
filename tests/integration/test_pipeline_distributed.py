"""The same stages, distributed: Kafka (a real Kafka-protocol broker), S3 (a real S3-protocol server
through the minio client) and PostgreSQL, with only settings changed. A paper goes in; designs and
code come out; a redelivered message does no work twice."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from dlp2c.cli.pipeline import Pipeline
from dlp2c.common.bus import KafkaBus
from dlp2c.common.events import Topic, decode, new_event
from dlp2c.common.settings import InfraSettings
from dlp2c.common.storage import S3Storage, StorageSettings
from dlp2c.events.v1 import events_pb2 as pb
from dlp2c.splitter.sample import write_sample

pytestmark = [pytest.mark.connected, pytest.mark.xdist_group("kafka")]


def _wait(predicate, seconds: float = 240.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not done after {seconds} s")
        time.sleep(0.5)


def test_a_paper_through_kafka_s3_and_postgresql(kafka_url: str, s3_settings: StorageSettings, postgres_url: str,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"S3_ENDPOINT": s3_settings.s3_endpoint, "S3_ACCESS_KEY": s3_settings.s3_access_key,
                       "S3_SECRET_KEY": s3_settings.s3_secret_key, "S3_REGION": "us-east-1",
                       "STORAGE_URL": "s3://dlp2c-pipeline/artifacts", "BUS_URL": kafka_url,
                       "DB_URL": postgres_url, "KAFKA_PARTITIONS": "2"}.items():
        monkeypatch.setenv(f"DLP2C_{key}", value)
    pipeline = Pipeline.open(InfraSettings(), verify_code=False)
    stop = threading.Event()
    threads = pipeline.run_threads(stop)
    try:
        assert isinstance(pipeline.bus, KafkaBus) and isinstance(pipeline.storage, S3Storage)
        pdf = write_sample(tmp_path / "tinynet.pdf").read_bytes()
        job = pipeline.submit(pdf, "test")
        _wait(lambda: pipeline.db.job(job.job_id)["status"] in ("done", "failed"))
        assert pipeline.db.job(job.job_id)["status"] == "done"
        designs = pipeline.db.designs_of(job.paper_id)
        assert sorted(d["source"] for d in designs) == ["figure", "table"]
        assert {d["params"] for d in designs} == {25_578} and all(d["status"] == "generated" for d in designs)
        stored = sorted(pipeline.storage.list(f"papers/{job.paper_id}/"))
        assert any(k.endswith("/code/keras/model.py") for k in stored)
        assert any(k.endswith("/overlay.png") for k in stored)

        # the public topic announces both designs, to a listener of another service
        listener = pipeline.bus.consumer([Topic.FINISHED], "another-lab-service")
        finished = []
        for _ in range(30):
            finished += [decode(m.value) for m in listener.poll(1.0, 50)]
            if len(finished) >= 2:
                break
        listener.close()
        assert {e.design_finished.design_id for e in finished} == {d["id"] for d in designs}

        # the same PDF again: the same job, nothing runs
        assert pipeline.submit(pdf, "again").job_id == job.job_id

        # a redelivered message (a worker died before committing) finds its outputs and redoes nothing
        before = {d["id"]: d["updated_at"] for d in designs}
        replay = new_event(job.paper_id, job.job_id, job.trace_id,
                           paper_submitted=pb.PaperSubmitted(pdf_key=f"papers/{job.paper_id}/paper.pdf"))
        pipeline.bus.publish(Topic.PAPERS, job.paper_id, replay.SerializeToString())
        pipeline.bus.flush()
        _wait(lambda: all(d["updated_at"] > before[d["id"]] for d in pipeline.db.designs_of(job.paper_id)), 120)
        assert sorted(pipeline.storage.list(f"papers/{job.paper_id}/")) == stored
        assert len(pipeline.db.designs_of(job.paper_id)) == 2 and len(pipeline.db.figures_of(job.paper_id)) == 1
        assert pipeline.db.job(job.job_id)["status"] == "done"

        # the embedded mode on the same paper gives the same graphs and code, byte for byte
        embedded = Pipeline.open(InfraSettings(storage_url=(tmp_path / "store").as_uri(), bus_url="memory://",
                                               db_url=f"sqlite:///{tmp_path / 'db.sqlite'}"), verify_code=False)
        try:
            assert embedded.drain(embedded.submit(pdf, "embedded").job_id)["status"] == "done"
            ours = [k for k in stored if "/designs/" in k]
            theirs = sorted(k for k in embedded.storage.list(f"papers/{job.paper_id}/") if "/designs/" in k)
            assert ours == theirs and len(ours) >= 20
            for key in ours:
                assert embedded.storage.get(key) == pipeline.storage.get(key), key
        finally:
            embedded.close()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        pipeline.close()
