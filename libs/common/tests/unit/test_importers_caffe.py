"""Caffe prototxt: both syntaxes, blob wiring made clean, Caffe's counting, errors that name line and layer."""

from __future__ import annotations

import pytest
from dlp2c.common.errors import ModelImportError, UnsupportedError
from dlp2c.common.importers.caffe import import_caffe
from dlp2c.common.importers.prototxt import parse
from dlp2c.common.inference import infer

V1 = """
name: "old"
input: "data"
input_dim: 1 input_dim: 3 input_dim: 32 input_dim: 32
layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
         blobs_lr: 1 convolution_param { num_output: 16 kernel_size: 3 pad: 1 weight_filler { type: "xavier" } } }
layers { name: "relu1" type: RELU bottom: "conv1" top: "conv1" }
layers { name: "pool1" type: POOLING bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layers { name: "fc" type: INNER_PRODUCT bottom: "pool1" top: "fc" inner_product_param { num_output: 10 } }
"""

RESIDUAL = """
name: "res"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 8 dim: 16 dim: 16 } } }
layer { name: "split" type: "Split" bottom: "data" top: "a" top: "b" }
layer { name: "conv" type: "Convolution" bottom: "a" top: "conv"
        convolution_param { num_output: 8 kernel_size: 3 pad: 1 bias_term: false group: 2 } }
layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "conv" batch_norm_param { use_global_stats: true } }
layer { name: "scale" type: "Scale" bottom: "conv" top: "conv" scale_param { bias_term: true } }
layer { name: "sum" type: "Eltwise" bottom: "b" bottom: "conv" top: "sum" }
layer { name: "relu" type: "ReLU" bottom: "sum" top: "sum" }
layer { name: "cat" type: "Concat" bottom: "sum" bottom: "b" top: "cat" }
layer { name: "gap" type: "Pooling" bottom: "cat" top: "gap" pooling_param { pool: AVE global_pooling: true } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "gap" bottom: "label" top: "loss" include { phase: TRAIN } }
"""


def test_v1_syntax_with_in_place_relu_and_implicit_flatten() -> None:
    graph = import_caffe("old.prototxt", text=V1)
    result = infer(graph)
    assert [n.op for n in graph.nodes] == ["Input", "Conv2D", "ReLU", "MaxPooling2D", "Flatten", "Dense"]
    assert result.output(graph.nodes[3].id).shape == (16, 16, 16)  # ceil((32-3)/2)+1 = 16, Caffe rounds up
    assert result.total_params == 3 * 3 * 3 * 16 + 16 + 16 * 16 * 16 * 10 + 10


def test_blob_wiring_becomes_a_clean_graph() -> None:
    graph = import_caffe("res.prototxt", text=RESIDUAL)
    ops = [n.op for n in graph.nodes]
    assert ops == ["Input", "Conv2D", "BatchNormalization", "Add", "ReLU", "Concatenate", "GlobalAveragePooling2D"]
    bn = graph.nodes[2]
    assert bn.params["scale"] is True and bn.params["center"] is True  # Scale merged into BatchNorm
    feeds = graph.inputs_of()
    assert feeds[graph.nodes[3].id] == ["data", bn.id]  # Split vanished: both read the input
    result = infer(graph)
    # grouped conv 3*3*(8/2)*8, BatchNorm 2C+1 statistics, Scale gamma+beta 2C
    assert result.total_params == 3 * 3 * 4 * 8 + (2 * 8 + 1) + 2 * 8
    assert result.outputs()[0].output.shape == (1, 1, 16)


def test_data_layer_without_shape_asks_for_one_then_takes_it() -> None:
    text = """
    layer { name: "mnist" type: "Data" top: "data" top: "label" include { phase: TRAIN }
            data_param { source: "x" batch_size: 64 } }
    layer { name: "mnist" type: "Data" top: "data" top: "label" include { phase: TEST }
            transform_param { scale: 0.0039 } data_param { source: "y" batch_size: 100 } }
    layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 10 } }
    layer { name: "acc" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc" }
    """
    with pytest.raises(ModelImportError, match=r"--input-shape data="):
        import_caffe("train.prototxt", text=text)
    graph = import_caffe("train.prototxt", text=text, input_shapes={"data": [1, 1, 28, 28]})
    assert infer(graph).total_params == 784 * 10 + 10


@pytest.mark.parametrize(("text", "message"), [
    ('layer { name: "x" type: "Axpy" bottom: "data" top: "x" }', "Caffe layer type 'Axpy' is not supported"),
    ('layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 2 '
     'kernel_size: 1 shiny: 3 } }', "convolution_param.shiny is not supported"),
    ('layer { name: "r" type: "ReLU" bottom: "missing" top: "r" }', "bottom blob 'missing'"),
])
def test_unsupported_things_are_named_with_their_line(text: str, message: str) -> None:
    head = 'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }\n'
    with pytest.raises((UnsupportedError, ModelImportError)) as info:
        import_caffe("net.prototxt", text=head + text)
    assert message in str(info.value) and "net.prototxt:2" in str(info.value)


@pytest.mark.parametrize(("text", "message"), [
    ('layer { name: "a" ', "missing '}'"),
    ('layer { name: "a" } }', "expected a field name"),
    ("layer { name: @ }", "unexpected character"),
])
def test_syntax_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ModelImportError, match=message):
        parse(text, "bad.prototxt")


def test_text_format_values() -> None:
    msg = parse('a: 1 b: -2.5e-3 c: "x\\"y" "z" d: TRUE e: MAX f: [1, 2, 3] g < h: 1 >; # comment\n')
    assert msg.get("a") == 1 and msg.get("b") == -0.0025 and msg.get("c") == 'x"yz'
    assert msg.get("d") is True and msg.get("e") == "MAX" and msg.all("f") == [1, 2, 3]
    assert msg.get("g").get("h") == 1
