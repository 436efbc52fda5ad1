"""The code generation stage on the bus: a design's graph in; Keras, Caffe, PyTorch and ONNX code stored
(each file, and one zip of them all), each target built and run when verification is on; the finished
design announced on the public topic with its keys."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

from dlp2c.codegen.generate import Generated, render_target
from dlp2c.codegen.plan import make_plan
from dlp2c.codegen.settings import CodegenSettings
from dlp2c.codegen.verify import verify
from dlp2c.common.events import Envelope, Topic, follow
from dlp2c.common.graph import Graph
from dlp2c.common.worker import Context, Output, reason
from dlp2c.events.v1 import events_pb2 as pb

TARGETS = ("keras", "caffe", "pytorch", "onnx")


def zip_files(files: dict[str, bytes], root: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            info = zipfile.ZipInfo(f"{root}/{name}", date_time=(2018, 2, 2, 0, 0, 0))  # fixed: same bytes each run
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


class CodegenStage:
    name = "codegen"
    topics = (Topic.DESIGNS,)

    def __init__(self, settings: CodegenSettings | None = None) -> None:
        self.settings = settings or CodegenSettings()

    def handle(self, event: Envelope, ctx: Context) -> list[Output]:
        found = event.design_found
        prefix = found.graph_key.rsplit("/", 1)[0] + "/code"
        report_key = f"{prefix}/verify.json"
        if ctx.storage.exists(report_key):
            report = json.loads(ctx.storage.get(report_key))
        else:
            graph = Graph.loads(ctx.storage.get(found.graph_key).decode())
            plan = make_plan(graph)
            deferred = {}
            if plan.total_params > self.settings.onnx_max_params:
                deferred["onnx"] = (f"{plan.total_params:,} parameters: the ONNX file would hold "
                                    f"{plan.total_params * 4 / 2**20:,.0f} MB of random weights; write it with "
                                    "`dlp2c generate graph.json -t onnx`")
            generated = Generated(plan, {t: render_target(plan, t) for t in TARGETS if t not in deferred})
            files = generated.files()
            checks: dict[str, dict] = {}
            if self.settings.verify_code:
                with tempfile.TemporaryDirectory(prefix="dlp2c-verify-") as tmp:
                    generated.write(tmp)
                    checks = {t: c.to_dict() for t, c in verify(generated, Path(tmp), self.settings).items()}
            for name, content in files.items():
                ctx.storage.put(f"{prefix}/{name}", content)
            ctx.storage.put(f"{prefix}/code.zip", zip_files(files, found.design_id), "application/zip")
            failed = sorted({t for t, r in generated.results.items() if not r.ok}
                            | {t for t, c in checks.items() if not c["ok"]})
            report = {"params": generated.plan.total_params, "files": sorted(files), "checks": checks,
                      "deferred": deferred,
                      "failed_targets": failed, "verified": self.settings.verify_code,
                      "errors": {t: str(r.error) for t, r in generated.results.items() if r.error is not None}}
            ctx.storage.put(report_key, json.dumps(report, indent=1).encode(), "application/json")
        code_keys = {t: f"{prefix}/{t}" for t in TARGETS
                     if t not in report["failed_targets"] and t not in report.get("deferred", {})}
        code_keys["all"] = f"{prefix}/code.zip"
        row = ctx.db.design(found.design_id) or {"notes": []}
        notes = row["notes"] + [f"{t}: not stored, {why}" for t, why in report.get("deferred", {}).items()
                                if f"{t}: not stored, {why}" not in row["notes"]]
        ctx.db.set_design(found.design_id, status="generated", params=report["params"], code_keys=code_keys,
                          failed_targets=report["failed_targets"], notes=notes, error="")
        finished = pb.DesignFinished(design_id=found.design_id, graph_key=found.graph_key, params=report["params"],
                                     failed_targets=report["failed_targets"])
        finished.code_keys.update(code_keys)
        return [(Topic.FINISHED, follow(event, design_finished=finished))]

    def failed(self, event: Envelope, error: Exception, ctx: Context) -> None:
        ctx.db.set_design(event.design_found.design_id, status="failed",
                          error=reason(error))
