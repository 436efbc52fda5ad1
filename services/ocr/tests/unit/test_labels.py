"""What a node's text says: types corrected against the framework's names, numbers read as printed."""

from __future__ import annotations

import pytest
from dlp2c.ocr.labels import KERAS_TYPES, closest, read_label


@pytest.mark.parametrize(("text", "style", "name", "kind"), [
    ("C0nv2D", "keras", "", "Conv2D"),  # the examples
    ("max_pooling2d (MaxPoolng2D)", "keras", "max_pooling2d", "MaxPooling2D"),
    ("conv2d_1 [Corv2D:", "keras", "conv2d_1", "Conv2D"),  # brackets read as [ and :
    ("input_layer (In putLayer:", "keras", "input_layer", "InputLayer"),  # a type split in two
    ("concatenate _1 [Corcaterste:", "keras", "concatenate_1", "Concatenate"),
    ("average_pooling2d_1 (AveragePcoling2D)", "keras", "average_pooling2d_1", "AveragePooling2D"),
    ("dense_3: Dense", "keras", "dense_3", "Dense"),  # Keras 2's record label
    ("conv1\n{Convoluton)\nkemel size: 3", "caffe", "conv1", "Convolution"),
    ("fc7 (InnerProduct)", "caffe", "fc7", "InnerProduct"),
    ("concatenate\n(Cancat)", "caffe", "concatenate", "Concat"),
])
def test_a_garbled_type_lands_on_the_right_name(text: str, style: str, name: str, kind: str) -> None:
    label = read_label(text, style)
    assert (label.kind, label.type, label.name) == ("layer", kind, name)


def test_a_marked_type_wins_over_a_name_that_spells_another_type() -> None:
    # "average" is Keras' Average merge layer; the bracketed word is what the drawing says it is
    assert read_label("average_pooling2d (AveragePooling2D)", "keras").type == "AveragePooling2D"
    assert read_label("dropout_2 (Dense)", "keras").type == "Dense"


def test_caffe_numbers_are_read_on_lines_or_in_one_line_with_ocr_digits() -> None:
    lines = read_label("pool2\n(Pooling)\npool AVE\nkemel size: 3\nStride: 2\npad; O", "caffe")
    assert lines.op == "AveragePooling2D"
    assert lines.params == {"kernel_size": 3, "stride": 2, "pad": 0, "pool": "AVE"}
    one = read_label("conv1 (Convolution) kernel size: 11 stride: 4 pad: 0", "caffe")
    assert (one.op, one.params) == ("Conv2D", {"kernel_size": 11, "stride": 4, "pad": 0})
    assert read_label("pool1 (Pooling) pool MAX kernel size: 2", "caffe").op == "MaxPooling2D"


def test_a_caffe_blob_is_a_name_alone_even_one_that_spells_a_type() -> None:
    assert read_label("dropout", "caffe").kind == "blob"
    assert read_label("conv2d_1_pad", "caffe").name == "conv2d_1_pad"
    assert read_label("dropout\n(Dropout)", "caffe").kind == "layer"


def test_keras_shapes_give_the_output_shape() -> None:
    keras3 = read_label("conv2d (Conv2D)\nInput shape: (None, 32, 32, 3) Output shape: (None, 24, 24, 160)")
    assert keras3.output_shape == (None, 24, 24, 160)
    keras2 = read_label("input:\n(None, 3, 3, 8)\nconv2d_1: Conv2D\noutput:\n(None, 1,1, 8)", "keras")
    assert keras2.output_shape == (None, 1, 1, 8)
    assert read_label("dense (Dense)", "keras").output_shape is None  # not drawn: not guessed


def test_text_that_names_nothing_is_unknown_and_stays_data() -> None:
    assert read_label("", "keras").kind == "unknown"
    assert read_label("~~~ ---", "keras").kind == "unknown"
    hostile = read_label("__import__('os').system('rm -rf /') (Dense)", "keras")
    assert hostile.type == "Dense"
    assert all(ch not in hostile.name for ch in "()'\";")


def test_closest_ignores_case_and_separators() -> None:
    assert closest("max_pooling_2d", KERAS_TYPES) == ("MaxPooling2D", 1.0)


def test_in_caffe_the_outline_says_layer_or_blob_and_the_text_which_type() -> None:
    # a blob's name can look like a bracketed type to OCR ("conv2d_1 linear": "1" for "(")
    assert read_label("conv2d_1 linear", "caffe", "octagon").kind == "blob"
    assert read_label("dropout\n(Dropout)", "caffe", "octagon").kind == "blob"
    # a layer's type without its brackets, or after its name that spells another type
    assert read_label("dense_3 innerProduct!", "caffe", "box").type == "InnerProduct"
    assert read_label("dropout 2 (Drepeut)", "caffe", "box").type == "Dropout"
    assert read_label("average_pooling2d\n9 Tooling)\npool AVE", "caffe", "box").op == "AveragePooling2D"
    # "(Input" at a line's end is the type, not the key of "Input: (None, ...)"
    assert read_label("input_layer\n(Input", "caffe", "box").type == "Input"


def test_caffe_numbers_are_read_as_ocr_leaves_their_keys_and_digits() -> None:
    glued = read_label("conv2d_linear\n(Convolution)\nkernelsize: 1\nstide: 2\npad:0", "caffe", "box")
    assert glued.params == {"kernel_size": 1, "stride": 2, "pad": 0}
    assert read_label("pool_1\n(Pooling)\npoolAVE\nkemel size: 9", "caffe", "box").op == "AveragePooling2D"
    marks = read_label("max noolina?d (Poolina) nool MAX kerne!l size: 7 stride: 1 nad: 0 |", "caffe", "box")
    assert (marks.op, marks.params) == ("MaxPooling2D", {"kernel_size": 7, "stride": 1, "pad": 0, "pool": "MAX"})
    assert read_label("c (Convolution) kernel s:ze: 11 stride: 1 pad: +", "caffe", "box").params["pad"] == 4
    # a pad no smaller than the kernel, in digits OCR makes of 0, is 0; a possible one is kept
    assert read_label("c (Convolution) kernel size: 1 stride: 1 pad: 90", "caffe", "box").params["pad"] == 0
    assert read_label("c (Convolution) kernel size: 3 stride: 1 pad: 6", "caffe", "box").params["pad"] == 0
    assert read_label("c (Convolution) kernel size: 9 stride: 1 pad: 6", "caffe", "box").params["pad"] == 6


def test_caffe_values_are_read_after_any_mark_and_as_the_digits_ocr_garbles() -> None:
    def params(text: str) -> dict[str, object]:
        return read_label("c\n(Convolution)\n" + text, "caffe", "box").params

    # the mark between key and value: a quote, a dash, a dot and colon together
    assert params('kemel size" 5\nstride\u2019 1\npad- 2') == {"kernel_size": 5, "stride": 1, "pad": 2}
    assert params("kernel size: 3\nsride:.2\npad'0") == {"kernel_size": 3, "stride": 2, "pad": 0}
    # a 0 whose sides came apart, a 1 read as a mark or letter, a digit and a stray bracket or letter
    assert params("kernel size: 7\nstride: |\npad: ()") == {"kernel_size": 7, "stride": 1, "pad": 0}
    assert params("kernel size: it\nstride: \u00a3\npad: @") == {"kernel_size": 11, "stride": 1, "pad": 0}
    assert params("kernel size: 1}\nstride: 1\npad: {)") == {"kernel_size": 1, "stride": 1, "pad": 0}
    assert params("kernel size: 5S -\nstride: 2\npad: 2")["kernel_size"] == 5
    # a key OCR bent out of shape ("kerne}", "keme)") is still a key, not the "size" of "stride"
    assert params("kerne} size: 5 stride: 1 pad: 2") == {"kernel_size": 5, "stride": 1, "pad": 2}
    assert params("keme) size: 3\nstride: 2\npad: 1") == {"kernel_size": 3, "stride": 2, "pad": 1}
    # a value run into the next key, and a key read past recognition between two that were read
    assert params("kemel size: 3suxde: 1 pad: 0") == {"kernel_size": 3, "stride": 1, "pad": 0}
    assert params("kemelsze:i -\nsone: 2\npad: 0") == {"kernel_size": 1, "stride": 2, "pad": 0}
    assert params("kernel size 9 stride. Lpad: 4") == {"kernel_size": 9, "stride": 1, "pad": 4}
    # no number where a number must be: nothing is guessed
    assert params("kernel size\nstride: 1\npad: fh") == {"stride": 1}


def test_a_colon_inside_a_caffe_type_is_a_lost_letter_not_a_break() -> None:
    assert read_label("dense_1 (Inne:Praducd)", "caffe", "box").type == "InnerProduct"
    assert read_label("pool1 (Pool:ng)", "caffe", "box").type == "Pooling"


def test_the_pooling_method_is_read_as_ocr_leaves_it_or_as_bvlc_draw_net_writes_it() -> None:
    for line in ("poo! MAX", "poo] MAX", "poolMAxX", "pool MA.", "ool MAX"):
        assert read_label(f"pool\n(Pooling)\n{line}\nkernel size: 3", "caffe", "box").op == "MaxPooling2D", line
    assert read_label("p (Pooling) poo) AVE kernel size: 3", "caffe", "box").op == "AveragePooling2D"
    bvlc = read_label("pool1\n(MAX Pooling)\nkernel size: 3\nstride: 2\npad: 0", "caffe", "box")
    assert (bvlc.op, bvlc.params["pool"], bvlc.params["stride"]) == ("MaxPooling2D", "MAX", 2)
    assert read_label("max_pooling2d\n(Pooling)\nkernel size: 3", "caffe", "box").params["pool"] == ""


def test_keras_shapes_are_read_as_ocr_leaves_them() -> None:
    assert read_label("embedding: Embedding\noutput: (one. 200. 128)", "keras").output_shape == (None, 200, 128)
    assert read_label("dense: Dense\ninput:\n(None, 1792)\noutput:\nNone, 10)", "keras").output_shape == (None, 10)
    assert read_label("conv2d: Conv2D\noutput:\n(None, ??, 22, 64)", "keras").output_shape == (None, 22, 22, 64)
    assert read_label("dropout: Dropout\noutput: (None, +20)", "keras").output_shape == (None, 420)


def test_a_type_split_before_its_digits_is_joined() -> None:
    assert read_label("average_pooling2d (AveragePooling 2D)", "keras").type == "AveragePooling2D"


def test_mxnet_plot_network_nodes_are_read_with_what_they_print() -> None:
    conv = read_label("Convolution\n7x7/2, 96", "keras")
    assert (conv.type, conv.op) == ("Convolution", "Conv2D")
    assert conv.params == {"kernel_size": 7, "stride": 2, "filters": 96}
    assert read_label("Convolution\nIx1", "keras").params == {"kernel_size": 1}
    fc = read_label("FullyConnected\n128", "keras")
    assert (fc.op, fc.params) == ("Dense", {"units": 128})
    assert read_label("Pooling\nmax, 3x3/2", "keras").op == "MaxPooling2D"
    assert read_label("dense_1 (Dense)", "keras").op == "Dense"  # Keras' own names first
    # a Keras name that spells an MXNet op ("pooling2d") beside a garbled type is still Keras'
    assert read_label("max_pooling2d_4: MaxPoo'ng2D", "keras").type == "MaxPooling2D"


def test_a_shape_whose_bracket_was_misread_still_counts() -> None:
    assert read_label("dropout_3: Dropout\n(None, 380}", "keras").output_shape == (None, 380)
    assert read_label("conv2d: Conv2D\n(None, 12, 12, 3]", "keras").output_shape == (None, 12, 12, 3)


def test_an_i_read_as_a_colon_is_an_i() -> None:
    label = read_label("average_pool:ng2d_w:ndow (Pool:ng) pool AVE kernel s:ze: 9 str:de: 2 pad: 0", "caffe", "box")
    assert (label.kind, label.type, label.name) == ("layer", "Pooling", "average_pooling2d_window")
    assert label.params == {"kernel_size": 9, "stride": 2, "pad": 0, "pool": "AVE"}
    assert label.text.startswith("average_pool:ng2d")  # what was read stays as read
    assert read_label("lstm:lstm", "keras").type == "LSTM"  # Keras 2's colon, its space lost, stays one


def test_a_caffe_box_is_a_layer_whatever_ocr_made_of_it() -> None:
    relu = read_label("dense 3\n(Rew)", "caffe", "box")  # a garbled type, nearest on less evidence
    assert (relu.kind, relu.type, relu.op) == ("layer", "ReLU", "ReLU")
    assert read_label("~~ ,,\n(@#)", "caffe", "box").kind == "unknown"  # a layer, its type not read
    assert read_label("", "caffe", "box").kind == "unknown"
    # blobs are octagons: their names are not read, and a short bracket there is no layer
    assert read_label("", "caffe", "octagon").kind == "blob"
    assert read_label("dense 3\n(Rew)", "caffe", "octagon").kind == "blob"


def test_a_type_outbids_the_name_that_spells_part_of_it() -> None:
    # OCR splits the type: the whole reading beats its first word, which is a type of its own
    assert read_label("average_pooling2d: Average Pooling2D", "keras").type == "AveragePooling2D"
    # the name's first word ("average", exact) loses to the garbled type written as one word
    assert read_label("average_pooung2d AveragePooing2D", "keras").type == "AveragePooling2D"
    assert read_label("dense_1", "keras").type == "Dense"  # alone, the name still spells its type
