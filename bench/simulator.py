"""Simulator figures: models and images per second per core for each style, the projected time of
the paper's 216,000-image set on this machine, and how faithfully the files import back."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PAPER_MODELS = 108_000


@dataclass
class Results:
    per_style_s: dict[str, float] = field(default_factory=dict)  # mean seconds per image, one core
    model_s: float = 0.0  # mean seconds per model before any drawing (grammar, Keras, prototxt)
    negative_s: dict[str, float] = field(default_factory=dict)
    parallel_models: int = 0
    parallel_workers: int = 2
    parallel_wall_s: float = 0.0
    parallel_startup_s: float = 0.0  # until the first model is done (workers import TensorFlow)
    parallel_steady_rate: float = 0.0  # models per second over the second half of the run
    mean_megapixels: float = 0.0
    parallel_images: int = 0  # a SimpleRNN model has no Caffe image
    roundtrip: dict[str, int] = field(default_factory=dict)
    failed: int = 0


def run(single: int = 72, negatives: int = 32, parallel: int = 1000, workers: int = 2) -> Results:
    from dlp2c.common.design import differences
    from dlp2c.common.errors import Dlp2cError
    from dlp2c.common.graph import Graph
    from dlp2c.common.importers import load_model
    from dlp2c.simulator.dataset import STYLES, Options, simulate

    res = Results(parallel_workers=workers)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"  {single} models in every style and {negatives} negatives on one core ...", flush=True)
        one = simulate(f"{tmp}/one", Options(n=single, seed=2026, styles=STYLES, negatives=negatives), workers=1)
        models = [m for m in one.metas if m["kind"] == "model" and "error" not in m]
        res.failed += sum("error" in m for m in one.metas)
        # medians: the first item of a worker also pays for importing TensorFlow and starting Graphviz
        res.model_s = statistics.median(m["timings"]["model"] for m in models)
        for style in STYLES:
            times = [m["timings"][style] for m in models if any(i["style"] == style for i in m["images"])]
            res.per_style_s[style] = statistics.median(times)
        for m in one.metas:
            if m["kind"] == "negative" and "error" not in m:
                res.negative_s.setdefault(m["negative"], []).append(m["seconds"])  # type: ignore[attr-defined]
        res.negative_s = {k: statistics.median(v) for k, v in res.negative_s.items()}  # type: ignore[arg-type]

        print(f"  {parallel} models, Keras and Caffe styles, {workers} workers ...", flush=True)
        started = time.perf_counter()
        stamps: list[float] = []
        two = simulate(f"{tmp}/two", Options(n=parallel, seed=2027, styles=("keras", "caffe")), workers=workers,
                       progress=lambda done, total, meta: stamps.append(time.perf_counter() - started))
        res.parallel_wall_s = time.perf_counter() - started
        res.parallel_models = len(two.metas)
        res.parallel_startup_s = stamps[1]
        half = len(stamps) // 2
        res.parallel_steady_rate = (len(stamps) - 1 - half) / (stamps[-1] - stamps[half])
        res.parallel_images = sum(len(m["images"]) for m in two.metas if "error" not in m)
        res.mean_megapixels = statistics.mean(i["width"] * i["height"] / 1e6 for m in two.metas if "error" not in m
                                              for i in m["images"])
        res.failed += sum("error" in m for m in two.metas)
        counts = {"models": 0, "keras_same": 0, "caffe_same": 0, "caffe_unreadable": 0, "caffe_absent": 0,
                  "caffe_different": 0}
        for m in two.metas:
            if "error" in m:
                continue
            folder = Path(tmp) / "two" / m["key"]
            truth = Graph.loads((folder / "graph.json").read_text())
            counts["models"] += 1
            counts["keras_same"] += not differences(truth, load_model(folder / "keras.json"))
            if not (folder / "deploy.prototxt").is_file():
                counts["caffe_absent"] += 1
                continue
            try:
                same = not differences(truth, load_model(folder / "deploy.prototxt"))
            except Dlp2cError:
                counts["caffe_unreadable"] += 1
                continue
            counts["caffe_same" if same else "caffe_different"] += 1
        res.roundtrip = counts
    return res


def report(res: Results, out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (out / "simulator.json").write_text(json.dumps(res.__dict__, indent=1, default=str) + "\n")
    rates = {style: 1.0 / (res.model_s + s) for style, s in res.per_style_s.items()}
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    ax.barh(list(rates), list(rates.values()), color="#4C72B0")
    ax.set_xlabel("images per second, one core (model + one drawing)")
    ax.set_title("Simulator throughput per style")
    fig.tight_layout()
    fig.savefig(out / "simulator_throughput.png", dpi=110)
    plt.close(fig)

    paper_per_model = res.model_s + res.per_style_s["keras"] + res.per_style_s["caffe"]
    projected_h = (res.parallel_startup_s + PAPER_MODELS / res.parallel_steady_rate) / 3600
    per_model = res.parallel_images / max(res.parallel_models, 1)
    images_h = (res.parallel_startup_s + 2 * PAPER_MODELS / per_model / res.parallel_steady_rate) / 3600
    rt = res.roundtrip
    rate = res.parallel_models / res.parallel_wall_s
    lines = [
        "## Simulator (issue 4)", "",
        "One core, median per item; a model costs its grammar draw, Keras model and JSON and Caffe prototxt "
        f"({res.model_s * 1000:.0f} ms) plus one drawing per style:", "",
        "| style | drawing, ms | images/s per core (model + drawing) |", "|---|---:|---:|",
        *(f"| {s} | {res.per_style_s[s] * 1000:.0f} | {rates[s]:.2f} |" for s in res.per_style_s), "",
        "Negatives, ms each: " + ", ".join(f"{k} {v * 1000:.0f}" for k, v in sorted(res.negative_s.items())) + ".", "",
        f"The paper's set (one Keras and one Caffe image per model): {paper_per_model * 1000:.0f} ms per model on "
        f"one core, {1 / paper_per_model:.2f} models/s per core. Measured with {res.parallel_workers} workers on "
        f"{res.parallel_models} models: {res.parallel_wall_s:.1f} s wall ({rate:.2f} models/s with start-up; "
        f"{res.parallel_startup_s:.1f} s until the first model, as each worker imports TensorFlow; then "
        f"{res.parallel_steady_rate:.2f} models/s, {per_model * res.parallel_steady_rate:.2f} images/s, "
        f"{per_model:.3f} images per model). Images average {res.mean_megapixels:.2f} Mpx. "
        f"**Projected on this machine: the paper's 108,000 models in {projected_h:.2f} h** (start-up plus 108,000 "
        f"models at the steady rate; about {PAPER_MODELS * per_model:,.0f} images, since SimpleRNN models have no "
        f"Caffe drawing), **and 216,000 images in {images_h:.2f} h** ({2 * PAPER_MODELS / per_model:,.0f} models). "
        "Goal: the full set in under 2 h on 2 cores.",
        "",
        f"Round trip of those {rt['models']} models: Keras JSON gives the same design for {rt['keras_same']}; "
        f"the prototxt for {rt['caffe_same']} (different: {rt['caffe_different']}, unreadable: "
        f"{rt['caffe_unreadable']}); {rt['caffe_absent']} models have a SimpleRNN, which our Caffe target refuses "
        "(Caffe's RNN adds an output layer), so they have no prototxt and no Caffe drawing. "
        f"Failed items: {res.failed}.", "",
        "![simulator throughput](simulator_throughput.png)", "",
    ]
    return "\n".join(lines)
