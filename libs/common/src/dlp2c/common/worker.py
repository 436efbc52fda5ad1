"""One loop for every stage: take a message, run the stage, store and publish what it made, then commit.

The guarantees the services promise live here, once:

- offsets are committed only after the stage's outputs are stored and its events published, so a
  crash redelivers the message (and the stage, finding its outputs stored, redoes nothing);
- an unexpected error is retried with exponential back-off; a bad input (a :class:`Dlp2cError`
  that is not transient) is not retried;
- what still fails goes to the dead-letter topic, whole, with the reason, and the stage records the
  failure on its item, so nothing is dropped and the job still finishes;
- after each message the paper's jobs are settled, and a finished job's callback URL is called.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from dlp2c.common.bus import Bus, Message
from dlp2c.common.db import Database
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.events import Envelope, EventError, Topic, decode
from dlp2c.common.settings import InfraSettings
from dlp2c.common.storage import Storage
from dlp2c.events.v1 import events_pb2 as pb
from prometheus_client import Counter, Histogram

log = logging.getLogger("dlp2c.worker")

MESSAGES = Counter("dlp2c_messages_total", "Messages a stage finished, by outcome", ["stage", "outcome"])
SECONDS = Histogram("dlp2c_stage_seconds", "Time a stage spent on one message", ["stage"],
                    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
RETRIES = Counter("dlp2c_retries_total", "Tries that failed and were repeated", ["stage"])

Output = tuple[str, Envelope]


@dataclass
class Context:
    """What a stage works with: the artifact store, the metadata database, the settings."""

    storage: Storage
    db: Database
    settings: InfraSettings


class Stage(Protocol):
    name: str
    topics: tuple[str, ...]

    def handle(self, event: Envelope, ctx: Context) -> list[Output]:
        """Do the work for one event; store its outputs; return the events to publish."""
        ...

    def failed(self, event: Envelope, error: Exception, ctx: Context) -> None:
        """Record on the event's item (paper, figure, design) that it could not be processed."""
        ...


def reason(error: Exception) -> str:
    """What a failed item records: the error's code and message (bounded)."""
    return f"{getattr(error, 'code', type(error).__name__)}: {error}"[:2000]


def is_transient(error: Exception) -> bool:
    if isinstance(error, Dlp2cError):
        return bool(getattr(error, "transient", False))
    return True


class Worker:
    def __init__(self, stage: Stage, ctx: Context, bus: Bus, group: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.stage, self.ctx, self.bus = stage, ctx, bus
        self.group = group or f"dlp2c-{stage.name}"
        self.consumer = bus.consumer(stage.topics, self.group)
        self.sleep = sleep

    def step(self, timeout_s: float = 1.0, max_messages: int = 8) -> int:
        """Process what arrives within ``timeout_s``; returns how many messages were finished."""
        messages = self.consumer.poll(timeout_s, max_messages)
        for message in messages:
            self.process(message)
        return len(messages)

    def run(self, stop: Callable[[], bool], timeout_s: float = 1.0) -> None:
        while not stop():
            self.step(timeout_s)

    def close(self) -> None:
        self.consumer.close()

    def process(self, message: Message) -> None:
        try:
            event = decode(message.value, message.topic)
        except EventError as exc:
            self._dead(message, None, exc, 0)
            self.consumer.commit(message)
            MESSAGES.labels(self.stage.name, "bad_event").inc()
            return
        ids = {"stage": self.stage.name, "paper_id": event.paper_id, "job_id": event.job_id,
               "trace_id": event.trace_id, "event_id": event.event_id, "topic": message.topic}
        attempts = max(1, self.ctx.settings.max_attempts)
        for attempt in range(event.attempt or 1, attempts + 1):
            event.attempt = attempt
            started = time.perf_counter()
            try:
                outputs = self.stage.handle(event, self.ctx)
                for topic, out in outputs:
                    self.bus.publish(topic, out.paper_id, out.SerializeToString())
                self.bus.flush()
            except Exception as exc:  # the stage's own errors and everything under it
                last = attempt == attempts or not is_transient(exc)
                log.warning("%s: %s", "gave up" if last else "will retry", exc, exc_info=last and is_transient(exc),
                            extra={**ids, "attempt": attempt, "code": getattr(exc, "code", type(exc).__name__)})
                if not last:
                    RETRIES.labels(self.stage.name).inc()
                    self.sleep(self.ctx.settings.backoff_s * 2 ** (attempt - 1))
                    continue
                self._give_up(message, event, exc, attempt)
                MESSAGES.labels(self.stage.name, "dead").inc()
                break
            seconds = time.perf_counter() - started
            SECONDS.labels(self.stage.name).observe(seconds)
            MESSAGES.labels(self.stage.name, "ok").inc()
            log.info("done: %d event(s) out", len(outputs), extra={**ids, "attempt": attempt,
                                                                    "seconds": round(seconds, 3)})
            break
        self._settle(event)
        self.consumer.commit(message)

    def _give_up(self, message: Message, event: Envelope, error: Exception, attempt: int) -> None:
        try:
            self.stage.failed(event, error, self.ctx)
        finally:
            self._dead(message, event, error, attempt)

    def _dead(self, message: Message, event: Envelope | None, error: Exception, attempt: int) -> None:
        letter = pb.DeadLetter(topic=message.topic, stage=self.stage.name,
                               code=str(getattr(error, "code", type(error).__name__)), reason=str(error)[:2000],
                               original=message.value)
        envelope = pb.Envelope(event_id=(event.event_id if event else "") + "-dead", attempt=attempt,
                               paper_id=event.paper_id if event else "", job_id=event.job_id if event else "",
                               trace_id=event.trace_id if event else "", created_ms=int(time.time() * 1000))
        envelope.dead_letter.CopyFrom(letter)
        self.bus.publish(Topic.DEAD, envelope.paper_id, envelope.SerializeToString())
        self.bus.flush()

    def _settle(self, event: Envelope) -> None:
        for job in self.ctx.db.settle(event.paper_id):
            log.info("job %s", job["status"], extra={"stage": self.stage.name, "paper_id": event.paper_id,
                                                     "job_id": job["id"], "trace_id": job["trace_id"]})
            if job.get("callback_url"):
                status = notify(job["callback_url"], {"job_id": job["id"], "paper_id": event.paper_id,
                                                      "status": job["status"], "error": job.get("error", "")},
                                self.sleep)
                self.ctx.db.set_job(job["id"], callback_status=status)


def notify(url: str, body: dict[str, Any], sleep: Callable[[float], None] = time.sleep, tries: int = 3) -> str:
    """POST the job's outcome to its callback URL; returns what happened ("200", "failed: ...")."""
    data = json.dumps(body).encode()
    outcome = ""
    for attempt in range(tries):
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/json", "User-Agent": "dlp2c"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return str(response.status)
        except Exception as exc:  # an unreachable or failing receiver must not stop the pipeline
            outcome = f"failed: {exc}"[:40]
            sleep(0.5 * 2 ** attempt)
    return outcome
