"""Foundation figures: importers and shape inference on real networks (speed, and parameter-count agreement)."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dlp2c.common.importers import load_model
from dlp2c.common.inference import infer

REFERENCE = json.loads((Path(__file__).resolve().parents[1] / "tests" / "data" / "groundtruth"
                        / "reference_models.json").read_text())
KERAS_APPS: list[str] = REFERENCE["keras_applications"]
CAFFE_REFERENCE: dict[str, int] = REFERENCE["caffe_param_counts"]


@dataclass
class Row:
    source: str
    model: str
    nodes: int
    edges: int
    ours: int
    reference: int
    import_ms: float
    infer_ms: float


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _measure(source: str, model: str, path: Path, reference: int, repeat: int) -> Row:
    graph = load_model(path)
    result = infer(graph)
    return Row(source, model, len(graph.nodes), len(graph.edges), result.total_params, reference,
               _median_ms(lambda: load_model(path), repeat), _median_ms(lambda: infer(graph), repeat))


def run(realdata: Path | None, repeat: int = 5) -> list[Row]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in KERAS_APPS:
            model = getattr(keras.applications, name)(weights=None)
            path = Path(tmp) / f"{name}.json"
            path.write_text(model.to_json())
            rows.append(_measure("keras.applications", name, path, model.count_params(), repeat))
    if realdata is not None:
        for rel, reference in CAFFE_REFERENCE.items():
            rows.append(_measure("realdata prototxt", rel, realdata / "prototxt" / rel, reference, repeat))
    return rows


def report(rows: list[Row], out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for source, marker in (("keras.applications", "o"), ("realdata prototxt", "s")):
        pts = [r for r in rows if r.source == source]
        ax.scatter([r.nodes for r in pts], [r.import_ms + r.infer_ms for r in pts], marker=marker, label=source)
        for r in pts:
            if r.nodes < 300:
                continue  # the smaller ones crowd together; the table lists every model
            label = Path(r.model).stem if "/" in r.model else r.model
            ax.annotate(label, (r.nodes, r.import_ms + r.infer_ms), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
    ax.set_xlabel("layers in the graph")
    ax.set_ylabel("import + shape inference, median ms")
    ax.set_title("Model import and shape inference time (one CPU core)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    plot = out / "foundation_import_time.png"
    fig.savefig(plot, dpi=120)
    plt.close(fig)

    agree = sum(r.ours == r.reference for r in rows)
    lines = [
        "## Foundation: importers and shape inference",
        "",
        f"Parameter counts equal to the reference: **{agree} of {len(rows)}** models "
        "(Keras' `count_params()` for keras.applications built with `weights=None`; "
        "for prototxts, what Caffe reports, as listed in the foundation issue).",
        "",
        f"![import time]({plot.name})",
        "",
        "| source | model | layers | edges | params (ours) | params (reference) | equal | import ms | infer ms |",
        "|---|---|---:|---:|---:|---:|:-:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r.source} | {r.model} | {r.nodes} | {r.edges} | {r.ours:,} | {r.reference:,} | "
                     f"{'yes' if r.ours == r.reference else '**no**'} | {r.import_ms:.1f} | {r.infer_ms:.1f} |")
    total_nodes = sum(r.nodes for r in rows)
    total_ms = sum(r.import_ms + r.infer_ms for r in rows)
    lines += ["", f"Throughput over all of them: {total_nodes / total_ms * 1000:,.0f} layers/s "
                  f"imported and shape-checked ({total_nodes:,} layers in {total_ms:,.0f} ms, medians)."]
    (out / "foundation.json").write_text(json.dumps([r.__dict__ for r in rows], indent=2))
    return "\n".join(lines)
