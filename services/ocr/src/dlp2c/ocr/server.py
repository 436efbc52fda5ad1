"""The gRPC OcrService: a thin servicer over :func:`dlp2c.ocr.figure.read_figure` (one Tesseract
instance, used by one request at a time: it is not thread-safe).

Run: ``python -m dlp2c.ocr.server`` (port from DLP2C_GRPC_PORT, default 50061).
"""

from __future__ import annotations

import json
import threading

import grpc
from dlp2c.common import rpc
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.figure import FigureGraph
from dlp2c.ocr.figure import decode_rgb, read_figure
from dlp2c.ocr.read import Reader
from dlp2c.ocr.v1 import ocr_pb2 as pb
from dlp2c.ocr.v1 import ocr_pb2_grpc as pb_grpc

SERVICE_NAME = "dlp2c.ocr.v1.OcrService"


class OcrServicer(pb_grpc.OcrServiceServicer):
    def __init__(self) -> None:
        self._reader: Reader | None = None
        self._lock = threading.Lock()

    def Read(self, request: pb.ReadRequest, context: grpc.ServicerContext) -> pb.ReadResponse:
        try:
            pixels = decode_rgb(request.image, "image")
            skeleton = FigureGraph.from_json(json.loads(request.skeleton_json))
            with self._lock:
                if self._reader is None:
                    self._reader = Reader()
                figure = read_figure(pixels, skeleton, self._reader, request.style or "auto")
        except (Dlp2cError, ValueError, KeyError, TypeError) as exc:
            rpc.abort_bad_input(context, exc)
        return pb.ReadResponse(figure_graph_json=json.dumps(figure.to_json()))


def registration() -> rpc.Registration:
    return (pb_grpc.add_OcrServiceServicer_to_server, OcrServicer(), SERVICE_NAME)


if __name__ == "__main__":
    rpc.serve_forever([registration()], "ocr")
