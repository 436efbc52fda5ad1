"""The pipeline's topics and the envelope every message travels in (``dlp2c.events.v1.Envelope``).

One topic per hand-off. ``FINISHED`` is public: other lab services subscribe to it to learn of each
finished design (its graph and code keys). ``DEAD`` keeps, whole, every message a stage could not
process, with the reason.
"""

from __future__ import annotations

import time
import uuid
from enum import StrEnum
from typing import Any

from dlp2c.common.errors import Dlp2cError
from dlp2c.events.v1 import events_pb2 as pb
from google.protobuf.message import DecodeError

Envelope = pb.Envelope


class Topic(StrEnum):
    PAPERS = "dlp2c.papers.v1"  # PaperSubmitted -> splitter
    SPLIT = "dlp2c.split.v1"  # PaperSplit -> tables (then each figure to FIGURES)
    FIGURES = "dlp2c.figures.v1"  # FigureFound -> classifier
    CLASSIFIED = "dlp2c.classified.v1"  # FigureClassified -> flow
    FLOWS = "dlp2c.flows.v1"  # FlowDetected -> ocr (and graph assembly)
    DESIGNS = "dlp2c.designs.v1"  # DesignFound -> codegen
    FINISHED = "dlp2c.finished.v1"  # DesignFinished: public
    DEAD = "dlp2c.dead.v1"  # DeadLetter


class EventError(Dlp2cError):
    code = "bad_event"


def new_event(paper_id: str, job_id: str, trace_id: str, **body: Any) -> pb.Envelope:
    """An envelope with a fresh id; ``body`` is one keyword naming the oneof member and its message."""
    if len(body) != 1:
        raise ValueError("an envelope carries exactly one body")
    envelope = pb.Envelope(event_id=uuid.uuid4().hex, paper_id=paper_id, job_id=job_id, trace_id=trace_id,
                           attempt=1, created_ms=int(time.time() * 1000))
    (field, message), = body.items()
    getattr(envelope, field).CopyFrom(message)
    return envelope


def follow(parent: pb.Envelope, **body: Any) -> pb.Envelope:
    """An event caused by ``parent``: same paper, job and trace."""
    return new_event(parent.paper_id, parent.job_id, parent.trace_id, **body)


def decode(data: bytes, topic: str = "") -> pb.Envelope:
    envelope = pb.Envelope()
    try:
        envelope.ParseFromString(data)
    except DecodeError as exc:
        raise EventError(f"not a dlp2c.events.v1.Envelope: {exc}", topic) from exc
    if not envelope.event_id or envelope.WhichOneof("body") is None:
        raise EventError("an envelope without an id or a body", topic)
    return envelope
