"""Without pycaffe, Caffe output is parsed against Caffe's own caffe.proto, and the result says so."""

from pathlib import Path

import pytest
from dlp2c.codegen.generate import generate
from dlp2c.codegen.settings import CodegenSettings
from dlp2c.codegen.verify import verify_designs
from dlp2c.common.graph import Graph


def lenet_like() -> Graph:
    g = Graph("small")
    x = g.add("Input", {"shape": [12, 12, 1]})
    c = g.add("Conv2D", {"filters": 2, "kernel_size": 3, "activation": "relu"}, inputs=[x], name="conv")
    p = g.add("MaxPooling2D", {"pool_size": 2}, inputs=[c], name="pool")
    f = g.add("Flatten", {}, inputs=[p], name="flat")
    g.add("Dense", {"units": 3}, inputs=[f], name="fc")
    return g


@pytest.fixture()
def written(tmp_path: Path):
    generated = generate(lenet_like(), ["caffe"])
    generated.write(tmp_path / "out")
    return generated, tmp_path / "out"


@pytest.fixture()
def proto_only(tmp_path: Path) -> CodegenSettings:
    """Settings with Caffe's caffe.proto (from its source, as `make caffe` unpacks it) but no pycaffe."""
    real = CodegenSettings()
    if real.caffe_proto() is None:
        pytest.fail("Caffe's source is not unpacked: run `make caffe`")
    rel = real.caffe_proto().relative_to(real.caffe_home)
    home = tmp_path / "home"
    (home / rel.parent).mkdir(parents=True)
    (home / rel).write_bytes(real.caffe_proto().read_bytes())
    return CodegenSettings(caffe_home=home)


def test_schema_fallback_parses_with_caffe_proto_and_says_so(written, proto_only: CodegenSettings) -> None:
    generated, out = written
    check = verify_designs([(generated.plan, out)], "caffe", proto_only)[0]
    assert check.ok and check.outputs is None and check.params is None
    assert check.notes == ["pycaffe is not built (`make caffe`): checked against caffe.proto only, not run"]


def test_schema_fallback_rejects_a_field_caffe_does_not_know(written, proto_only: CodegenSettings) -> None:
    generated, out = written
    deploy = out / "caffe" / "deploy.prototxt"
    deploy.write_text(deploy.read_text().replace("num_output: 2", "num_outputs: 2"))
    check = verify_designs([(generated.plan, out)], "caffe", proto_only)[0]
    assert not check.ok and "caffe.proto rejects it" in check.error and "num_outputs" in check.error


def test_without_caffe_or_its_schema_the_check_fails_with_the_fix(written, tmp_path: Path) -> None:
    generated, out = written
    check = verify_designs([(generated.plan, out)], "caffe", CodegenSettings(caffe_home=tmp_path / "nothing"))[0]
    assert not check.ok and "run `make caffe`" in check.error
