"""The tables stage on the bus: a split paper in; each table classified (design or results, row- or
column-major) and each design table read into graphs, stored and sent to code generation; then every
figure sent on to classification (after the tables, so a figure's graph can borrow a table's values)."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from dlp2c.common.db import design_id
from dlp2c.common.document import PaperFigure, Table
from dlp2c.common.events import Envelope, Topic, follow
from dlp2c.common.worker import Context, Output, reason
from dlp2c.events.v1 import events_pb2 as pb
from dlp2c.tables.kind import classify
from dlp2c.tables.read import read_table


def designs_prefix(paper_id: str) -> str:
    return f"papers/{paper_id}/designs"


class TablesStage:
    name = "tables"
    topics = (Topic.SPLIT,)

    def handle(self, event: Envelope, ctx: Context) -> list[Output]:
        paper_id = event.paper_id
        manifest_key = event.paper_split.manifest_key
        manifest = json.loads(ctx.storage.get(manifest_key))
        split_prefix = manifest_key.rsplit("/", 1)[0]
        outputs: list[Output] = []
        summary: list[dict[str, Any]] = []
        for entry in manifest.get("tables", []):
            table = Table.from_json(entry)
            kind = classify(table)
            record: dict[str, Any] = {"label": table.label, "caption": table.caption, "page": table.page,
                                      "kind": kind.to_json(), "designs": []}
            for design in read_table(table, kind):
                ident = design_id(paper_id, "table", table.label, design.name)
                key = f"{designs_prefix(paper_id)}/{ident}/graph.json"
                notes = [*(f"left out: {name}" for name in design.left_out), *design.notes]
                if design.graph is not None:
                    ctx.storage.put(key, json.dumps(design.graph.to_json(), indent=1).encode(), "application/json")
                layers = len(design.graph.nodes) if design.graph is not None else 0
                ctx.db.add_design(paper_id, "table", table.label, design.name,
                                  key if design.graph is not None else "", layers, notes)
                record["designs"].append({"id": ident, "name": design.name, "error": design.error, "notes": notes})
                if design.graph is None or design.error:
                    ctx.db.set_design(ident, status="failed", error=design.error or "no layers could be read")
                    continue
                outputs.append((Topic.DESIGNS, follow(event, design_found=pb.DesignFound(
                    design_id=ident, graph_key=key, source="table", ref=table.label))))
            summary.append(record)
        ctx.storage.put(f"{split_prefix}/tables.json", json.dumps(summary, indent=1).encode(), "application/json")

        figures = [PaperFigure.from_json(f) for f in manifest.get("figures", [])]
        rows, sends = [], []
        for figure in figures:
            if not figure.image:
                continue
            figure_id = PurePosixPath(figure.image).stem
            image_key = f"{split_prefix}/{figure.image}"
            rows.append({"figure_id": figure_id, "label": figure.label, "caption": figure.caption[:4000],
                         "page": figure.page, "image_key": image_key})
            sends.append((Topic.FIGURES, follow(event, figure_found=pb.FigureFound(
                figure_id=figure_id, image_key=image_key, manifest_key=manifest_key))))
        ctx.db.add_figures(paper_id, rows)
        ctx.db.set_paper(paper_id, status="tables_read")
        return outputs + sends

    def failed(self, event: Envelope, error: Exception, ctx: Context) -> None:
        ctx.db.set_paper(event.paper_id, status="failed",
                         error=reason(error))
