"""The dlp2c command line: import, validate, schema, ops; exit codes and messages a person can act on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from dlp2c.cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "dlp2c" / "cli" / "examples" / "lenet5.prototxt"


def test_import_then_validate_the_bundled_example(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "lenet.json"
    result = runner.invoke(cli, ["import", str(EXAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "61,706 parameters" in result.output
    summary = runner.invoke(cli, ["validate", str(out), "--json"])
    assert summary.exit_code == 0
    data = json.loads(summary.output)
    assert (data["nodes"], data["edges"], data["params"]) == (14, 13, 61706)
    assert data["outputs"][0]["shape"] == [10]
    table = runner.invoke(cli, ["validate", str(out)])
    assert "valid" in table.output and "61,706" in table.output


def test_invalid_graph_exits_2_with_the_reason(tmp_path: Path) -> None:
    graph = {"nodes": [{"id": "i", "op": "Input", "params": {"shape": [8, 8, 3]}},
                       {"id": "d", "op": "Dense", "params": {"units": 2}}],
             "edges": [{"src": "i", "dst": "d"}]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(graph))
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(path), "--json"])
    assert result.exit_code == 2
    error = json.loads(result.output)["error"]
    assert error["code"] == "shape_mismatch" and "Flatten" in error["hint"] and error["where"] == "node 'd' (Dense)"
    plain = runner.invoke(cli, ["validate", str(path)])
    assert plain.exit_code == 2 and "insert Flatten" in plain.output


def test_import_errors_exit_2_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "net.prototxt"
    path.write_text('layer { name: "d" type: "Data" top: "data" data_param { source: "db" } }')
    result = CliRunner().invoke(cli, ["import", str(path)])
    assert result.exit_code == 2
    assert "--input-shape data=" in result.output and "Traceback" not in result.output
    bad = CliRunner().invoke(cli, ["import", str(path), "--input-shape", "data:1,3"])
    assert bad.exit_code == 2 and "BLOB=N,C,H,W" in bad.output


def test_ops_and_schema() -> None:
    runner = CliRunner()
    listing = json.loads(runner.invoke(cli, ["ops", "--json"]).output)
    assert {"Conv2D", "LSTM", "LRN", "Concatenate"} <= {o["op"] for o in listing}
    conv = runner.invoke(cli, ["ops", "Conv2D"])
    assert "kernel_size" in conv.output and "required" in conv.output
    unknown = runner.invoke(cli, ["ops", "Conv2d"])
    assert unknown.exit_code == 2 and "did you mean 'Conv2D'" in unknown.output
    after_image = json.loads(runner.invoke(cli, ["ops", "--after", "28,28,1", "--json"]).output)
    assert "Conv2D" in after_image and "Dense" not in after_image
    after_ids = runner.invoke(cli, ["ops", "--after", "500", "--dtype", "int32"]).output.split()
    assert "Embedding" in after_ids and "LSTM" not in after_ids
    assert runner.invoke(cli, ["ops", "--after", "a,b"]).exit_code == 2
    schema = json.loads(runner.invoke(cli, ["schema"]).output)
    assert "Conv2D" in schema["$defs"]["params"]


def test_installed_entry_point_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("dlp2c")
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    for command in ("import", "validate", "schema", "ops"):
        assert command in proc.stdout


def test_render_draws_with_graphviz_and_escapes_untrusted_names(tmp_path: Path) -> None:
    graph = {"name": "g", "nodes": [
        {"id": "i", "op": "Input", "params": {"shape": [4]}},
        {"id": "d", "op": "Dense", "name": 'evil"]; x -> y [label="pwned', "params": {"units": 2}}],
        "edges": [{"src": "i", "dst": "d"}]}
    path = tmp_path / "g.json"
    path.write_text(json.dumps(graph))
    runner = CliRunner()
    dot = tmp_path / "g.dot"
    assert runner.invoke(cli, ["render", str(path), "-o", str(dot)]).exit_code == 0
    assert 'evil\\"]; x -> y [label=\\"pwned' in dot.read_text()
    svg = tmp_path / "g.svg"
    result = runner.invoke(cli, ["render", str(path), "-o", str(svg)])
    assert result.exit_code == 0, result.output
    content = svg.read_text()
    assert content.lstrip().startswith("<?xml") and "10 params" in content
    # the name stayed a label: still two nodes and one edge, no node 'x' or 'y' injected
    assert content.count('class="node"') == 2 and content.count('class="edge"') == 1
