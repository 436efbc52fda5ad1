import pytest
from dlp2c.codegen.generate import generate, resolve_targets
from dlp2c.codegen.registry import EmitterRegistry
from dlp2c.codegen.targets import TARGETS
from dlp2c.common.catalog import CATALOG
from dlp2c.common.errors import SchemaError, UnsupportedError
from dlp2c.common.graph import Graph


@pytest.mark.parametrize("target", list(TARGETS))
def test_every_catalog_op_has_an_emitter_or_a_reason(target: str) -> None:
    registry = TARGETS[target].EMITTERS
    assert registry.covered(spec.name for spec in CATALOG) == []


@pytest.mark.parametrize("target", list(TARGETS))
def test_unsupported_reasons_say_why(target: str) -> None:
    for op, reason in TARGETS[target].EMITTERS.reasons.items():
        assert op in CATALOG.names() and len(reason) > 20


def test_registering_an_op_twice_fails() -> None:
    registry = EmitterRegistry("demo")
    registry.emits("Dense")(lambda s, w: None)
    with pytest.raises(ValueError, match="twice"):
        registry.unsupported("Dense", because="no")


def test_unsupported_op_is_a_clear_error_and_other_targets_still_generate() -> None:
    g = Graph("seq")
    x = g.add("Input", {"shape": [5, 3]})
    g.add("SimpleRNN", {"units": 4}, inputs=[x], name="encoder")
    generated = generate(g, ["all"])
    caffe = generated.results["caffe"]
    assert not caffe.ok and isinstance(caffe.error, UnsupportedError)
    assert "SimpleRNN is not supported in caffe" in str(caffe.error) and "'encoder'" in str(caffe.error)
    assert all(generated.results[t].ok for t in ("keras", "pytorch", "onnx"))
    assert "caffe**: not generated" in generated.files()["README.md"].decode()


def test_unknown_target_is_named() -> None:
    with pytest.raises(SchemaError, match="unknown target 'tensorflow1'"):
        resolve_targets(["tensorflow1"])
    assert resolve_targets(["onnx", "all"]) == ["onnx", "keras", "caffe", "pytorch"]
