"""The Helm chart, rendered by Helm's own library for several value sets and checked object by object:
valid Kubernetes objects, probes and resources everywhere, nobody root, GPU settings only when asked,
credentials only through Secrets."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

CHECK = Path(__file__).parents[2] / "deploy" / "helm" / "check.py"
spec = importlib.util.spec_from_file_location("helm_check", CHECK)
check = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
spec.loader.exec_module(check)  # type: ignore[union-attr]
STAGES = ("splitter", "tables", "classifier", "flow", "ocr", "codegen")
WORKLOADS = ("Deployment", "StatefulSet", "Job", "CronJob")


def _pod(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def _containers(objects: list[dict[str, Any]]) -> Iterator[tuple[dict, dict, dict]]:
    for obj in objects:
        if obj["kind"] in WORKLOADS:
            pod = _pod(obj)
            for container in pod.get("initContainers", []) + pod["containers"]:
                yield obj, pod, container


def _by(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {name: check.render(values) for name, values in check.VALUE_SETS.items()}


def test_every_value_set_passes_lint_and_the_kubernetes_schemas() -> None:
    assert check.main() == 0


def test_every_service_has_its_objects(rendered: dict) -> None:
    objects = rendered["defaults"]
    for name in ("gateway", *STAGES):
        for kind in ("Deployment", "Service", "PodDisruptionBudget"):
            assert _by(objects, kind, f"dlp2c-{name}")
        scaled = name != "tables"  # the tables stage is cheap: a fixed replica count by default
        assert any(o["kind"] == "HorizontalPodAutoscaler" and o["metadata"]["name"] == f"dlp2c-{name}"
                   for o in objects) == scaled
        assert ("replicas" in _by(objects, "Deployment", f"dlp2c-{name}")["spec"]) == (not scaled)
    job = next(o for o in objects if o["kind"] == "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    assert _pod(job)["containers"][0]["args"] == ["init"]


def test_every_container_has_probes_resources_and_runs_unprivileged(rendered: dict) -> None:
    for name, objects in rendered.items():
        for obj, pod, container in _containers(objects):
            where = f"{name}: {obj['kind']}/{obj['metadata']['name']}"
            assert container["resources"]["requests"] and container["resources"]["limits"], where
            if obj["kind"] in ("Deployment", "StatefulSet"):
                assert "livenessProbe" in container and "readinessProbe" in container, where
            security = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
            assert security.get("runAsNonRoot") is True and security.get("runAsUser", 1) != 0, where
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, where
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], where


def test_stages_are_probed_over_grpc_health_and_the_gateway_over_http(rendered: dict) -> None:
    objects = rendered["defaults"]
    for stage in STAGES:
        container = _pod(_by(objects, "Deployment", f"dlp2c-{stage}"))["containers"][0]
        assert container["readinessProbe"]["grpc"]["port"] == 50061
        assert container["args"][:2] == ["worker", stage]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
    gateway = _pod(_by(objects, "Deployment", "dlp2c-gateway"))["containers"][0]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/livez"


def test_gpu_settings_appear_only_when_enabled(rendered: dict) -> None:
    for name, objects in rendered.items():
        for obj, pod, container in _containers(objects):
            gpu = "nvidia.com/gpu" in container["resources"].get("limits", {})
            wanted = name == "gpu" and obj["metadata"]["name"] == "dlp2c-classifier"
            assert gpu == wanted, f"{name}: {obj['metadata']['name']}"
            assert ("tolerations" in pod) == wanted
    pod = _pod(_by(rendered["gpu"], "Deployment", "dlp2c-classifier"))
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 2
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert pod["containers"][0]["image"].startswith("dlp2c-classifier-cuda:")


def test_the_classifier_scales_on_consumer_lag_as_well_as_cpu(rendered: dict) -> None:
    hpa = _by(rendered["defaults"], "HorizontalPodAutoscaler", "dlp2c-classifier")
    kinds = [m["type"] for m in hpa["spec"]["metrics"]]
    assert kinds == ["Resource", "External"]
    assert hpa["spec"]["metrics"][1]["external"]["metric"]["selector"]["matchLabels"] == {
        "consumergroup": "dlp2c-classifier"}
    fixed = rendered["external secrets, fixed replicas"]
    assert not any(o["kind"] == "HorizontalPodAutoscaler" and o["metadata"]["name"] != "dlp2c-gateway" for o in fixed)
    assert _by(fixed, "Deployment", "dlp2c-ocr")["spec"]["replicas"] == 3


def test_credentials_reach_pods_only_through_secrets() -> None:
    objects = check.render({"postgresql": {"auth": {"password": "pg-Secret-123"}},
                            "minio": {"auth": {"secretKey": "s3-Secret-456"}}})
    for obj in objects:
        if obj["kind"] != "Secret":
            text = yaml.safe_dump(obj)
            assert "pg-Secret-123" not in text and "s3-Secret-456" not in text, obj["metadata"]["name"]
    for _obj, _spec, container in _containers(objects):
        env = {e["name"]: e for e in container.get("env", [])}
        if "DLP2C_S3_SECRET_KEY" in env:
            assert env["DLP2C_S3_SECRET_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "dlp2c-credentials"
    external = check.render(check.VALUE_SETS["external secrets, fixed replicas"])
    assert not any(o["kind"] == "Secret" for o in external)
    env = {e["name"]: e for e in _pod(_by(external, "Deployment", "dlp2c-codegen"))["containers"][0]["env"]}
    assert env["DLP2C_PG_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "pg-creds"


def test_bad_values_are_refused_by_the_schema() -> None:
    import helm_python as helm

    chart = helm.Chart.load(check.CHART)
    for bad, where in (({"gateway": {"replicas": "two"}}, "/gateway/replicas"),
                       ({"classifier": {"gpu": {"enabld": True}}}, "enabld"),
                       ({"config": {"kafkaPartitions": 0}}, "/config/kafkaPartitions")):
        with pytest.raises(helm.HelmError, match=where):
            chart.validate_schema(bad)
