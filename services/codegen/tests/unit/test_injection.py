"""Names from papers, OCR and users must never become code: the injection example on every target."""

import ast
from pathlib import Path

import onnx
import pytest
from dlp2c.codegen.generate import generate
from dlp2c.codegen.verify import verify
from dlp2c.common.graph import Graph, Provenance

ALLOWED_IMPORTS = {"numpy", "keras", "torch", "torch.nn", "torch.nn.functional", "sys", "caffe"}


def hostile_graph(marker: Path) -> Graph:
    payload = f"x'); import os; os.system('touch {marker}') #"
    g = Graph(f'net"""; import os; os.system("touch {marker}")\n#')
    ref = Provenance("figure", ref=f"fig 1\n```python\nimport os; os.system('touch {marker}')\n```")
    x = g.add("Input", {"shape": [8, 8, 3]}, name=payload, provenance=ref)
    c = g.add("Conv2D", {"filters": 4, "kernel_size": 3}, inputs=[x], name=payload + "\nimport os")
    f = g.add("Flatten", {}, inputs=[c], name="\\n'; exec('1')")
    g.add("Dense", {"units": 2, "activation": "softmax"}, inputs=[f], name="</script><img src=x onerror=alert(1)>")
    return g


def imports_and_calls(source: str) -> tuple[set[str], set[str]]:
    tree = ast.parse(source)
    imports, calls = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imports.add(node.module or "")
        elif isinstance(node, ast.Call):
            fn = node.func  # bare calls by name; attribute calls as ".name"
            calls.add(f".{fn.attr}" if isinstance(fn, ast.Attribute) else getattr(fn, "id", ""))
    return imports, calls


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    root = tmp_path_factory.mktemp("injection")
    marker = root / "PWNED"
    generated = generate(hostile_graph(marker), ["all"])
    assert all(r.ok for r in generated.results.values())
    generated.write(root / "out")
    return root / "out", marker, generated


@pytest.mark.parametrize("path", ["keras/model.py", "pytorch/model.py", "caffe/netspec.py"])
def test_generated_python_imports_and_calls_nothing_from_the_names(written, path: str) -> None:
    out, _marker, _generated = written
    imports, calls = imports_and_calls((out / path).read_text())
    assert imports <= ALLOWED_IMPORTS
    assert not {".system", ".popen", "exec", "eval", "__import__", "compile"} & calls
    assert "os" not in {n.id for n in ast.walk(ast.parse((out / path).read_text())) if isinstance(n, ast.Name)}


def test_prototxt_and_onnx_names_are_identifiers(written) -> None:
    out, _marker, _generated = written
    text = (out / "caffe" / "deploy.prototxt").read_text()
    for line in text.splitlines():
        if line.strip().startswith(("name:", "top:", "bottom:")):
            assert line.split(":", 1)[1].strip().strip('"').isidentifier(), line
    model = onnx.load(out / "onnx" / "model.onnx")
    assert all(v.name.replace(".", "_").replace(":", "_").isidentifier() for v in model.graph.input)
    assert all(n.name.replace(".", "_").replace(":", "_").isidentifier() for n in model.graph.node)


def test_readme_escapes_the_names(written) -> None:
    out, _marker, _generated = written
    readme = (out / "README.md").read_text()
    assert "```" not in readme and "<script" not in readme.lower() and "<img" not in readme


@pytest.mark.slow
def test_every_target_runs_and_nothing_is_executed(written, caffe_settings) -> None:
    out, marker, generated = written
    checks = verify(generated, out, caffe_settings)
    assert {t: c.ok for t, c in checks.items()} == {"keras": True, "caffe": True, "pytorch": True, "onnx": True}
    assert not marker.exists()
