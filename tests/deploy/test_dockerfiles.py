"""The container definitions, read as text: base images pinned to exact versions, a numeric non-root
user in every final stage, nothing secret baked in, the build context kept clean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
DOCKERFILES = sorted((ROOT / "docker").glob("Dockerfile*"))
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|ACCESS_KEY|API_KEY|PRIVATE)", re.IGNORECASE)
# an exact version (with a dot: 3.11.11, 16.6) or a dated release, optionally with its digest
PINNED = re.compile(r"^[\w./-]+:(?=[^:]*(\d+\.\d+|RELEASE\.\d{4}-\d\d-\d\d))[\w.-]+(@sha256:[0-9a-f]{64})?$")


def _instructions(path: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _stages(path: Path) -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for word, rest in _instructions(path):
        if word == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((word, rest))
    return stages


def test_there_is_a_cpu_and_a_cuda_image() -> None:
    assert [p.name for p in DOCKERFILES] == ["Dockerfile", "Dockerfile.cuda"]


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_base_images_are_pinned(path: Path) -> None:
    args = {}
    for word, rest in _instructions(path):
        if word == "ARG" and "=" in rest:
            name, value = rest.split("=", 1)
            args[name] = value
        if word == "FROM":
            image = rest.split()[0]
            image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
            assert PINNED.match(image) and not image.endswith(":latest"), f"{path.name}: FROM {image}"


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_the_final_stage_runs_as_a_numeric_non_root_user(path: Path) -> None:
    final = _stages(path)[-1]
    users = [rest for word, rest in final if word == "USER"]
    assert users, f"{path.name}: no USER in the final stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    entry = [i for i, (word, _) in enumerate(final) if word in ("ENTRYPOINT", "CMD")]
    assert entry and max(i for i, (w, _) in enumerate(final) if w == "USER") < entry[0]
    assert any(word == "ENV" and "HOME=/tmp" in rest for word, rest in final)  # writes go to /tmp (read-only root)


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_nothing_secret_is_baked_in(path: Path) -> None:
    for word, rest in _instructions(path):
        if word in ("ENV", "ARG", "LABEL"):
            for match in re.finditer(r"(\w+)=(\"[^\"]*\"|\S+)", rest):
                assert not SECRET_NAME.search(match.group(1)), f"{path.name}: {word} {match.group(0)}"
        if word in ("COPY", "ADD"):
            assert ".env" not in rest.split() and "id_rsa" not in rest, f"{path.name}: {word} {rest}"
            assert not rest.split()[0].startswith("http"), f"{path.name}: {word} from the network"


def test_the_build_context_leaves_out_what_must_not_ship() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", ".git", ".venv", "libs/common/gen", "data"):
        assert entry in ignored


def test_compose_pins_images_and_takes_passwords_from_the_environment() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        image = service.get("image", "")
        assert PINNED.match(image), f"{name}: {image}"
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key) or key.endswith("_DB_URL"):
                assert "${" in str(value), f"{name}: {key} is written in the file"
    for name in ("splitter", "tables", "classifier", "flow", "ocr", "codegen", "gateway"):
        service = compose["services"][name]
        assert service["read_only"] is True and service["user"] == "10001:10001"
