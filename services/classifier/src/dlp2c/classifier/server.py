"""The gRPC ClassifierService: figures in batches through the shipped model (GPU when TensorFlow sees one).

Run: ``python -m dlp2c.classifier.server`` (port from DLP2C_GRPC_PORT, default 50061).
"""

from __future__ import annotations

import threading

import grpc
from dlp2c.classifier.classify import DEFAULT_MODEL, Classifier
from dlp2c.classifier.data import decode_figure
from dlp2c.classifier.v1 import classifier_pb2 as pb
from dlp2c.classifier.v1 import classifier_pb2_grpc as pb_grpc
from dlp2c.common import rpc
from dlp2c.common.errors import Dlp2cError

SERVICE_NAME = "dlp2c.classifier.v1.ClassifierService"


class ClassifierServicer(pb_grpc.ClassifierServiceServicer):
    def __init__(self, model: str = str(DEFAULT_MODEL)) -> None:
        self.model = model
        self._classifier: Classifier | None = None
        self._lock = threading.Lock()

    def Classify(self, request: pb.ClassifyRequest, context: grpc.ServicerContext) -> pb.ClassifyResponse:
        images, errors = [], {}
        for index, data in enumerate(request.images):
            try:
                images.append((index, decode_figure(data, f"images[{index}]")))
            except Dlp2cError as exc:
                errors[index] = str(exc)
        with self._lock:
            if self._classifier is None:
                self._classifier = Classifier(self.model)
            predictions = dict(zip([i for i, _ in images], self._classifier.classify([im for _, im in images]),
                                   strict=True))
        response = pb.ClassifyResponse()
        for index in range(len(request.images)):
            if index in errors:
                response.predictions.add(error=errors[index])
                continue
            p = predictions[index]
            response.predictions.add(design=p.design, p_design=p.p_design, style=p.style or "",
                                     p_style=p.p_style if p.style else 0.0)
        return response


def registration() -> rpc.Registration:
    return (pb_grpc.add_ClassifierServiceServicer_to_server, ClassifierServicer(), SERVICE_NAME)


if __name__ == "__main__":
    rpc.serve_forever([registration()], "classifier")
