"""The simulated dataset: models from the grammar, their files and drawings, written through storage.

Every model and every negative figure is a task of its own, seeded by ``(seed, index)`` alone, so the
dataset is the same whatever the number of workers, the order they finish in, or how often the run
was interrupted and resumed. A model's ``meta.json`` is written last: a model with one is complete,
and a resumed run skips it. Keys are sharded (``models/shard-0003/m003141/...``) so that 216,000
images never sit in one folder.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from dlp2c.common.errors import Dlp2cError
from dlp2c.common.storage import Storage, open_storage
from dlp2c.simulator import caffe_style, keras_style, looks, negatives
from dlp2c.simulator.grammar import depth_and_dataset, sample_model
from dlp2c.simulator.render import Variation, degrade, encode, render_dot

STYLES = ("keras", "caffe", *looks.STYLES)
PAPER_STYLES = ("keras", "caffe")
SHARD = 1000


class DatasetError(Dlp2cError):
    code = "dataset"


@dataclass(frozen=True)
class Options:
    n: int
    depths: tuple[int, ...] = tuple(range(5, 41))
    seed: int = 0
    styles: tuple[str, ...] = PAPER_STYLES
    negatives: int = 0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.styles) - set(STYLES))
        if unknown:
            raise ValueError(f"unknown style(s) {', '.join(unknown)}; choose from {', '.join(STYLES)}")
        if self.n < 0 or self.negatives < 0:
            raise ValueError("counts must be zero or more")
        if not self.depths or min(self.depths) < 2:
            raise ValueError("depths must be 2 or more")


def model_key(index: int) -> str:
    return f"models/shard-{index // SHARD:04d}/m{index:06d}"


def negative_key(index: int) -> str:
    return f"negatives/shard-{index // SHARD:04d}/x{index:06d}"


def _image(variation: Variation, picture: Any, key: str, style: str, files: dict[str, bytes],
           drawn_at_scale: bool = False, stands_for: dict[str, dict[str, str]] | None = None,
           **extra: Any) -> dict[str, Any]:
    image = degrade(picture, variation, scale=not drawn_at_scale)
    if "dpi_drawn" in picture.info:
        extra["dpi"] = picture.info["dpi_drawn"]
    if stands_for is not None:  # ground truth of the drawing: each node's box (pixels) and the edges
        b = variation.border
        extra["nodes"] = [{"dot": name, "box": [x0 + b, y0 + b, x1 + b, y1 + b], **stands_for.get(name, {})}
                          for name, (x0, y0, x1, y1) in picture.info["nodes"]]
        extra["edges"] = [list(edge) for edge in picture.info["edges"]]
    name = f"{style}.{variation.extension}"
    files[f"{key}/{name}"] = encode(image, variation)
    return {"file": name, "style": style, "width": image.width, "height": image.height,
            "variation": asdict(variation), **extra}


def make_model(index: int, options: Options) -> tuple[dict[str, bytes], dict[str, Any]]:
    """One model: its graph, Keras JSON, prototxt, and a drawing per style (files keyed by storage key)."""
    from dlp2c.codegen.generate import generate

    started = time.perf_counter()
    depth, dataset = depth_and_dataset(index, options.depths)
    rng = random.Random(f"{options.seed}:{index}:draw")
    graph = sample_model(f"{options.seed}:{index}", depth, dataset)
    key = model_key(index)
    model = keras_style.build_model(graph)
    caffe = generate(graph, ["caffe"]).results["caffe"]
    # Caffe cannot express every model (our Caffe target refuses recurrent layers): such a model has
    # no prototxt and no Caffe drawing, and its meta says why
    prototxt = caffe.files["deploy.prototxt"].decode() if caffe.ok else None
    files = {f"{key}/graph.json": (graph.dumps() + "\n").encode(),
             f"{key}/keras.json": keras_style.keras_json(model).encode()}
    drawn = caffe_style.drawn_nodes(prototxt) if prototxt is not None else {}
    if prototxt is not None:
        files[f"{key}/deploy.prototxt"] = prototxt.encode()
    images = []
    seconds = {"model": time.perf_counter() - started}  # grammar, Keras model and JSON, prototxt
    for style in options.styles:
        started = time.perf_counter()
        if style == "keras":
            look = keras_style.KerasLook(rng.choice(keras_style.LOOKS), rng.random() < 0.6,
                                         rng.choice(("TB", "TB", "LR")), rng.choice((72, 96, 120)))
            dot, layers = keras_style.keras_dot_and_layers(model, look)
            files[f"{key}/keras.dot"] = dot.encode()
            variation = Variation.draw(rng)
            images.append(_image(variation, render_dot(dot, variation, look.dpi), key, style, files,
                                 drawn_at_scale=True, stands_for={n: {"layer": name} for n, name in layers.items()},
                                 look=look.name, dot="keras.dot"))
        elif style == "caffe" and prototxt is not None:
            look = caffe_style.CaffeLook(rng.choice(("LR", "LR", "TB")), rng.choice((72, 96, 120)))
            dot = caffe_style.caffe_dot(prototxt, look)
            files[f"{key}/caffe.dot"] = dot.encode()
            variation = Variation.draw(rng)
            images.append(_image(variation, render_dot(dot, variation, look.dpi), key, style, files,
                                 drawn_at_scale=True, stands_for=drawn,
                                 look=look.name, dot="caffe.dot"))
        elif style != "caffe":
            name, picture = looks.draw(style, graph, rng)
            images.append(_image(Variation.draw(rng), picture, key, style, files, look=name))
        seconds[style] = time.perf_counter() - started
    meta = {"kind": "model", "index": index, "key": key, "dataset": dataset, "depth": depth,
            "layers": len(graph.nodes), "edges": len(graph.edges),
            "caffe": {"layers_and_blobs": len(drawn)} if prototxt is not None
            else {"unsupported": str(caffe.error)}, "images": images,
            "timings": {k: round(v, 4) for k, v in seconds.items()}}
    return files, meta


def make_negative(index: int, options: Options) -> tuple[dict[str, bytes], dict[str, Any]]:
    rng = random.Random(f"{options.seed}:{index}:negative")
    kind = negatives.KINDS[index % len(negatives.KINDS)]
    key = negative_key(index)
    files: dict[str, bytes] = {}
    image = _image(Variation.draw(rng), negatives.DRAWERS[kind](rng), key, kind, files)
    return files, {"kind": "negative", "index": index, "key": key, "negative": kind, "images": [image]}


@dataclass
class Task:
    kind: str  # model | negative
    index: int


_STATE: dict[str, Any] = {}


def _init_worker(url: str, options: Options) -> None:
    _STATE["storage"] = open_storage(url)
    _STATE["options"] = options


def _run(task: Task) -> dict[str, Any]:
    """Make one item and store it; a failure is returned as a meta with the error, never raised."""
    storage: Storage = _STATE["storage"]
    options: Options = _STATE["options"]
    started = time.perf_counter()
    make = make_model if task.kind == "model" else make_negative
    key = model_key(task.index) if task.kind == "model" else negative_key(task.index)
    try:
        files, meta = make(task.index, options)
    except Exception as exc:  # a bad draw must not end a 100,000-model run; the card counts it
        meta = {"kind": task.kind, "index": task.index, "key": key, "error": f"{type(exc).__name__}: {exc}",
                "trace": traceback.format_exc(limit=4)}
        files = {}
    meta["seconds"] = round(time.perf_counter() - started, 4)
    for name, data in files.items():
        storage.put(name, data)
    # meta.json marks a finished item; a failed one leaves error.json and is tried again on resume
    marker = "error.json" if "error" in meta else "meta.json"
    storage.put(f"{key}/{marker}", json.dumps(meta, indent=1).encode(), "application/json")
    return meta


def done_keys(storage: Storage) -> set[str]:
    """Items already complete (their meta.json written)."""
    done = set()
    for top in ("models/", "negatives/"):
        for name in storage.list(top):
            if name.endswith("/meta.json"):
                done.add(name[: -len("/meta.json")])
    return done


def tasks(options: Options) -> list[Task]:
    return [Task("model", i) for i in range(options.n)] + [Task("negative", j) for j in range(options.negatives)]


@dataclass
class Run:
    metas: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    seconds: float = 0.0
    workers: int = 1


def simulate(url: str, options: Options, workers: int = 1,
             progress: Callable[[int, int, dict[str, Any] | None], None] | None = None) -> Run:
    """Make every item not yet complete in the store at ``url``; ``progress(done, total, meta)`` after each."""
    storage = open_storage(url)
    _same_recipe(storage, options)
    storage.put("options.json", json.dumps(asdict(options), indent=1).encode(), "application/json")
    existing = done_keys(storage)
    todo = [t for t in tasks(options) if (model_key(t.index) if t.kind == "model" else negative_key(t.index))
            not in existing]
    total = len(todo)
    run = Run(skipped=options.n + options.negatives - total, workers=workers)
    started = time.perf_counter()
    if progress:
        progress(0, total, None)
    for i, meta in enumerate(_execute(storage.url, options, todo, workers), start=1):
        run.metas.append(meta)
        if progress:
            progress(i, total, meta)
    run.seconds = time.perf_counter() - started
    return run


def _same_recipe(storage: Storage, options: Options) -> None:
    """Resuming or extending a dataset is fine; mixing two recipes in one store is not."""
    if not storage.exists("options.json"):
        return
    before = json.loads(storage.get("options.json"))
    now = json.loads(json.dumps(asdict(options)))  # tuples as JSON lists, like the stored copy
    changed = [k for k in ("seed", "depths", "styles") if before.get(k) != now[k]]
    if changed:
        raise DatasetError(f"this store holds a dataset made with other {', '.join(changed)}",
                           storage.url, "use another output, or the options in its options.json")


def _execute(url: str, options: Options, todo: Sequence[Task], workers: int) -> Iterator[dict[str, Any]]:
    if workers <= 1 or len(todo) <= 1:
        _init_worker(url, options)
        for task in todo:
            yield _run(task)
        return
    # spawn: workers import Keras themselves; a forked TensorFlow runtime is not safe to use
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_init_worker, initargs=(url, options), maxtasksperchild=2000) as pool:
        yield from pool.imap_unordered(_run, todo, chunksize=1)


def read_metas(storage: Storage) -> list[dict[str, Any]]:
    """Every item's meta.json in the store, in key order, and the error.json of items that never finished."""
    found: dict[str, str] = {}
    for top in ("models/", "negatives/"):
        for name in storage.list(top):
            item, _, leaf = name.rpartition("/")
            if leaf == "meta.json" or (leaf == "error.json" and found.get(item) != "meta.json"):
                found[item] = leaf
    return [json.loads(storage.get(f"{item}/{leaf}")) for item, leaf in sorted(found.items())]
