"""Fixtures for code generation tests: generated designs written once per session, verified per target."""

from __future__ import annotations

from pathlib import Path

import pytest
from dlp2c.codegen.generate import Generated, generate
from dlp2c.codegen.samples import op_cases
from dlp2c.codegen.settings import CodegenSettings


@pytest.fixture(scope="session")
def caffe_settings() -> CodegenSettings:
    """Settings whose Caffe is real: `make test` builds it first (`make caffe`)."""
    settings = CodegenSettings()
    if settings.caffe_interpreter() is None:
        pytest.fail("pycaffe is not built: run `make caffe` (make test does it first)")
    return settings


@pytest.fixture(scope="session")
def op_designs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Generated, Path]]:
    """Every op case of the catalog, generated for all four targets and written to disk."""
    root = tmp_path_factory.mktemp("op_cases")
    designs = []
    for i, (case, graph) in enumerate(op_cases()):
        generated = generate(graph, ["all"])
        folder = root / f"{i:03d}"
        generated.write(folder)
        designs.append((case, generated, folder))
    return designs
