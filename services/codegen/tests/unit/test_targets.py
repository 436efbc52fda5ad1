"""Every op of the catalog, in every target: generated, built, run, counted, and numerically equal."""

import pytest
from dlp2c.codegen.numerics import compare
from dlp2c.codegen.targets import TARGETS
from dlp2c.codegen.verify import verify_designs
from dlp2c.common.design import differences
from dlp2c.common.importers.caffe import import_caffe

ATOL = 1e-4


def test_every_op_case_generates_or_names_its_reason(op_designs) -> None:
    for case, generated, _folder in op_designs:
        for target, result in generated.results.items():
            if not result.ok:
                assert result.error is not None and "not supported in" in str(result.error), (case, target)
    keras_failures = [case for case, g, _ in op_designs if not g.results["keras"].ok]
    assert keras_failures == []


def test_every_catalog_op_generates_somewhere_beyond_keras(op_designs) -> None:
    ops = {g.plan.steps[-1].op for _, g, _ in op_designs}
    from dlp2c.common.catalog import CATALOG

    assert ops == set(CATALOG.names()) - {"Input"}
    for target in ("pytorch", "onnx"):
        missing = {g.plan.steps[-1].op for _, g, _ in op_designs if not g.results[target].ok}
        assert missing == set(), (target, missing)


# The paper's grammar (its Table 1): what simulated ground truth is made of.
GRAMMAR_OPS = {"Conv2D", "MaxPooling2D", "AveragePooling2D", "Embedding", "SimpleRNN", "LSTM", "Dense", "Flatten",
               "Dropout", "Concatenate"}


def test_caffe_nets_of_the_grammars_layers_import_back_to_the_same_design(op_designs) -> None:
    """The importer reads what the Caffe target writes for the grammar's layers (exact 'same' average
    pooling, LSTM with its continuation blob, Dense on a sequence, ...) back to the same design."""
    compared = 0
    for case, generated, _folder in op_designs:
        result = generated.results["caffe"]
        if not result.ok or generated.plan.steps[-1].op not in GRAMMAR_OPS:
            continue
        back = import_caffe(f"{case}.prototxt", text=result.files["deploy.prototxt"].decode())
        assert differences(generated.plan.graph, back) == [], case
        compared += 1
    assert compared == 22


@pytest.mark.slow
@pytest.mark.parametrize("target", list(TARGETS))
def test_op_cases_build_and_match_shape_inference(op_designs, target: str, caffe_settings) -> None:
    chosen = [(case, g, f) for case, g, f in op_designs if g.results[target].ok]
    checks = verify_designs([(g.plan, f) for _, g, f in chosen], target, caffe_settings)
    failures = {case: (c.error or f"{c.outputs} vs {c.expected_outputs}, {c.params} vs {c.expected_params}")
                for (case, _, _), c in zip(chosen, checks, strict=True) if not c.ok}
    assert failures == {}
    assert all(not c.notes for c in checks)  # real Caffe ran, not the schema fallback
    assert len(chosen) == {"keras": 101, "pytorch": 101, "onnx": 101, "caffe": 73}[target]


@pytest.mark.slow
def test_op_cases_agree_numerically_across_targets(op_designs, caffe_settings) -> None:
    results = compare([(g.plan, f) for _, g, f in op_designs], ["pytorch", "onnx", "caffe"], caffe_settings)
    disagreements = {}
    for (case, generated, _), result in zip(op_designs, results, strict=True):
        for target, agreement in result.items():
            if target != "keras" and generated.results[target].ok and not agreement.ok(ATOL):
                disagreements[(case, target)] = agreement.error or agreement.max_abs_diff
    assert disagreements == {}
    compared = sum(1 for r in results for t, a in r.items() if t != "keras" and a.max_abs_diff is not None)
    assert compared == 101 + 101 + 73
