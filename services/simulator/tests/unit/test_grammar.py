"""The grammar: the paper's ten layers, Table 2's ranges, exact depths, valid by construction."""

from collections import Counter

import pytest
from dlp2c.common.graph import Graph
from dlp2c.common.inference import infer
from dlp2c.simulator.grammar import DATASETS, LAYERS, TABLE2, depth_and_dataset, keras_name, sample_model


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda d: d.name)
def test_a_model_starts_at_its_input_and_ends_in_one_dense_per_class(dataset) -> None:
    for seed in range(20):
        graph = sample_model(seed, 12, dataset.name)
        first, last = graph.nodes[0], graph.outputs()[0]
        assert first.op == "Input" and tuple(first.params["shape"]) == dataset.shape
        assert last.op == "Dense" and last.params == {"units": dataset.classes, "activation": "softmax"}
        assert len(graph.nodes) == 12 + 2  # Input, 12 layers, classifier
        assert infer(graph).output(last.id).shape == (dataset.classes,)


def test_only_the_papers_layers_with_table2_values() -> None:
    seen = Counter()
    for seed in range(300):
        graph = sample_model(seed, 5 + seed % 36, ("mnist", "cifar10", "imagenet", "imdb")[seed % 4])
        for node in graph.nodes[1:-1]:
            seen[node.op] += 1
            assert node.op in LAYERS
            for name, values in TABLE2.get(node.op, {}).items():
                assert node.params[name] in values, (node.op, name, node.params[name])
    assert set(seen) == set(LAYERS), f"some layers never drawn: {set(LAYERS) - set(seen)}"


def test_recurrent_layers_come_with_and_without_return_sequences() -> None:
    flags = Counter()
    for seed in range(200):
        for node in sample_model(seed, 10, "imdb").nodes:
            if node.op in ("SimpleRNN", "LSTM"):
                flags[node.params["return_sequences"]] += 1
    assert flags[True] > 10 and flags[False] > 10


def test_concatenate_merges_branches() -> None:
    merges = 0
    for seed in range(200):
        graph = sample_model(seed, 20, "cifar10")
        feeds = graph.inputs_of()
        for node in graph.nodes:
            if node.op == "Concatenate":
                assert len(feeds[node.id]) == 2
                merges += 1
    assert merges > 50


def test_the_same_seed_gives_the_same_model_and_another_seed_another() -> None:
    assert sample_model("s:1", 20, "mnist").dumps() == sample_model("s:1", 20, "mnist").dumps()
    assert sample_model("s:1", 20, "mnist").dumps() != sample_model("s:2", 20, "mnist").dumps()


def test_every_depth_equally_often_and_every_input_with_every_depth() -> None:
    depths = tuple(range(5, 41))
    drawn = [depth_and_dataset(i, depths) for i in range(36 * 4 * 5)]
    assert set(Counter(d for d, _ in drawn).values()) == {20}
    assert set(Counter(s for _, s in drawn).values()) == {180}
    assert len(set(drawn)) == 36 * 4


def test_keras_default_names() -> None:
    assert [keras_name(op) for op in ("Conv2D", "MaxPooling2D", "SimpleRNN", "LSTM")] == [
        "conv2d", "max_pooling2d", "simple_rnn", "lstm"]
    names = [n.name for n in sample_model(3, 30, "mnist").nodes]
    assert len(names) == len(set(names))


def test_bad_requests_say_what() -> None:
    with pytest.raises(ValueError, match="unknown dataset 'svhn'"):
        sample_model(0, 10, "svhn")
    with pytest.raises(ValueError, match="depth must be at least 2"):
        sample_model(0, 1, "mnist")


def test_a_model_survives_its_json() -> None:
    graph = sample_model(5, 25, "imagenet")
    assert Graph.loads(graph.dumps()).dumps() == graph.dumps()
