"""Drawings are faithful: one DOT node per layer (Keras), per layer and blob (Caffe); escaping holds."""

import io
import random
import subprocess
import threading
from collections.abc import Callable

import numpy as np
import pydot
import pytest
from dlp2c.codegen.generate import generate
from dlp2c.simulator import caffe_style, diagrams, drawings, keras_style, looks
from dlp2c.simulator.grammar import depth_and_dataset, sample_model
from dlp2c.simulator.graphviz import Graphviz, GraphvizError
from dlp2c.simulator.render import LEGIBLE_DPI, Variation, degrade, encode, render_dot
from PIL import Image


def dot_nodes(text: str) -> list[pydot.Node]:
    (graph,) = pydot.graph_from_dot_data(text)
    return [n for n in graph.get_nodes() if n.get_name() not in ("node", "edge", "graph")]


def dot_edges(text: str) -> int:
    (graph,) = pydot.graph_from_dot_data(text)
    return len(graph.get_edges())


def models(count: int):
    for index in range(count):
        depth, dataset = depth_and_dataset(index, tuple(range(5, 41)))
        yield sample_model(f"faithful:{index}", depth, dataset)


LOOKS = [keras_style.KerasLook(look, shapes, rankdir) for look in keras_style.LOOKS
         for shapes in (True, False) for rankdir in ("TB", "LR")]


def test_keras_drawings_have_one_node_per_layer_for_100_models() -> None:
    for i, graph in enumerate(models(100)):
        model = keras_style.build_model(graph)
        look = LOOKS[i % len(LOOKS)]
        text = keras_style.keras_dot(model, look)
        assert len(dot_nodes(text)) == len(graph.nodes), (graph.name, look.name)
        assert dot_edges(text) == len(graph.edges), (graph.name, look.name)


def test_caffe_drawings_have_a_node_per_layer_and_per_blob_for_100_models() -> None:
    drawn = 0
    for graph in models(100):
        caffe = generate(graph, ["caffe"]).results["caffe"]
        if not caffe.ok:  # recurrent models: Caffe cannot express them
            assert "SimpleRNN" in str(caffe.error) or "LSTM" in str(caffe.error) or caffe.error.code == "unsupported"
            continue
        prototxt = caffe.files["deploy.prototxt"].decode()
        text = caffe_style.caffe_dot(prototxt)
        nodes = dot_nodes(text)
        layers = prototxt.count("layer {")
        blobs = {line.split('"')[1] for line in prototxt.splitlines() if line.strip().startswith(("top:", "bottom:"))}
        assert len(nodes) == layers + len(blobs) == caffe_style.drawn_node_count(prototxt)
        assert sum(n.get("shape") == "octagon" for n in nodes) == len(blobs)
        drawn += 1
    assert drawn >= 60


def test_caffe_look_colours_and_kernel_text() -> None:
    prototxt = """name: "n"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 8 dim: 8 } } }
layer { name: "c1" type: "Convolution" bottom: "data" top: "c1"
        convolution_param { num_output: 4 kernel_size: 3 stride: 2 pad: 1 } }
layer { name: "r1" type: "ReLU" bottom: "c1" top: "c1" }
layer { name: "p1" type: "Pooling" bottom: "c1" top: "p1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "fc" type: "InnerProduct" bottom: "p1" top: "fc" inner_product_param { num_output: 3 } }
"""
    text = caffe_style.caffe_dot(prototxt)
    assert 'rankdir=LR' in text
    assert 'c1\\n(Convolution)\\nkernel size: 3\\nstride: 2\\npad: 1' in text and '#FF5050' in text
    assert 'pool MAX' in text and '#FF9900' in text and '#CC33FF' in text
    assert '#90EE90' in text  # the in-place ReLU
    assert len(dot_nodes(text)) == 5 + 4  # 5 layers; blobs data, c1, p1, fc


def test_hostile_names_stay_inside_their_labels() -> None:
    hostile = 'x"]; evil [label="pwn'
    prototxt = f'''layer {{ name: "{hostile.replace('"', "'")}|{{<p>}}" type: "Input" top: "data"
      input_param {{ shape {{ dim: 1 dim: 1 dim: 4 dim: 4 }} }} }}
layer {{ name: "a\\\\\\"b" type: "Flatten" bottom: "data" top: "out" }}'''
    text = caffe_style.caffe_dot(prototxt)
    assert len(dot_nodes(text)) == 4 and "evil" not in [n.get_name() for n in dot_nodes(text)]
    render_dot(text)  # Graphviz accepts it


@pytest.mark.parametrize("style,look", [(s, look) for s in looks.STYLES for look in looks.looks_of(s)],
                         ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_every_look_of_every_drawn_style_makes_images_for_every_input(style: str, look: Callable) -> None:
    for dataset in ("mnist", "imagenet", "imdb"):
        graph = sample_model(f"style:{style}", 12, dataset)
        image = look(graph, random.Random(1))
        assert image.width > 100 and image.height > 100
        low, high = image.convert("L").getextrema()
        assert high - low > 100  # something was drawn


def test_a_style_is_drawn_in_each_of_its_looks() -> None:
    graph = sample_model("looks", 10, "cifar10")
    seen = {looks.draw("boxes3d", graph, random.Random(seed))[0] for seed in range(40)}
    assert seen == {look.__name__ for look in looks.looks_of("boxes3d")}


def test_3d_blocks_are_drawn_large_against_their_gaps() -> None:
    # eight blocks with 50 px each of width and gap, 10 px each of depth, the tallest 80 px
    grow = drawings._grow([50.0] * 8, [10.0] * 8, 80.0, 2.0)
    assert 400 + grow * 80 == pytest.approx(2.0 * grow * 80)  # grown, the row is twice its tallest block
    assert drawings._grow([1.0], [100.0], 200.0, 3.0) == 1.0  # already compact: never shrunk
    assert drawings._grow([500.0], [300.0], 100.0, 2.0) == 6.0  # the depth alone is too long: capped
    # across models, the 3D looks draw figures about as tall as they are long, not thin strips
    ratios = []
    for k, graph in enumerate(models(24)):
        for look in (diagrams.blocks3d_perspective, looks.boxes3d_slabs, drawings.boxes3d):
            image = look(graph, random.Random(k))
            ratios.append(image.width / image.height)
    assert float(np.median(ratios)) < 2.4  # before blocks grew: 2.6


def test_variations_degrade_and_encode() -> None:
    image = render_dot("digraph { a -> b }")
    jpeg = Variation(scale=0.5, grey=True, jpeg_quality=30, border=8)
    out = degrade(image, jpeg)
    assert out.size == (round(image.width * 0.5) + 16, round(image.height * 0.5) + 16)
    assert encode(out, jpeg)[:3] == b"\xff\xd8\xff" and encode(out, Variation())[:4] == b"\x89PNG"


def test_a_palette_drawing_degrades_as_its_rgb_pixels_would() -> None:
    image = render_dot('digraph { node [style=filled, fillcolor="#FF5050"]; a -> b -> c; b -> d }')
    assert image.mode == "P"
    for variation in (Variation(contrast=0.85, grey=True, border=8), Variation(contrast=1.07),
                      Variation(grey=True), Variation(border=20)):
        fast = np.asarray(degrade(image, variation, scale=False).convert("RGB"), dtype=int)
        slow = np.asarray(degrade(image.convert("RGB"), variation, scale=False), dtype=int)
        assert fast.shape == slow.shape
        assert np.abs(fast - slow).max() <= 1  # rounding only


def test_drawings_are_made_at_their_dpi_within_their_pixel_budget() -> None:
    chain = "digraph { rankdir=LR; " + " -> ".join(f"n{i}" for i in range(60)) + " }"
    wide = render_dot(chain, Variation(megapixels=0.2), dpi=96, min_dpi=10)
    assert wide.width * wide.height <= 0.2e6 * 1.02 and wide.info["dpi_drawn"] < 96
    small = render_dot("digraph { a -> b }", Variation(scale=0.5), dpi=160)
    full = render_dot("digraph { a -> b }", Variation(), dpi=160)
    assert small.info["dpi_drawn"] == 80.0 and abs(small.width * 2 - full.width) <= 2
    floor = render_dot(chain, Variation(megapixels=0.01), dpi=96, min_dpi=40)
    assert floor.info["dpi_drawn"] == 40.0  # never below the floor: text stays readable
    # by default the floor is LEGIBLE_DPI, which a small scale does not go under either
    assert render_dot("digraph { a -> b }", Variation(scale=0.5), dpi=96).info["dpi_drawn"] == LEGIBLE_DPI
    assert render_dot(chain, Variation(megapixels=0.01), dpi=96).info["dpi_drawn"] == LEGIBLE_DPI


def test_graphviz_survives_its_helper_dying_and_hanging() -> None:
    big = "digraph { " + " ".join(f"n{i} -> n{(i * 7 + 3) % 3000};" for i in range(3000)) + " }"
    with Graphviz(timeout_s=60) as gv:
        first = gv.draw("digraph { a -> b }")
        assert first.data[:3] == b"GIF" and first.points[0] > 0
        helper = gv._proc
        killer = threading.Timer(0.3, helper.kill)  # as when Graphviz aborts in the middle of a graph
        killer.start()
        with pytest.raises(GraphvizError, match="stopped"):
            gv.draw(big)
        killer.join()
        assert gv.crashes == 1
        assert gv.draw("digraph { a -> b }").data == first.data  # a new helper, the same drawing
        assert gv._proc is not helper
        with pytest.raises(GraphvizError, match="could not parse"):
            gv.draw("digraph { a -> ")
        gv.timeout_s = 0.3
        with pytest.raises(GraphvizError, match="took more than"):
            gv.draw(big)
        gv.timeout_s = 60
        assert gv.draw("digraph { a -> b }").data == first.data


def test_a_drawing_matches_graphvizs_own_png() -> None:
    """The helper's fast path (cairo, then gd's GIF writer) gives Graphviz's own pixels: white margins,
    no grey edge, colours within a few levels."""
    dot = 'digraph { dpi=96; rankdir=LR; a [style=filled, fillcolor="#FF5050", shape=box]; a -> b -> c; b -> d }'
    png = subprocess.run(["dot", "-Tpng"], input=dot.encode(), capture_output=True, check=True).stdout
    reference = Image.open(io.BytesIO(png)).convert("RGBA")
    reference = Image.alpha_composite(Image.new("RGBA", reference.size, "white"), reference).convert("RGB")
    ours = render_dot(dot, Variation(font="Times-Roman"), 96).convert("RGB")  # Graphviz's default font
    assert (ours.width, ours.height) == (reference.width - 1, reference.height - 1)
    a = np.asarray(reference, dtype=int)[: ours.height, : ours.width]
    b = np.asarray(ours, dtype=int)
    assert np.abs(a - b).mean() < 1.0 and np.abs(a - b).max() <= 16
    assert (b[0] == 255).all() and (b[-1] == 255).all() and (b[:, 0] == 255).all() and (b[:, -1] == 255).all()
