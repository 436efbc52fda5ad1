"""The code generation service's settings (environment variables with the DLP2C_ prefix)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class CodegenSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DLP2C_")

    caffe_home: Path = Path.home() / ".cache" / "dlp2c" / "caffe"  # where `make caffe` builds Caffe
    caffe_python: Path | None = None  # a Python that can `import caffe`; default: caffe_home/venv
    verify_timeout_s: float = 120.0  # per design, per target
    grpc_port: int = 50061
    verify_code: bool = True  # the pipeline's codegen stage builds and runs what it wrote, per target
    # The ONNX target stores its (random) weights: 138M parameters are 530 MB. Above this many, the
    # pipeline defers it (`dlp2c generate graph.json -t onnx` writes it on demand); the CLI never does.
    onnx_max_params: int = 20_000_000

    def caffe_interpreter(self) -> Path | None:
        candidate = self.caffe_python or self.caffe_home / "venv" / "bin" / "python"
        return candidate if candidate.exists() else None

    def caffe_proto(self) -> Path | None:
        found = sorted(self.caffe_home.glob("brocolli-caffe-*/src/caffe/proto/caffe.proto"))
        return found[-1] if found else None
