"""Submitting a paper: the PDF stored under its hash, its job recorded, the splitter told.

The CLI, the REST gateway and the crawler all submit through here, so the same PDF gives the same
paper and one run, whoever sends it.
"""

from __future__ import annotations

import hashlib

from dlp2c.common.bus import Bus
from dlp2c.common.db import Database, Submission
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.events import Topic, new_event
from dlp2c.common.storage import Storage
from dlp2c.events.v1 import events_pb2 as pb

PDF_MAGIC = b"%PDF-"


class SubmitError(Dlp2cError):
    code = "bad_submission"


def paper_id_of(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def submit_pdf(storage: Storage, db: Database, bus: Bus, pdf: bytes, source: str = "", owner: str = "",
               callback_url: str = "") -> Submission:
    """Store the PDF under its hash and start its job; the same PDF again returns its first job."""
    if not pdf.startswith(PDF_MAGIC):
        raise SubmitError("not a PDF: the file does not start with %PDF-", source[:200])
    paper_id = paper_id_of(pdf)
    key = f"papers/{paper_id}/paper.pdf"
    if not storage.exists(key):
        storage.put(key, pdf, "application/pdf")
    submission = db.submit(paper_id, key, source[:300], owner, callback_url)
    if submission.new:
        event = new_event(paper_id, submission.job_id, submission.trace_id,
                          paper_submitted=pb.PaperSubmitted(pdf_key=key, source=source[:300]))
        bus.publish(Topic.PAPERS, paper_id, event.SerializeToString())
        bus.flush()
    return submission
