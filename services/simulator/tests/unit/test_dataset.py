"""The dataset: files per model, faithful round trips, sharded keys, reproducible and resumable."""

import json
from pathlib import Path

import numpy as np
import pytest
from dlp2c.common.design import differences
from dlp2c.common.graph import Graph
from dlp2c.common.importers import load_model
from dlp2c.common.importers.prototxt import parse
from dlp2c.common.inference import infer
from dlp2c.common.storage import open_storage
from dlp2c.simulator.card import write_card
from dlp2c.simulator.dataset import STYLES, DatasetError, Options, model_key, negative_key, read_metas, simulate
from PIL import Image


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Options]:
    root = tmp_path_factory.mktemp("sim")
    options = Options(n=16, seed=7, styles=STYLES, negatives=8)
    run = simulate(str(root), options, workers=1)
    assert len(run.metas) == 24 and not [m for m in run.metas if "error" in m]
    return root, options


def test_every_model_has_its_files_and_every_image_its_style(dataset) -> None:
    root, _ = dataset
    for index in range(16):
        folder = root / model_key(index)
        meta = json.loads((folder / "meta.json").read_text())
        graph = Graph.loads((folder / "graph.json").read_text())
        infer(graph)
        assert meta["layers"] == len(graph.nodes) == meta["depth"] + 2
        assert (folder / "keras.json").is_file()
        styles = [img["style"] for img in meta["images"]]
        has_caffe = (folder / "deploy.prototxt").is_file()
        assert styles == [s for s in STYLES if s != "caffe" or has_caffe]
        assert has_caffe or "unsupported" in meta["caffe"]
        for img in meta["images"]:
            assert (folder / img["file"]).stat().st_size > 1000
    kinds = [json.loads((root / negative_key(j) / "meta.json").read_text())["negative"] for j in range(8)]
    assert len(set(kinds)) == 8


def test_keras_json_and_prototxt_import_back_to_the_same_design(dataset) -> None:
    root, _ = dataset
    caffe_compared = 0
    for index in range(16):
        folder = root / model_key(index)
        truth = Graph.loads((folder / "graph.json").read_text())
        keras = load_model(folder / "keras.json")
        assert differences(truth, keras) == []
        assert sorted(n.name for n in keras.nodes) == sorted(n.name for n in truth.nodes)
        if (folder / "deploy.prototxt").is_file():
            assert differences(truth, load_model(folder / "deploy.prototxt")) == []
            caffe_compared += 1
        else:  # only a SimpleRNN keeps a model out of Caffe
            assert any(n.op == "SimpleRNN" for n in truth.nodes)
    assert caffe_compared >= 8


def test_the_comparison_notices_a_changed_design() -> None:
    truth = Graph("t")
    x = truth.add("Input", {"shape": [8, 8, 1]})
    a = truth.add("Conv2D", {"filters": 4, "kernel_size": 3}, inputs=[x])
    b = truth.add("Conv2D", {"filters": 2, "kernel_size": 3}, inputs=[x])
    truth.add("Concatenate", {}, inputs=[a, b])
    swapped = Graph.loads(truth.dumps())
    swapped.edges[-2], swapped.edges[-1] = swapped.edges[-1], swapped.edges[-2]
    for i, edge in enumerate(e for e in swapped.edges if e.dst == swapped.nodes[-1].id):
        edge.dst_input = i
    assert differences(truth, Graph.loads(truth.dumps())) == []
    assert differences(truth, swapped), "a Concatenate's input order changes the design"


def test_same_seed_same_bytes_and_a_resumed_run_only_makes_what_is_missing(dataset, tmp_path: Path) -> None:
    root, _ = dataset
    again = tmp_path / "again"
    first = simulate(str(again), Options(n=6, seed=7, styles=("keras", "caffe"), negatives=0), workers=1)
    assert len(first.metas) == 6
    for index in range(6):
        for name in ("graph.json", "keras.json", "keras.dot"):
            assert (again / model_key(index) / name).read_bytes() == (root / model_key(index) / name).read_bytes()
    (again / model_key(2) / "meta.json").unlink()  # as if interrupted while writing model 2
    resumed = simulate(str(again), Options(n=8, seed=7, styles=("keras", "caffe"), negatives=0), workers=1)
    assert sorted(m["index"] for m in resumed.metas) == [2, 6, 7] and resumed.skipped == 5


def test_a_store_made_with_another_recipe_is_not_mixed_into(dataset) -> None:
    root, _ = dataset
    with pytest.raises(DatasetError, match="other seed"):
        simulate(str(root), Options(n=16, seed=8, styles=STYLES, negatives=8), workers=1)
    with pytest.raises(DatasetError, match="other styles"):
        simulate(str(root), Options(n=16, seed=7, styles=("keras",), negatives=8), workers=1)


def test_keys_are_sharded_by_the_thousand() -> None:
    assert model_key(999) == "models/shard-0000/m000999"
    assert model_key(107_999) == "models/shard-0107/m107999"
    assert negative_key(1000) == "negatives/shard-0001/x001000"


def test_the_card_counts_what_is_there(dataset) -> None:
    root, options = dataset
    storage = open_storage(root)
    card = write_card(storage, read_metas(storage), options)
    assert card["models"] == 16 and card["negatives"] == 8 and card["failed"] == []
    assert sum(card["per_depth"].values()) == 16 and sum(card["per_input"].values()) == 16
    assert card["per_style"]["keras"] == 16 and card["per_style"]["neurons"] == 16
    assert card["images"] == sum(card["per_style"].values()) + 8
    text = (root / "CARD.md").read_text()
    assert "16 models" in text and "| keras | 16 |" in text


def test_bad_options_say_what() -> None:
    with pytest.raises(ValueError, match="unknown style"):
        Options(n=1, styles=("keras", "sketch"))
    with pytest.raises(ValueError, match="depths must be 2 or more"):
        Options(n=1, depths=(1, 2))


def test_graphviz_images_carry_where_each_layer_and_blob_was_drawn(dataset) -> None:
    root, _ = dataset
    checked = 0
    for index in range(16):
        folder = root / model_key(index)
        meta = json.loads((folder / "meta.json").read_text())
        names = {n.name for n in Graph.loads((folder / "graph.json").read_text()).nodes}
        for img in meta["images"]:
            if img["style"] not in ("keras", "caffe"):
                continue
            pixels = np.asarray(Image.open(folder / img["file"]).convert("L"), dtype=int)
            nodes = img["nodes"]
            if img["style"] == "keras":
                assert sorted(n["layer"] for n in nodes) == sorted(names)
            else:
                assert len(nodes) == meta["caffe"]["layers_and_blobs"]
                layers = parse((folder / "deploy.prototxt").read_text(), "deploy.prototxt").all("layer")
                assert sorted(n["layer"] for n in nodes if "layer" in n) == sorted(str(x.get("name")) for x in layers)
            dots = {n["dot"] for n in nodes}
            assert img["edges"] and all(tail in dots and head in dots for tail, head in img["edges"])
            for node in nodes:
                x0, y0, x1, y1 = (round(v) for v in node["box"])
                assert 0 <= x0 < x1 <= pixels.shape[1] + 1 and 0 <= y0 < y1 <= pixels.shape[0] + 1
                inside = pixels[y0:y1, x0:x1]
                assert (inside < 200).mean() > 0.03, (folder, img["file"], node)  # ink: the node is there
            checked += 1
    assert checked >= 24
