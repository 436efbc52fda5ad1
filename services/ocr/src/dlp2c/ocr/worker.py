"""The OCR stage on the bus, with graph assembly: a figure's detected flow in; every node's text read,
the figure graph and its overlay stored; the graph assembled (borrowing hyper-parameters from the
paper's design tables when they describe the same layers) and sent to code generation."""

from __future__ import annotations

import io
import json

from dlp2c.common.assembly import AssemblyError, assemble
from dlp2c.common.db import design_id
from dlp2c.common.events import Envelope, Topic, follow
from dlp2c.common.figure import FigureGraph
from dlp2c.common.graph import Graph
from dlp2c.common.worker import Context, Output, reason
from dlp2c.events.v1 import events_pb2 as pb
from dlp2c.ocr.figure import decode_rgb, read_figure
from dlp2c.ocr.overlay import overlay
from dlp2c.ocr.read import Reader


class OcrStage:
    name = "ocr"
    topics = (Topic.FLOWS,)

    def __init__(self) -> None:
        self._reader: Reader | None = None

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()

    def handle(self, event: Envelope, ctx: Context) -> list[Output]:
        found = event.flow_detected
        prefix = found.flow_key.rsplit("/", 1)[0]
        graph_key, overlay_key = f"{prefix}/figure-graph.json", f"{prefix}/overlay.png"
        if ctx.storage.exists(graph_key):
            figure = FigureGraph.from_json(json.loads(ctx.storage.get(graph_key)))
        else:
            pixels = decode_rgb(ctx.storage.get(found.image_key), found.image_key)
            skeleton = FigureGraph.from_json(json.loads(ctx.storage.get(found.flow_key)))
            if self._reader is None:
                self._reader = Reader()
            figure = read_figure(pixels, skeleton, self._reader)
            buffer = io.BytesIO()
            overlay(pixels, figure).save(buffer, format="PNG")
            ctx.storage.put(overlay_key, buffer.getvalue(), "image/png")
            ctx.storage.put(graph_key, json.dumps(figure.to_json()).encode(), "application/json")
        layers = figure.layers()
        row = ctx.db.figure(event.paper_id, found.figure_id) or {}
        label = row.get("label") or found.figure_id
        read = {"figure_graph_key": graph_key, "overlay_key": overlay_key,
                "layers": sum(n.kind == "layer" for n in layers.nodes), "edges": len(layers.edges)}
        tables = [(d["ref"] + (f" ({d['name']})" if d["name"] and d["name"] != d["ref"] else ""),
                   Graph.loads(ctx.storage.get(d["graph_key"]).decode()))
                  for d in ctx.db.designs_of(event.paper_id)
                  if d["source"] == "table" and d["graph_key"] and d["status"] != "failed"]
        try:
            assembled = assemble(figure, tables, name=label.replace(" ", "_").lower(), ref=label)
        except AssemblyError as exc:
            ctx.db.set_figure(event.paper_id, found.figure_id, status="unread", error=str(exc)[:2000], **read)
            return []
        ident = design_id(event.paper_id, "figure", label, label)
        design_key = f"papers/{event.paper_id}/designs/{ident}/graph.json"
        ctx.storage.put(design_key, assembled.graph.dumps(1).encode(), "application/json")
        ctx.db.add_design(event.paper_id, "figure", label, label, design_key, len(assembled.graph.nodes),
                          assembled.notes)
        ctx.db.set_figure(event.paper_id, found.figure_id, status="read", error="", **read)
        return [(Topic.DESIGNS, follow(event, design_found=pb.DesignFound(
            design_id=ident, graph_key=design_key, source="figure", ref=label)))]

    def failed(self, event: Envelope, error: Exception, ctx: Context) -> None:
        ctx.db.set_figure(event.paper_id, event.flow_detected.figure_id, status="failed",
                          error=reason(error))
