"""`make helm-lint`: render the chart for several value sets with Helm's own renderer (the Helm v4 Go
library through helm-python-sdk, no binary, no cluster), run `helm lint --strict`, check the values
against values.schema.json, and validate every rendered manifest against the Kubernetes API schemas
offline (kubernetes-validate --strict)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).parent / "dlp2c"
KUBE_VERSION = "1.31.0"
VALUE_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "gpu": {"classifier": {"gpu": {"enabled": True, "count": 2}}},
    "bundled infrastructure": {"kafka": {"bundled": True}, "minio": {"bundled": True},
                               "postgresql": {"bundled": True}, "crawler": {"enabled": True}},
    "external secrets, fixed replicas": {
        "minio": {"existingSecret": "s3-creds"}, "postgresql": {"existingSecret": "pg-creds"},
        **{s: {"autoscaling": {"enabled": False}, "pdb": {"enabled": False}, "replicas": 3}
           for s in ("splitter", "tables", "classifier", "flow", "ocr", "codegen")},
        "gateway": {"autoscaling": {"enabled": False}, "replicas": 2}},
}


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Every object the chart renders for ``values``."""
    import helm_python as helm

    chart = helm.Chart.load(CHART)
    chart.validate_schema(values)
    rendered = chart.render(values, name="dlp2c", namespace="dlp2c", is_install=True)
    objects = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return objects


def main() -> int:
    import helm_python as helm
    import kubernetes_validate

    failures = 0
    for name, values in VALUE_SETS.items():
        report = helm.lint(CHART, values, strict=True, kube_version=f"v{KUBE_VERSION}")
        problems = [m for m in report.get("messages", []) if m.get("severity", 0) >= 2] + report.get("errors", [])
        objects = render(values)
        for obj in objects:
            try:
                kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message} at {list(exc.path)}")
        status = "ok" if not problems else f"{len(problems)} problem(s)"
        print(f"{name:34} {len(objects):3} objects  {status}")
        for problem in problems:
            print(f"    {problem}")
        failures += bool(problems)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
