"""Code generation figures: latency per target (the editor's budget), verification time, random graphs
from the grammar, and the round trip of real models through all four targets."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dlp2c.codegen.generate import generate, render_target
from dlp2c.codegen.plan import make_plan
from dlp2c.codegen.samples import random_graph
from dlp2c.codegen.targets import TARGETS
from dlp2c.codegen.verify import verify_designs
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.graph import Graph
from dlp2c.common.importers import load_model

REFERENCE = json.loads((Path(__file__).resolve().parents[1] / "tests" / "data" / "groundtruth"
                        / "reference_models.json").read_text())
KERAS_APPS: list[str] = REFERENCE["keras_applications"]
ALL = list(TARGETS)


@dataclass
class Latency:
    target: str
    median_ms: float
    p95_ms: float


@dataclass
class ModelResult:
    source: str
    model: str
    layers: int
    params: int
    targets: dict[str, str] = field(default_factory=dict)  # target -> "ok", or why not
    counts: dict[str, int | None] = field(default_factory=dict)


@dataclass
class Results:
    layers: int
    latency: list[Latency]
    plan_ms: float
    verify_s: dict[str, float]
    random_total: int
    random_ok: dict[str, int]
    random_s: float
    models: list[ModelResult]
    caffe_engine: str


def _quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def latency(graph: Graph, runs: int) -> tuple[list[Latency], float]:
    """Graph in, files out, per target, as the editor calls it on every change (shape check included)."""
    out = []
    plan_times = []
    for target in ALL:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            plan = make_plan(graph)
            mid = time.perf_counter()
            result = render_target(plan, target)
            times.append((time.perf_counter() - start) * 1000)
            plan_times.append((mid - start) * 1000)
            assert result.ok, result.error
        out.append(Latency(target, *_quantiles(times)))
    return out, statistics.median(plan_times)


def _verify_all(items: list[tuple[str, Graph]], root: Path) -> list[tuple[str, Graph, object, dict[str, str],
                                                                           dict[str, int | None]]]:
    """Generate and verify many graphs, each target in one batch; per graph, per target: 'ok' or the reason."""
    written = []
    for i, (name, graph) in enumerate(items):
        generated = generate(graph, ["all"])
        folder = root / f"{i:04d}"
        generated.write(folder)
        written.append((name, graph, generated, folder))
    status: list[dict[str, str]] = [{} for _ in written]
    counts: list[dict[str, int | None]] = [{} for _ in written]
    for target in ALL:
        ready = [(k, w) for k, w in enumerate(written) if w[2].results[target].ok]
        for k, w in enumerate(written):
            if not w[2].results[target].ok:
                status[k][target] = f"not generated: {w[2].results[target].error}"
        checks = verify_designs([(w[2].plan, w[3]) for _, w in ready], target)
        for (k, _w), check in zip(ready, checks, strict=True):
            status[k][target] = "ok" if check.ok else (
                check.error or f"shapes {check.outputs} vs {check.expected_outputs}, "
                               f"params {check.params} vs {check.expected_params}")
            counts[k][target] = check.params
    return [(n, g, gen, s, c) for (n, g, gen, _f), s, c in zip(written, status, counts, strict=True)]


def run(realdata: Path | None, runs: int = 200, random_graphs: int = 1000) -> Results:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from dlp2c.codegen.settings import CodegenSettings

    caffe_engine = "real Caffe" if CodegenSettings().caffe_interpreter() else "caffe.proto schema only"
    graph = random_graph(seed=41, layers=40)  # 40 layers after its Input
    layers = len(graph.nodes)
    lat, plan_ms = latency(graph, runs)

    verify_s = {}
    with tempfile.TemporaryDirectory() as tmp:
        generated = generate(graph, ["all"])
        generated.write(tmp)
        for target in ALL:
            start = time.perf_counter()
            check = verify_designs([(generated.plan, Path(tmp))], target)[0]
            verify_s[target] = time.perf_counter() - start
            assert check.ok, (target, check.error)

    print(f"  {random_graphs} random graphs ...", flush=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        items = [(f"random-{seed}", random_graph(seed, layers=8 + seed % 25)) for seed in range(random_graphs)]
        verified = _verify_all(items, Path(tmp))
    random_s = time.perf_counter() - start
    random_ok = {t: sum(1 for *_, s, _c in verified if s[t] == "ok") for t in ALL}

    print("  real models ...", flush=True)
    models: list[tuple[str, str, Graph]] = []
    import keras

    with tempfile.TemporaryDirectory() as tmp:
        for name in KERAS_APPS:
            path = Path(tmp) / f"{name}.json"
            path.write_text(getattr(keras.applications, name)(weights=None).to_json())
            models.append(("keras.applications", name, load_model(path)))
            keras.backend.clear_session()
    if realdata is not None:
        files = sorted((realdata / "prototxt").rglob("*.prototxt")) + sorted((realdata / "keras").rglob("*.json"))
        for path in files:
            try:
                models.append((f"realdata {path.parent.parent.name}", str(path.relative_to(realdata)),
                               load_model(path)))
            except Dlp2cError:
                continue  # does not import (the foundation report lists why); not a code generation case
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        verified = _verify_all([(f"{s}:{m}", g) for s, m, g in models], Path(tmp))
        for (source, model, graph), (_n, _g, gen, status, counts) in zip(models, verified, strict=True):
            results.append(ModelResult(source, model, len(graph.nodes), gen.plan.total_params, status, counts))
    return Results(layers, lat, plan_ms, verify_s, random_graphs, random_ok, random_s, results,
                   caffe_engine)


def report(r: Results, out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    xs = range(len(r.latency))
    ax.bar([x - 0.2 for x in xs], [item.median_ms for item in r.latency], width=0.4, label="median")
    ax.bar([x + 0.2 for x in xs], [item.p95_ms for item in r.latency], width=0.4, label="p95")
    ax.axhline(20, color="red", linestyle="--", linewidth=1, label="goal: 20 ms median")
    ax.set_xticks(list(xs), [item.target for item in r.latency])
    ax.set_ylabel("ms per generation (shape check included)")
    ax.set_title(f"Code generation latency, {r.layers}-layer graph")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    plot = out / "codegen_latency.png"
    fig.savefig(plot, dpi=120)
    plt.close(fig)

    lines = [
        "## Code generation",
        "",
        f"Latency of graph in, files out, for a {r.layers}-layer graph (the editor regenerates on every change; "
        f"goal: under 20 ms median without verification). Shape inference and naming alone: "
        f"{r.plan_ms:.2f} ms median.",
        "",
        f"![latency]({plot.name})",
        "",
        "| target | median ms | p95 ms | verification s (build + run, own process) |",
        "|---|---:|---:|---:|",
    ]
    for item in r.latency:
        lines.append(f"| {item.target} | {item.median_ms:.2f} | {item.p95_ms:.2f} | {r.verify_s[item.target]:.1f} |")
    lines += [
        "",
        f"Caffe verification ran in: {r.caffe_engine}.",
        "",
        f"### {r.random_total} random graphs from the grammar",
        "",
        f"Generated and verified (built, run, output shape and parameter count equal to shape inference) "
        f"in {r.random_s:.0f} s:",
        "",
        "| target | verified |",
        "|---|---:|",
    ]
    for target, ok in r.random_ok.items():
        lines.append(f"| {target} | {ok} / {r.random_total} ({100 * ok / r.random_total:.1f}%) |")
    full = sum(1 for m in r.models if all(v == "ok" for v in m.targets.values()))
    lines += [
        "",
        "### Round trip of real models",
        "",
        f"Every keras.applications model of the foundation issue and every real prototxt and Keras JSON that "
        f"imports, generated for all four targets and verified: **{full} of {len(r.models)}** pass in all four; "
        f"the others name the target and the reason.",
        "",
        "| source | model | layers | params | keras | caffe | pytorch | onnx |",
        "|---|---|---:|---:|---|---|---|---|",
    ]
    for m in r.models:
        cells = []
        for t in ALL:
            status = m.targets.get(t, "")
            cells.append(f"ok ({m.counts.get(t) or 0:,})" if status == "ok" else status.replace("|", "/")[:90])
        lines.append(f"| {m.source} | {m.model} | {m.layers} | {m.params:,} | " + " | ".join(cells) + " |")
    (out / "codegen.json").write_text(json.dumps(asdict(r), indent=2, default=str))
    return "\n".join(lines)
