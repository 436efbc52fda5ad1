"""Training from a simulated dataset, reproducibly: same data and seed, same model (on the same
machine type; threads may reorder float sums)."""

from __future__ import annotations

import datetime
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from dlp2c.classifier.data import STYLE_TITLES, STYLES, dataset_items, load_arrays, split


def _look_factor(looks: Sequence[str], classes: np.ndarray) -> np.ndarray:
    """Within each class, a look drawn n times weighs each drawing 1/sqrt(n), scaled so that the class
    keeps its total: a look with a tenth of the drawings gets a third of its class's say instead of a
    tenth, and the common looks (Keras and Caffe renderings) still count most."""
    factor = np.ones(len(looks), np.float32)
    if not len(looks):
        return factor
    keys = np.array([f"{c}|{look}" for c, look in zip(classes, looks, strict=True)])
    _, index, counts = np.unique(keys, return_inverse=True, return_counts=True)
    factor = (1 / np.sqrt(counts[index])).astype(np.float32)
    for c in np.unique(classes):
        members = classes == c
        factor[members] *= members.sum() / factor[members].sum()
    return factor


def _weights(design: np.ndarray, style: np.ndarray,
             looks: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample weights: both design classes count equally, styles count equally among designs, rare
    looks count more than their numbers (:func:`_look_factor`), and a non-design teaches the style
    head nothing."""
    positives = design.mean()
    w_design = np.where(design > 0.5, 0.5 / positives, 0.5 / (1 - positives)).astype(np.float32)
    w_style = np.zeros(len(style), np.float32)
    designs = style >= 0
    counts = np.bincount(style[designs], minlength=len(STYLES)).astype(np.float32)
    per_class = np.where(counts > 0, designs.sum() / (len(STYLES) * np.maximum(counts, 1)), 0)
    w_style[designs] = per_class[style[designs]]
    if looks is not None:
        w_design *= _look_factor(looks, (design > 0.5).astype(int))
        w_style *= _look_factor(looks, style)
    return w_design, w_style


def accuracy(model: Any, images: np.ndarray, design: np.ndarray, style: np.ndarray) -> dict[str, float]:
    out = model.predict(images, batch_size=64, verbose=0)
    said = out["design"][:, 0] >= 0.5
    designs = style >= 0
    return {"design_accuracy": float((said == (design > 0.5)).mean()),
            "style_accuracy": float((out["style"][designs].argmax(1) == style[designs]).mean())}


def train(root: str | Path, out: str | Path, epochs: int = 10, seed: int = 0, validation: float = 0.1,
          workers: int = 2, members: int = 1, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train on the dataset at ``root``; write the model to ``out`` and its card beside it.

    With ``members`` > 1, as many networks are trained on the same training views (member k initialised,
    jittered and shuffled from ``seed + k``) and shipped as their
    :func:`~dlp2c.classifier.network.ensemble`."""
    from dlp2c.classifier.network import ensemble

    started = time.perf_counter()
    items = dataset_items(root)
    train_items, val_items = split(items, validation, seed)
    log(f"{len(train_items)} training and {len(val_items)} validation figures; loading")
    loading = time.perf_counter()
    val = load_arrays(val_items, workers=workers)
    views = load_arrays(train_items, augment_seed=seed + 1, workers=workers)
    weights = _weights(views[1], views[2], [item.look for item in train_items])
    loading_s = time.perf_counter() - loading
    log(f"loaded in {loading_s:.0f} s")
    runs = [fit_member(views, weights, val, epochs, seed + k, log) for k in range(members)]
    x_val, d_val, s_val = val
    model = ensemble([run.pop("model") for run in runs])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    validation_metrics = accuracy(model, x_val, d_val, s_val)
    card = {"model": out.name, "date": datetime.date.today().isoformat(), "seed": seed, "epochs": epochs,
            "members": members,
            "data": {"root": str(root), "train": len(train_items), "validation": len(val_items),
                     "designs": int(sum(i.design for i in items)),
                     "per_style": {s: sum(i.style == s for i in items) for s in STYLES},
                     "others": int(sum(not i.design for i in items))},
            "metrics": {"train": runs[0]["metrics"]["train"], "validation": validation_metrics},
            "parameters": int(model.count_params()),
            "seconds": {"load": round(loading_s, 1), "fit": round(sum(r["seconds"]["fit"] for r in runs), 1),
                        "all": round(time.perf_counter() - started, 1)},
            "machine": f"{platform.machine()}, {os.cpu_count()} cores", "runs": runs}
    out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    log(f"validation: design {validation_metrics['design_accuracy']:.4f}, "
        f"style {validation_metrics['style_accuracy']:.4f}")
    return card


def fit_member(views: tuple[np.ndarray, np.ndarray, np.ndarray], weights: tuple[np.ndarray, np.ndarray],
               val: tuple[np.ndarray, np.ndarray, np.ndarray], epochs: int, seed: int,
               log: Callable[[str], None] = print) -> dict[str, Any]:
    """One network fitted to the training ``views`` (images, design labels, style labels) with their
    sample ``weights``, initialised, jittered and shuffled from ``seed``; returned without the optimizer's
    state, with its history, metrics and time."""
    import keras
    from dlp2c.classifier.network import build

    started = time.perf_counter()
    x_train, d_train, s_train = views
    w_design, w_style = weights
    x_val, d_val, s_val = val
    model = build(seed)
    steps = epochs * int(np.ceil(len(x_train) / 64))
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, steps, alpha=0.02)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss={"design": "binary_crossentropy", "style": "sparse_categorical_crossentropy"})
    log(f"seed {seed}: fitting {epochs} epochs")
    history = model.fit(x_train, {"design": d_train, "style": np.maximum(s_train, 0)},
                        sample_weight={"design": w_design, "style": w_style}, batch_size=64, epochs=epochs,
                        validation_data=(x_val, {"design": d_val, "style": np.maximum(s_val, 0)},
                                         {"design": np.ones_like(d_val), "style": (s_val >= 0).astype(np.float32)}),
                        shuffle=True, verbose=2)
    fitted = time.perf_counter() - started
    shipped = build(seed)  # the same network without the optimizer's state: a third of the file
    shipped.set_weights(model.get_weights())
    every = max(1, len(x_train) // 4000)  # a spread-out subset: items are ordered designs first, then others
    metrics = {"train": accuracy(shipped, x_train[::every], d_train[::every], s_train[::every]),
               "validation": accuracy(shipped, x_val, d_val, s_val)}
    log(f"seed {seed}: validation design {metrics['validation']['design_accuracy']:.4f}, "
        f"style {metrics['validation']['style_accuracy']:.4f}; {fitted:.0f} s fitting")
    return {"model": shipped, "seed": seed, "metrics": metrics, "seconds": {"fit": round(fitted, 1)},
            "history": {k: [round(float(v), 4) for v in vs] for k, vs in history.history.items()}}


def model_card(card: dict[str, Any], command: str) -> str:
    """MODEL_CARD.md from a training card."""
    v, t = card["metrics"]["validation"], card["metrics"]["train"]
    per_style = ", ".join(f"{STYLE_TITLES[s]} {n}" for s, n in card["data"]["per_style"].items())
    members = card.get("members", 1)
    scores = ", ".join(f"{r['metrics']['validation']['design_accuracy']:.2%} / "
                       f"{r['metrics']['validation']['style_accuracy']:.2%}" for r in card.get("runs", []))
    ensemble = [f"- **Members**: {members} networks trained from seeds {card['seed']}-{card['seed'] + members - 1} "
                f"on the same views, their answers averaged; alone they score {scores} (design / styles, "
                "validation)."] if members > 1 else []
    return "\n".join([
        "# Figure classifier: model card", "",
        f"- **File**: `{card['model']}` ({card['parameters']:,} parameters), trained {card['date']} on "
        f"{card['machine']} in {card['seconds']['fit'] / 60:.1f} min (data loading {card['seconds']['load']:.0f} s).",
        f"- **Reproduce**: `{command}` (seed {card['seed']}, {card['epochs']} epochs).",
        *ensemble,
        f"- **Data**: simulated figures only ({card['data']['train']} training, {card['data']['validation']} "
        f"validation, split by model). Designs {card['data']['designs']} ({per_style}); other figures "
        f"{card['data']['others']} (plots, charts, photos, tables, equations, flowcharts, screens).",
        "- **Input**: the figure cut to what is drawn and letterboxed into 128x128 RGB, stretched across to 3:1 "
        "when it is longer (the service also shows it mirrored and averages the two answers). **Output**: "
        "P(design) and P(style) over the paper's five classes; the style is read only for designs.",
        f"- **Validation (simulated, unseen models)**: design vs other {v['design_accuracy']:.2%}, five styles "
        f"{v['style_accuracy']:.2%} (training subset{', first member' if members > 1 else ''}: "
        f"{t['design_accuracy']:.2%}, {t['style_accuracy']:.2%}).",
        "- **Measured elsewhere**: `make bench` reports a fresh simulated seed and real figures from papers and "
        "tools (never used in training) in `bench/REPORT.md`.",
        "- **Limits**: it has seen only simulated drawings; figures unlike all of them (whole pages, model "
        "summaries printed as text, hand drawings) get a confident but unfounded answer.", ""])


def write_card(model_path: str | Path, command: str) -> Path:
    path = Path(model_path)
    card = json.loads(path.with_suffix(".json").read_text())
    target = path.parent / "MODEL_CARD.md"
    target.write_text(model_card(card, command))
    return target
