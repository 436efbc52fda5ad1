"""The flow detection stage on the bus: a design figure in; its nodes, outlines and directed edges stored
(a figure graph whose nodes are not read yet) and sent on to OCR."""

from __future__ import annotations

import json

import cv2
import numpy as np
from dlp2c.common.events import Envelope, Topic, follow
from dlp2c.common.worker import Context, Output, reason
from dlp2c.events.v1 import events_pb2 as pb
from dlp2c.flow.detect import FlowError, detect


def decode_image(data: bytes, where: str) -> np.ndarray:
    """Encoded image bytes as RGB pixels."""
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if pixels is None:
        raise FlowError("not an image OpenCV can read", where)
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)


def figure_prefix(paper_id: str, figure_id: str) -> str:
    return f"papers/{paper_id}/figures/{figure_id}"


class FlowStage:
    name = "flow"
    topics = (Topic.CLASSIFIED,)

    def handle(self, event: Envelope, ctx: Context) -> list[Output]:
        found = event.figure_classified
        key = f"{figure_prefix(event.paper_id, found.figure_id)}/flow.json"
        if ctx.storage.exists(key):
            nodes = len(json.loads(ctx.storage.get(key))["nodes"])
        else:
            skeleton = detect(decode_image(ctx.storage.get(found.image_key), found.image_key)).to_figure()
            nodes = len(skeleton.nodes)
            ctx.storage.put(key, json.dumps(skeleton.to_json()).encode(), "application/json")
        if nodes < 2:
            ctx.db.set_figure(event.paper_id, found.figure_id, status="unread", flow_key=key,
                              error=f"flow detection found {nodes} node(s); a design needs two or more")
            return []
        ctx.db.set_figure(event.paper_id, found.figure_id, status="detected", flow_key=key)
        return [(Topic.FLOWS, follow(event, flow_detected=pb.FlowDetected(
            figure_id=found.figure_id, image_key=found.image_key, flow_key=key)))]

    def failed(self, event: Envelope, error: Exception, ctx: Context) -> None:
        ctx.db.set_figure(event.paper_id, event.figure_classified.figure_id, status="failed",
                          error=reason(error))
