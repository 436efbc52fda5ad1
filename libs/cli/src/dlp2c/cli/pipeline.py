"""The whole pipeline as one composition: every stage's worker over one bus, one store, one database.

This is the only module that imports every service. ``dlp2c run`` drives the workers in turn in this
process (memory bus, files, SQLite); ``dlp2c serve`` and ``dlp2c worker STAGE`` run them in threads
or one per process over whatever the settings name (Kafka, MinIO, PostgreSQL). The stages are the
same objects either way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dlp2c.common.bus import Bus, open_bus
from dlp2c.common.db import Database, Submission
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.events import Topic
from dlp2c.common.settings import InfraSettings
from dlp2c.common.storage import Storage, open_storage
from dlp2c.common.submit import submit_pdf
from dlp2c.common.worker import Context, Stage, Worker

STAGE_NAMES = ("splitter", "tables", "classifier", "flow", "ocr", "codegen")


def make_stage(name: str, verify_code: bool | None = None) -> Stage:
    """A stage by name; imports only that stage's service, so a worker process loads what it runs."""
    if name == "splitter":
        from dlp2c.splitter.worker import SplitStage

        return SplitStage()
    if name == "tables":
        from dlp2c.tables.worker import TablesStage

        return TablesStage()
    if name == "classifier":
        from dlp2c.classifier.worker import ClassifyStage

        return ClassifyStage()
    if name == "flow":
        from dlp2c.flow.worker import FlowStage

        return FlowStage()
    if name == "ocr":
        from dlp2c.ocr.worker import OcrStage

        return OcrStage()
    if name == "codegen":
        from dlp2c.codegen.settings import CodegenSettings
        from dlp2c.codegen.worker import CodegenStage

        settings = CodegenSettings()
        if verify_code is not None:
            settings = settings.model_copy(update={"verify_code": verify_code})
        return CodegenStage(settings)
    raise Dlp2cError(f"unknown stage {name!r}", hint=f"one of {', '.join(STAGE_NAMES)}", code="unknown_stage")


@dataclass
class Pipeline:
    settings: InfraSettings
    storage: Storage
    bus: Bus
    db: Database
    workers: list[Worker] = field(default_factory=list)

    @classmethod
    def open(cls, settings: InfraSettings | None = None, stages: tuple[str, ...] = STAGE_NAMES,
             verify_code: bool | None = None) -> Pipeline:
        settings = settings or InfraSettings()
        storage = open_storage(settings.storage_url)
        db = Database(settings.db_url)
        bus = open_bus(settings.bus_url, settings)
        bus.ensure_topics(list(Topic))
        pipeline = cls(settings, storage, bus, db)
        context = Context(storage, db, settings)
        pipeline.workers = [Worker(make_stage(name, verify_code), context, bus) for name in stages]
        return pipeline

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
            closer = getattr(worker.stage, "close", None)
            if closer is not None:
                closer()
        self.bus.close()
        self.db.close()

    # --- submitting -------------------------------------------------------------------------------

    def submit(self, pdf: bytes, source: str = "cli", owner: str = "", callback_url: str = "") -> Submission:
        """Store the PDF under its hash and start its job; the same PDF again returns its first job."""
        return submit_pdf(self.storage, self.db, self.bus, pdf, source, owner, callback_url)

    # --- running ----------------------------------------------------------------------------------

    def step(self, timeout_s: float = 0.0) -> int:
        """Give every worker one turn; returns how many messages were processed."""
        return sum(worker.step(timeout_s) for worker in self.workers)

    def drain(self, job_id: str, on_progress: Callable[[dict[str, Any]], None] | None = None,
              timeout_s: float = 3600.0) -> dict[str, Any]:
        """Run the workers in this thread until the job is done or failed; returns the job's row."""
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.db.job(job_id)
            if job is None:
                raise Dlp2cError(f"no job {job_id}", code="not_found")
            if on_progress is not None:
                on_progress(self.db.progress(job["paper_id"]))
            if job["status"] in ("done", "failed"):
                return job
            if time.monotonic() > deadline:
                raise Dlp2cError(f"the job did not finish within {timeout_s:.0f} s", job_id, code="timeout")
            if self.step(0.0) == 0:
                self.db.settle(job["paper_id"])
                time.sleep(0.05)

    def run_threads(self, stop: threading.Event) -> list[threading.Thread]:
        """One thread per worker until ``stop`` is set (``dlp2c serve``)."""
        threads = [threading.Thread(target=worker.run, args=(stop.is_set,), name=f"worker-{worker.stage.name}",
                                    daemon=True) for worker in self.workers]
        for thread in threads:
            thread.start()
        return threads
