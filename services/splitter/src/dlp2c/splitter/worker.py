"""The splitting stage on the bus: a stored PDF in; its figures, tables and manifest stored; the tables
stage told. A redelivered message finds the manifest stored and splits nothing again."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from dlp2c.common.events import Envelope, Topic, follow
from dlp2c.common.worker import Context, Output, reason
from dlp2c.events.v1 import events_pb2 as pb
from dlp2c.splitter.isolate import split_isolated
from dlp2c.splitter.limits import Limits
from dlp2c.splitter.split import MANIFEST, Split

TYPES = {".png": "image/png", ".json": "application/json", ".csv": "text/csv"}


def split_prefix(paper_id: str) -> str:
    return f"papers/{paper_id}/split"


class SplitStage:
    name = "splitter"
    topics = (Topic.PAPERS,)

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    def handle(self, event: Envelope, ctx: Context) -> list[Output]:
        prefix = split_prefix(event.paper_id)
        manifest_key = f"{prefix}/{MANIFEST}"
        if not ctx.storage.exists(manifest_key):
            with tempfile.TemporaryDirectory(prefix="dlp2c-split-") as tmp:
                pdf = Path(tmp) / "paper.pdf"
                pdf.write_bytes(ctx.storage.get(event.paper_submitted.pdf_key))
                out = Path(tmp) / "out"
                result = split_isolated(pdf, out, self.limits)
                files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != MANIFEST)
                for path in files:  # the manifest last: its presence says the rest is stored
                    ctx.storage.put(f"{prefix}/{path.relative_to(out).as_posix()}", path.read_bytes(),
                                    TYPES.get(path.suffix, "application/octet-stream"))
                ctx.storage.put(manifest_key, _manifest(result), "application/json")
        else:
            result = Split.from_json(json.loads(ctx.storage.get(manifest_key)))
        meta = result.meta
        ctx.db.set_paper(event.paper_id, title=meta.title[:2000], authors=meta.authors[:50], arxiv_id=meta.arxiv_id,
                         pages=meta.pages, manifest_key=manifest_key, status="split", error="")
        return [(Topic.SPLIT, follow(event, paper_split=pb.PaperSplit(manifest_key=manifest_key)))]

    def failed(self, event: Envelope, error: Exception, ctx: Context) -> None:
        ctx.db.set_paper(event.paper_id, status="failed", error=reason(error))


def _manifest(result: Split) -> bytes:
    return json.dumps(result.to_json(), indent=1).encode()
