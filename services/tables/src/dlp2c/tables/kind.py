"""Design table or results table, and which way the design flows (the paper's table classifier).

As in the paper, a bag of words over the caption and the cells is compared by cosine similarity
with the vocabulary of each kind; the design vocabulary is the catalog's own aliases plus the
words papers put in layer-table headers. A design table must also name layers: at least three
cells that read as layers in one row or one column. Row-major means each row is a layer (the
design flows down the table), column-major that each column is one.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from dlp2c.common.catalog.registry import CATALOG
from dlp2c.common.document import Table
from dlp2c.tables.cells import names_layers

HEADER_WORDS = (
    "layer", "type", "stride", "filter", "filters", "shape", "kernel", "ksize", "size", "support", "filt",
    "dim", "num", "filts", "pad", "padding", "output", "input", "channels", "repeat", "stage", "block",
    "architecture", "configuration", "body", "conv", "pool", "fc", "weight", "layers", "name", "patch",
    "units", "activation", "depth", "width", "dw",
)
RESULT_WORDS = (
    "error", "accuracy", "acc", "top", "top1", "top5", "map", "ap", "result", "results", "comparison",
    "performance", "method", "methods", "ours", "state", "art", "test", "val", "validation", "dataset",
    "imagenet", "coco", "voc", "cifar", "baseline", "ms", "fps", "time", "speed", "seconds", "mult", "adds",
    "million", "billion", "flops", "params", "parameters", "best", "train", "training", "scale", "score",
    "recall", "precision", "bleu", "loss", "gain", "improvement", "vs", "versus", "<pct>", "<dec>",
)


def tokens(text: str) -> list[str]:
    out: list[str] = []
    for raw in re.findall(r"\d+(?:\.\d+)?%|\d+\.\d+|\d+|[a-z][a-z0-9-]*", text.lower()):
        if raw.endswith("%"):
            out.append("<pct>")
        elif re.fullmatch(r"\d+\.\d+", raw):
            out.append("<dec>")
        elif raw.isdigit():
            out.append("<num>")
        else:
            out.extend(part for part in raw.split("-") if part)
    return out


def _design_vocabulary() -> Counter[str]:
    words = list(HEADER_WORDS)
    for spec in CATALOG:
        for alias in spec.aliases:
            words.extend(tokens(alias))
    return Counter(set(words))


DESIGN = _design_vocabulary()
RESULTS = Counter(RESULT_WORDS)


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(a[t] * b[t] for t in a if t in b)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


@dataclass(frozen=True)
class TableKind:
    design: bool
    major: str  # row | column | "" (not a design)
    design_score: float
    results_score: float
    layer_cells: int

    def to_json(self) -> dict[str, object]:
        return {"design": self.design, "major": self.major, "design_score": round(self.design_score, 3),
                "results_score": round(self.results_score, 3), "layer_cells": self.layer_cells}


def classify(table: Table) -> TableKind:
    bag = Counter(tokens(table.caption))
    for cell in table.cells:
        bag.update(tokens(cell.text))
    design_score, results_score = _cosine(bag, DESIGN), _cosine(bag, RESULTS)
    by_col: Counter[int] = Counter()
    by_row: Counter[int] = Counter()
    for cell in table.cells:
        if names_layers(cell.text):
            by_col[cell.col] += 1
            by_row[cell.row] += 1
    best_col = max(by_col.values(), default=0)
    best_row = max(by_row.values(), default=0)
    layer_cells = sum(by_col.values())
    design = max(best_col, best_row) >= 3 and design_score > results_score
    major = ("row" if best_col >= best_row else "column") if design else ""
    return TableKind(design, major, design_score, results_score, layer_cells)
