"""Build and run what was generated, in a separate process per target, and compare with shape inference.

Per target: did it build and run, the output shapes (in the target's layout), and the stored
parameter count against :mod:`dlp2c.codegen.conventions`. Caffe runs in real Caffe when `make caffe`
has built it; otherwise the prototxt is parsed against Caffe's own schema (its ``caffe.proto``,
compiled on the fly) and the result says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlp2c.codegen.conventions import expected_count
from dlp2c.codegen.generate import Generated
from dlp2c.codegen.layout import cf_shape
from dlp2c.codegen.plan import Plan
from dlp2c.codegen.settings import CodegenSettings

DRIVERS = Path(__file__).parent / "drivers"
FREE_SIZE = 8


@dataclass
class Check:
    target: str
    built: bool
    expected_outputs: list[list[int | None]]
    expected_params: int
    outputs: list[list[int]] | None = None
    params: int | None = None
    error: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def shapes_match(self) -> bool:
        if self.outputs is None:
            return True  # schema-only check: no shapes to compare (said in notes)
        if len(self.outputs) != len(self.expected_outputs):
            return False
        return all(len(o) == len(e) and all(x is None or x == y for x, y in zip(e, o, strict=True))
                   for o, e in zip(self.outputs, self.expected_outputs, strict=True))

    @property
    def params_match(self) -> bool:
        return self.params is None or self.params == self.expected_params

    @property
    def ok(self) -> bool:
        return self.built and self.shapes_match and self.params_match and not self.error

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "ok": self.ok, "built": self.built, "outputs": self.outputs,
                "expected_outputs": self.expected_outputs, "params": self.params,
                "expected_params": self.expected_params, "error": self.error, "notes": self.notes}


def _job(plan: Plan, folder: Path) -> dict[str, Any]:
    inputs = []
    for s in plan.inputs:
        shape = [FREE_SIZE if d is None else d for d in s.out.shape]
        inputs.append({"name": s.name, "shape": shape, "cf_shape": list(cf_shape(shape)), "dtype": s.out.dtype,
                       "int": s.out.dtype.startswith("int"), "limit": plan.id_limit()})
    return {"dir": str(folder), "inputs": inputs, "outputs": [s.name for s in plan.outputs]}


def expected_outputs(plan: Plan, target: str) -> list[list[int | None]]:
    out = []
    for s in plan.outputs:
        shape = list(s.out.shape) if target == "keras" else list(cf_shape(s.out.shape))
        if target == "caffe":
            shape = [FREE_SIZE if d is None else d for d in shape]
        out.append(shape)
    return out


def _interpreter(target: str, settings: CodegenSettings) -> Path | None:
    if target == "caffe":
        return settings.caffe_interpreter()
    return Path(sys.executable)


def _run_driver(python: Path, target: str, jobs: list[dict[str, Any]], timeout: float) -> dict[str, dict[str, Any]]:
    """Run a driver over jobs; when it dies (Caffe aborts on errors), record that job and go on after it."""
    results: dict[str, dict[str, Any]] = {}
    pending = list(jobs)
    env = {**os.environ, "GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1"}
    while pending:
        try:
            proc = subprocess.run([str(python), str(DRIVERS / f"{target}_driver.py")], input=json.dumps(pending),
                                  capture_output=True, text=True, timeout=timeout * len(pending) + 30, env=env)
            stdout, stderr, code = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as exc:
            stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            stderr, code = f"timed out after {exc.timeout:.0f} s", -1
        started: str | None = None
        for line in stdout.splitlines():
            if not line.startswith("{"):
                continue
            row = json.loads(line)
            if row.get("started"):
                started = row["dir"]
                continue
            results[row["dir"]] = row
            started = None
        pending = [j for j in pending if j["dir"] not in results]
        if not pending:
            break
        dead = started or pending[0]["dir"]
        reason = _last_error(stderr) or f"the {target} process exited with status {code}"
        results[dead] = {"dir": dead, "built": False, "error": reason}
        pending = [j for j in pending if j["dir"] != dead]
    return results


def _last_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for line in reversed(lines):
        if "Check failed" in line or "Error" in line or "error" in line:
            return line[-500:]
    return lines[-1][-500:] if lines else ""


def _caffe_schema(proto: Path) -> type:
    """Caffe's ``NetParameter`` message class, from its caffe.proto.

    protoc runs in its own process (grpc_tools' protoc inside a process that already holds other
    protobuf descriptors can crash it) and writes a descriptor set, which is loaded into a private
    pool: nothing is imported, nothing lands on ``sys.path``, and a second schema never clashes.
    """
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "caffe.desc"
        done = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{proto.parent}",
                               f"--descriptor_set_out={out}", str(proto)],
                              capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"protoc could not compile {proto}: {done.stderr.strip()[-500:]}")
        files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("caffe.NetParameter"))


def _schema_check(plans: list[tuple[Plan, Path]], settings: CodegenSettings) -> dict[str, dict[str, Any]]:
    """Without pycaffe: parse each prototxt with Caffe's own schema, compiled from its caffe.proto."""
    proto = settings.caffe_proto()
    results = {}
    if proto is None:
        for _plan, folder in plans:
            results[str(folder)] = {"dir": str(folder), "built": False,
                                    "error": "Caffe is not built and its caffe.proto is not found: run `make caffe`"}
        return results
    from google.protobuf import text_format

    net_parameter = _caffe_schema(proto)
    for _plan, folder in plans:
        try:
            text_format.Parse((folder / "caffe" / "deploy.prototxt").read_text(), net_parameter())
            results[str(folder)] = {"dir": str(folder), "built": True, "outputs": None, "params": None,
                                    "engine": "schema"}
        except text_format.ParseError as exc:
            results[str(folder)] = {"dir": str(folder), "built": False, "error": f"caffe.proto rejects it: {exc}"}
    return results


def verify_designs(designs: list[tuple[Plan, Path]], target: str,
                   settings: CodegenSettings | None = None) -> list[Check]:
    """Verify one target for many generated designs (each a plan and the folder it was written to)."""
    settings = settings or CodegenSettings()
    python = _interpreter(target, settings)
    ready = [(plan, folder) for plan, folder in designs if (folder / target).is_dir()]
    if target == "caffe" and python is None:
        raw = _schema_check(ready, settings)
    else:
        raw = _run_driver(python, target, [_job(p, f) for p, f in ready], settings.verify_timeout_s)  # type: ignore[arg-type]
    checks = []
    for plan, folder in designs:
        row = raw.get(str(folder), {"built": False, "error": f"no {target} files were generated"})
        check = Check(target, bool(row.get("built")), expected_outputs(plan, target), expected_count(plan, target),
                      row.get("outputs"), row.get("params"), row.get("error", ""))
        if row.get("engine") == "schema":
            check.notes.append("pycaffe is not built (`make caffe`): checked against caffe.proto only, not run")
        if row.get("netspec_matches") is False:
            check.error = "netspec.py writes a different net from deploy.prototxt"
        checks.append(check)
    return checks


def verify(generated: Generated, folder: Path, settings: CodegenSettings | None = None) -> dict[str, Check]:
    """Verify every target of one design that was written to ``folder``; a target that failed to
    generate is reported with its generation error."""
    checks = {}
    for target, result in generated.results.items():
        if not result.ok:
            checks[target] = Check(target, False, expected_outputs(generated.plan, target),
                                   expected_count(generated.plan, target), error=str(result.error))
            continue
        checks[target] = verify_designs([(generated.plan, folder)], target, settings)[0]
    return checks
