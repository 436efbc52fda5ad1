"""Numeric equivalence: the same weights and inputs through every target, outputs compared.

Keras draws random weights (its layout is the graph's); :mod:`dlp2c.codegen.weights` converts them
for the other targets; each target runs in its own process through its driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from dlp2c.codegen.plan import Plan
from dlp2c.codegen.settings import CodegenSettings
from dlp2c.codegen.verify import _interpreter, _job, _run_driver
from dlp2c.codegen.weights import convert, output_orders
from dlp2c.common.errors import Dlp2cError

BATCH = 2


@dataclass
class Agreement:
    target: str
    max_abs_diff: float | None  # None when it did not run
    error: str = ""
    spread: float = 0.0  # Keras only: how much the outputs of the batch's two inputs differ (0: a vacuous test)

    def ok(self, atol: float) -> bool:
        return self.max_abs_diff is not None and self.max_abs_diff <= atol


def _write_feed(plan: Plan, path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    arrays = {}
    for s in plan.inputs:
        shape = [BATCH, *(8 if d is None else d for d in s.out.shape)]
        if s.out.dtype.startswith("int"):
            arrays[s.name] = rng.integers(0, plan.id_limit(), size=shape).astype(s.out.dtype)
        else:
            arrays[s.name] = rng.standard_normal(shape).astype(np.float32)
    np.savez(path, **arrays)


def _channels_last(a: np.ndarray) -> np.ndarray:
    return np.moveaxis(a, 1, -1) if a.ndim >= 4 else a


def compare(designs: list[tuple[Plan, Path]], targets: list[str],
            settings: CodegenSettings | None = None) -> list[dict[str, Agreement]]:
    """For each design (already written to its folder), the largest output difference from Keras per target."""
    settings = settings or CodegenSettings()
    work = []
    for i, (plan, folder) in enumerate(designs):
        numeric = folder / "numerics"
        numeric.mkdir(exist_ok=True)
        _write_feed(plan, numeric / "feed.npz", seed=i)
        job = _job(plan, folder) | {"feed": str(numeric / "feed.npz"), "save": str(numeric / "keras_out.npz"),
                                    "dump_weights": str(numeric / "keras_weights.npz")}
        work.append((plan, folder, numeric, job))
    python = _interpreter("keras", settings)
    keras_rows = _run_driver(python, "keras", [j for *_, j in work], settings.verify_timeout_s)  # type: ignore[arg-type]
    results: list[dict[str, Agreement]] = [{} for _ in designs]
    reference: list[list[np.ndarray] | None] = []
    for (_plan, _folder, numeric, job), result in zip(work, results, strict=True):
        row = keras_rows.get(job["dir"], {})
        if not row.get("built"):
            result["keras"] = Agreement("keras", None, row.get("error", "keras did not run"))
            reference.append(None)
            continue
        out = np.load(numeric / "keras_out.npz")
        outputs = [out[k] for k in sorted(out.files, key=lambda k: int(k[3:]))]
        reference.append(outputs)
        spread = max(float(np.max(np.abs(o[0].astype(np.float64) - o[1]))) for o in outputs)
        result["keras"] = Agreement("keras", 0.0, spread=spread)
    for target in targets:
        if target == "keras":
            continue
        python = _interpreter(target, settings)
        if python is None:
            for result in results:
                result[target] = Agreement(target, None, f"{target} is not available here (run `make {target}`)")
            continue
        jobs = []
        for (plan, _folder, numeric, job), result, ref in zip(work, results, reference, strict=True):
            if ref is None or not (Path(job["dir"]) / target).is_dir():
                result[target] = Agreement(target, None, "not generated" if ref is not None else "no reference")
                continue
            try:
                converted = convert(plan, np.load(numeric / "keras_weights.npz"), target)
            except Dlp2cError as exc:
                result[target] = Agreement(target, None, str(exc))
                continue
            np.savez(numeric / f"{target}_weights.npz", **converted)
            jobs.append(job | {"weights": str(numeric / f"{target}_weights.npz"),
                               "save": str(numeric / f"{target}_out.npz"), "dump_weights": None})
        rows = _run_driver(python, target, jobs, settings.verify_timeout_s) if jobs else {}
        for (_plan, _folder, numeric, job), result, ref in zip(work, results, reference, strict=True):
            if target in result:
                continue
            row = rows.get(job["dir"], {})
            if not row.get("built"):
                result[target] = Agreement(target, None, row.get("error", f"{target} did not run"))
                continue
            out = np.load(numeric / f"{target}_out.npz")
            got = [_channels_last(out[k]) for k in sorted(out.files, key=lambda k: int(k[3:]))]
            orders = output_orders(_plan)
            for i, step in enumerate(_plan.outputs):
                if step.name in orders:  # a flattened image: channels-first order, documented
                    keras_order = np.empty_like(got[i])
                    keras_order[:, orders[step.name]] = got[i]
                    got[i] = keras_order
            diffs = [float(np.max(np.abs(g.astype(np.float64) - r))) if g.shape == r.shape else float("inf")
                     for g, r in zip(got, ref or [], strict=False)]
            result[target] = Agreement(target, max(diffs) if diffs else None)
    return results
