"""How well figures are read, against a simulated dataset's ground truth (the paper's measures).

Per image: the drawing's true nodes (their boxes, from the simulator) are matched to the detected ones
by overlap; the truth of what each node says is read from the drawing's own DOT source, exactly.

- layer accuracy (the paper's): the share of true layers found with the right type;
- edge accuracy (the paper's): the share of true layer-to-layer edges found, in the right direction
  (Caffe's blobs collapsed on both sides); edge precision: the share of found edges that are true;
- hyper-parameters: where the drawing prints them (Caffe's kernel size, stride, pad and pool method;
  Keras' output shapes), the share of layers whose printed values were all read exactly;
- exact: every layer found with its type, nothing extra, and the edges exactly the true ones.
"""

from __future__ import annotations

import html
import json
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dlp2c.common.figure import FigureGraph, collapse
from dlp2c.flow.score import match

DEPTH_BANDS = ((5, 14), (15, 29), (30, 40))
_DOT_NODE = re.compile(r'^(\w+) \[label=(<.*>|"(?:[^"\\]|\\.)*")', re.MULTILINE)


@dataclass(frozen=True)
class TrueNode:
    kind: str  # layer | blob
    type: str = ""
    params: tuple[tuple[str, Any], ...] = ()  # what the drawing prints (Caffe)
    output_shape: tuple[int | None, ...] | None = None  # what the drawing prints (Keras with shapes)


def _shape(text: str) -> tuple[int | None, ...]:
    return tuple(None if d.strip() == "None" else int(d) for d in text.strip("()[] ").split(",") if d.strip())


def truth_from_dot(dot: str) -> dict[str, TrueNode]:
    """What each node of a simulated drawing says, parsed strictly from its DOT label."""
    found: dict[str, TrueNode] = {}
    for node, label in _DOT_NODE.findall(dot):
        if label.startswith("<"):  # Keras 3: <b>name</b> (Class) ... Output shape: <b>(None, ...)</b>
            text = html.unescape(re.sub(r"<[^>]+>", "", label))
            kind = re.search(r"\((\w+)\)", text)
            out = re.search(r"Output shape: (\[?\([^)]*\)\]?)", text)
            found[node] = TrueNode("layer", kind.group(1) if kind else "",
                                   output_shape=_shape(out.group(1)) if out and "), (" not in out.group(1) else None)
            continue
        text = label[1:-1].replace("\\n", "\n")
        if "{input:|output:}" in text or re.match(r"^[\w.\-]+: \w+", text):  # Keras 2 record
            head, _, rest = text.partition("|")
            shapes = re.findall(r"\{\{(.*?)\}\|\{(.*?)\}\}", rest)
            out_text = shapes[0][1] if shapes else ""
            single = out_text.count("(") == 1
            found[node] = TrueNode("layer", head.split(": ")[-1].strip(),
                                   output_shape=_shape(out_text) if shapes and single else None)
            continue
        kind = re.search(r"\((\w+)\)", text)
        if kind is None:
            found[node] = TrueNode("blob")
            continue
        params: dict[str, Any] = {}
        for key, value in re.findall(r"(kernel size|stride|pad): (\d+)", text):
            params[key.replace(" ", "_")] = int(value)
        pool = re.search(r"pool (\w+)", text)
        if pool:
            params["pool"] = pool.group(1)
        found[node] = TrueNode("layer", kind.group(1), tuple(sorted(params.items())))
    return found


@dataclass
class ImageScore:
    model: str
    style: str  # keras3 | keras2 | caffe
    depth: int
    true_layers: int
    right_layers: int  # found, with the right type
    found_layers: int
    true_edges: int
    found_edges: int
    right_edges: int
    shown_params: int  # layers whose drawing prints hyper-parameters
    right_params: int  # ... all read exactly
    seconds: float

    @property
    def layer_accuracy(self) -> float:
        return self.right_layers / self.true_layers if self.true_layers else 1.0

    @property
    def edge_accuracy(self) -> float:
        return self.right_edges / self.true_edges if self.true_edges else 1.0

    @property
    def edge_precision(self) -> float:
        return self.right_edges / self.found_edges if self.found_edges else 1.0

    @property
    def exact(self) -> bool:
        return (self.right_layers == self.true_layers == self.found_layers
                and self.right_edges == self.true_edges == self.found_edges)


def score_image(graph: FigureGraph, entry: dict[str, Any], truth: dict[str, TrueNode], model: str,
                depth: int) -> ImageScore:
    """One extracted figure against its drawing's truth (``entry``: the image's item in meta.json)."""
    true_boxes = {n["dot"]: n["box"] for n in entry["nodes"]}
    pairs = match(true_boxes, {n.id: n.box for n in graph.nodes})
    by_id = {n.id: n for n in graph.nodes}
    true_layers = [t for t in true_boxes if truth[t].kind == "layer"]
    right = shown = right_params = 0
    for t in true_layers:
        found = by_id.get(pairs.get(t, ""))
        ok = found is not None and found.kind == "layer" and found.type == truth[t].type
        right += ok
        printed = dict(truth[t].params)
        if printed or truth[t].output_shape is not None:
            shown += 1
            if ok and found is not None:
                read = {k: found.params.get(k) for k in printed}
                right_params += read == printed and found.output_shape == truth[t].output_shape
    blobs = {t for t in true_boxes if truth[t].kind == "blob"}
    true_edges = set(collapse(blobs, {(a, b): 1.0 for a, b in entry["edges"]}))
    layers = graph.layers()
    found_edges = {(e.tail, e.head) for e in layers.edges}
    right_edges = sum(1 for a, b in true_edges if (pairs.get(a), pairs.get(b)) in found_edges)
    look = entry.get("look", entry["style"])
    style = "keras2" if look.startswith("keras2") else "keras3" if look.startswith("keras") else entry["style"]
    return ImageScore(model, style, depth, len(true_layers), right, len(layers.nodes), len(true_edges),
                      len(found_edges), right_edges, shown, right_params, sum(graph.seconds.values()))


def dataset_images(root: Path, styles: Iterable[str] = ("keras", "caffe")) -> list[tuple[Path, dict[str, Any], int]]:
    """(model folder, image entry, depth) for every drawing of the wanted styles in a simulated set."""
    found = []
    for meta_path in sorted(root.glob("models/shard-*/m*/meta.json")):
        meta = json.loads(meta_path.read_text())
        for entry in meta.get("images", []):
            if entry.get("style") in styles and entry.get("nodes"):
                found.append((meta_path.parent, entry, int(meta.get("depth", 0))))
    return found


_READER: Any = None


def _score_one(task: tuple[Path, dict[str, Any], int]) -> dict[str, Any]:
    import numpy as np
    from dlp2c.cli.figure import FigureReader
    from PIL import Image

    global _READER
    if _READER is None:
        _READER = FigureReader()
    folder, entry, depth = task
    with Image.open(folder / entry["file"]) as image:
        pixels = np.array(image.convert("RGB"))
    graph = _READER.read(pixels, entry["style"])
    truth = truth_from_dot((folder / entry["dot"]).read_text())
    return asdict(score_image(graph, entry, truth, folder.name, depth))


def evaluate(root: Path, limit: int | None = None, workers: int = 1,
             progress: Callable[[int, int], None] | None = None) -> list[ImageScore]:
    """Score every Keras and Caffe drawing of a simulated dataset (the first ``limit`` images)."""
    tasks = dataset_images(root)[:limit]
    results: list[ImageScore] = []
    if workers <= 1:
        for i, task in enumerate(tasks):
            results.append(ImageScore(**_score_one(task)))
            if progress:
                progress(i + 1, len(tasks))
        return results
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for i, item in enumerate(pool.imap(_score_one, tasks, chunksize=4)):
            results.append(ImageScore(**item))
            if progress:
                progress(i + 1, len(tasks))
    return results


def summary(scores: list[ImageScore]) -> dict[str, dict[str, float]]:
    """Means per style and per depth band (the paper reports means), with counts."""
    groups: dict[str, list[ImageScore]] = {}
    for s in scores:
        family = "caffe" if s.style == "caffe" else "keras"
        keys = {s.style, family} | {f"{family} depth {lo}-{hi}" for lo, hi in DEPTH_BANDS if lo <= s.depth <= hi}
        for key in keys:
            groups.setdefault(key, []).append(s)
    table = {}
    for name, items in sorted(groups.items()):
        shown = sum(s.shown_params for s in items)
        table[name] = {
            "images": len(items),
            "layer_accuracy": statistics.fmean(s.layer_accuracy for s in items),
            "edge_accuracy": statistics.fmean(s.edge_accuracy for s in items),
            "edge_precision": statistics.fmean(s.edge_precision for s in items),
            "exact": statistics.fmean(1.0 if s.exact else 0.0 for s in items),
            "params_exact": sum(s.right_params for s in items) / shown if shown else float("nan"),
            "params_shown": shown,
            "median_seconds": statistics.median(s.seconds for s in items),
            "p95_seconds": sorted(s.seconds for s in items)[min(len(items) - 1, round(0.95 * (len(items) - 1)))],
        }
    return table


def plot_scores(scores: list[ImageScore], path: Path) -> None:
    """Box plots of per-figure layer and edge accuracy, one box per style (like the paper's Figure 6)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    styles = sorted({s.style for s in scores})
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4), sharey=True)
    for ax, (title, value) in zip(axes, (("layer accuracy", lambda s: s.layer_accuracy),
                                         ("edge accuracy", lambda s: s.edge_accuracy)), strict=True):
        data = [[100 * value(s) for s in scores if s.style == style] for style in styles]
        ax.boxplot(data, tick_labels=styles, showmeans=True)
        ax.set_title(title)
        ax.set_ylabel("% per figure")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"Figure reading on {len(scores)} simulated figures")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
