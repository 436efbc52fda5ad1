"""Graph in, files out: one folder per target, a README saying where the graph came from, the graph itself.

A target that cannot express a layer fails alone, with the reason; the others are still written.
File names are fixed here: nothing from the graph becomes part of a path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dlp2c.codegen.plan import Plan, make_plan
from dlp2c.codegen.readme import readme
from dlp2c.codegen.targets import TARGETS
from dlp2c.common.errors import Dlp2cError, SchemaError
from dlp2c.common.graph import Graph


@dataclass
class TargetResult:
    target: str
    files: dict[str, bytes] = field(default_factory=dict)  # file name -> content
    error: Dlp2cError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Generated:
    plan: Plan
    results: dict[str, TargetResult]

    def files(self) -> dict[str, bytes]:
        """Every file, keyed by its path inside the output folder."""
        out: dict[str, bytes] = {
            "README.md": readme(self.plan, self.results).encode(),
            "graph.json": (self.plan.graph.dumps() + "\n").encode(),
        }
        for target, result in self.results.items():
            for name, content in result.files.items():
                out[f"{target}/{name}"] = content
        return out

    def write(self, out_dir: str | Path) -> list[Path]:
        root = Path(out_dir)
        written = []
        for rel, content in self.files().items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            written.append(path)
        return written


def resolve_targets(names: Iterable[str]) -> list[str]:
    chosen: list[str] = []
    for name in names:
        if name == "all":
            chosen += [t for t in TARGETS if t not in chosen]
        elif name in TARGETS:
            if name not in chosen:
                chosen.append(name)
        else:
            raise SchemaError(f"unknown target {name!r}; choose from {', '.join(TARGETS)} or all", "targets")
    return chosen


def render_target(plan: Plan, target: str) -> TargetResult:
    try:
        files = TARGETS[target].render(plan)
    except Dlp2cError as exc:
        return TargetResult(target, error=exc)
    return TargetResult(target, {k: v.encode() if isinstance(v, str) else v for k, v in files.items()})


def generate(graph: Graph, targets: Iterable[str] = ("all",)) -> Generated:
    """Shape-check the graph (raises for a graph that cannot run), then render every target."""
    plan = make_plan(graph)
    return Generated(plan, {t: render_target(plan, t) for t in resolve_targets(targets)})
