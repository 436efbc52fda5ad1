"""The gRPC TablesService: a thin servicer over table classification and :func:`dlp2c.tables.read.read_table`.

Run: ``python -m dlp2c.tables.server`` (port from DLP2C_GRPC_PORT, default 50061).
"""

from __future__ import annotations

import json

import grpc
from dlp2c.common import rpc
from dlp2c.common.document import Table
from dlp2c.common.proto_io import to_proto
from dlp2c.tables.kind import classify
from dlp2c.tables.read import read_table
from dlp2c.tables.v1 import tables_pb2 as pb
from dlp2c.tables.v1 import tables_pb2_grpc as pb_grpc

SERVICE_NAME = "dlp2c.tables.v1.TablesService"


class TablesServicer(pb_grpc.TablesServiceServicer):
    def ReadTable(self, request: pb.ReadTableRequest, context: grpc.ServicerContext) -> pb.ReadTableResponse:
        try:
            table = Table.from_json(json.loads(request.table_json))
        except (ValueError, KeyError, TypeError) as exc:
            rpc.abort_bad_input(context, ValueError(f"table_json is not a table: {type(exc).__name__}: {exc}"))
        kind = classify(table)
        response = pb.ReadTableResponse(design=kind.design, major=kind.major, design_score=kind.design_score)
        for design in read_table(table, kind):
            item = response.designs.add(name=design.name, notes=design.notes, left_out=design.left_out,
                                        error=design.error)
            if design.graph is not None:
                item.graph.CopyFrom(to_proto(design.graph))
        return response


def registration() -> rpc.Registration:
    return (pb_grpc.add_TablesServiceServicer_to_server, TablesServicer(), SERVICE_NAME)


if __name__ == "__main__":
    rpc.serve_forever([registration()], "tables")
