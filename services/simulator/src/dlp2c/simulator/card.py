"""The dataset card written beside the data: what is in it, counted, and how it was made."""

from __future__ import annotations

import json
import platform
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from dlp2c.common.storage import Storage
from dlp2c.simulator.dataset import Options


def summarise(metas: Sequence[dict[str, Any]], options: Options) -> dict[str, Any]:
    models = [m for m in metas if m["kind"] == "model" and "error" not in m]
    negatives = [m for m in metas if m["kind"] == "negative" and "error" not in m]
    failed = [m for m in metas if "error" in m]
    images = [img for m in models + negatives for img in m["images"]]
    return {
        "options": asdict(options),
        "models": len(models),
        "negatives": len(negatives),
        "failed": [{"key": m["key"], "error": m["error"]} for m in failed],
        "images": len(images),
        "per_style": dict(sorted(Counter(img["style"] for m in models for img in m["images"]).items())),
        "per_look": dict(sorted(Counter(img["look"] for m in models for img in m["images"] if "look" in img).items())),
        "per_depth": {str(k): v for k, v in sorted(Counter(m["depth"] for m in models).items())},
        "per_input": dict(sorted(Counter(m["dataset"] for m in models).items())),
        "without_caffe": sum("unsupported" in m["caffe"] for m in models),
        "per_negative_kind": dict(sorted(Counter(m["negative"] for m in negatives).items())),
        "layers": dict(sorted(Counter(m["layers"] for m in models).items())),
        "seconds_per_item": round(sum(m.get("seconds", 0.0) for m in metas) / max(len(metas), 1), 4),
        "made_with": {"python": platform.python_version(), **_versions()},
    }


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for dist in ("keras", "pydot", "pillow", "matplotlib"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "absent"
    return out


def _table(title: str, counts: dict[str, int]) -> list[str]:
    if not counts:
        return []
    return [f"### {title}", "", "| | count |", "|---|---:|", *(f"| {k} | {v:,} |" for k, v in counts.items()), ""]


def markdown(card: dict[str, Any]) -> str:
    o = card["options"]
    lines = [
        "# Simulated design figures: dataset card", "",
        f"{card['models']:,} models from the paper's grammar (Tables 1 and 2), {card['negatives']:,} negative "
        f"figures, {card['images']:,} images; seed {o['seed']}, depths {min(o['depths'])} to {max(o['depths'])}, "
        f"styles {', '.join(o['styles'])}.", "",
        "Each model folder holds `graph.json` (the ground truth), `keras.json` (Keras 3 model JSON), "
        "`deploy.prototxt` (Caffe), one image per style, the DOT text of the Keras and Caffe drawings, and "
        "`meta.json` (input, depth, layer and edge counts, and per image its style, look and variation). "
        "Every model passes shape inference by construction; the same seed gives the same dataset.", "",
        "Intended use: training and measuring figure classification and flow extraction. The models are "
        "valid, not good: nobody trained them.", "",
    ]
    if card["without_caffe"]:
        lines += [f"{card['without_caffe']:,} models have no prototxt and no Caffe drawing: Caffe cannot express "
                  "them (recurrent layers); their meta.json says why.", ""]
    lines += _table("Images per style", card["per_style"])
    lines += _table("Keras and Caffe looks", card["per_look"])
    lines += _table("Models per input", card["per_input"])
    lines += _table("Models per depth (layers between the Input and the final Dense)", card["per_depth"])
    lines += _table("Negative figures per kind", card["per_negative_kind"])
    if card["failed"]:
        lines += [f"### Failed ({len(card['failed'])})", ""]
        lines += [f"- `{f['key']}`: {f['error']}" for f in card["failed"]] + [""]
    lines += ["### Made with", "", ", ".join(f"{k} {v}" for k, v in card["made_with"].items()), ""]
    return "\n".join(lines)


def write_card(storage: Storage, metas: Sequence[dict[str, Any]], options: Options) -> dict[str, Any]:
    card = summarise(metas, options)
    storage.put("card.json", json.dumps(card, indent=1).encode(), "application/json")
    storage.put("CARD.md", markdown(card).encode(), "text/markdown")
    return card
