"""The classification stage on the bus: a figure in; design or not, and its style, recorded; a design
sent on to flow detection. The model loads once per worker, on the first figure."""

from __future__ import annotations

from dlp2c.classifier.classify import DEFAULT_MODEL, Classifier
from dlp2c.classifier.data import decode_figure
from dlp2c.common.events import Envelope, Topic, follow
from dlp2c.common.worker import Context, Output, reason
from dlp2c.events.v1 import events_pb2 as pb


class ClassifyStage:
    name = "classifier"
    topics = (Topic.FIGURES,)

    def __init__(self, model: str = str(DEFAULT_MODEL), threshold: float = 0.5) -> None:
        self.model, self.threshold = model, threshold
        self._classifier: Classifier | None = None

    def handle(self, event: Envelope, ctx: Context) -> list[Output]:
        found = event.figure_found
        if self._classifier is None:
            self._classifier = Classifier(self.model, threshold=self.threshold)
        image = decode_figure(ctx.storage.get(found.image_key), found.image_key)
        prediction = self._classifier.classify([image])[0]
        style = prediction.style or ""
        ctx.db.set_figure(event.paper_id, found.figure_id, status="design" if prediction.design else "other",
                          p_design=round(float(prediction.p_design), 4), style=style)
        if not prediction.design:
            return []
        return [(Topic.CLASSIFIED, follow(event, figure_classified=pb.FigureClassified(
            figure_id=found.figure_id, image_key=found.image_key, style=style, p_design=prediction.p_design)))]

    def failed(self, event: Envelope, error: Exception, ctx: Context) -> None:
        ctx.db.set_figure(event.paper_id, event.figure_found.figure_id, status="failed",
                          error=reason(error))
