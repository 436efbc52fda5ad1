"""Shared by the drivers (each imports this file from its own folder)."""

import importlib.util
import json
import sys
import traceback

import numpy as np


def load_module(path, name):
    """Import a generated file by path, under a name of its own."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def jobs():
    return json.load(sys.stdin)


def report(job, **fields):
    print(json.dumps({"dir": job["dir"], **fields}), flush=True)


def failure(job, exc):
    lines = traceback.format_exception_only(type(exc), exc)
    report(job, built=False, error="".join(lines).strip()[-2000:])


def to_channels_first(a):
    """(N, H, W, C) or (N, D, H, W, C) -> channels first; sequences and vectors stay."""
    return np.ascontiguousarray(np.moveaxis(a, -1, 1)) if a.ndim >= 4 else a


def feed(job, channels_first):
    """The job's inputs ({name: array}): from its feed file (channels last), or random."""
    if job.get("feed"):
        data = np.load(job["feed"])
        arrays = {spec["name"]: data[spec["name"]] for spec in job["inputs"]}
    else:
        rng = np.random.default_rng(0)
        arrays = {}
        for spec in job["inputs"]:
            shape = [1, *spec["shape"]]
            if spec["int"]:
                arrays[spec["name"]] = rng.integers(0, spec["limit"], size=shape).astype(spec["dtype"])
            else:
                arrays[spec["name"]] = rng.standard_normal(shape).astype(np.float32)
    if channels_first:
        arrays = {k: to_channels_first(v) for k, v in arrays.items()}
    return arrays


def save_outputs(job, outputs):
    """Keep the outputs (as the target produced them) when the job asks for them."""
    if job.get("save"):
        np.savez(job["save"], **{f"out{i}": np.asarray(o) for i, o in enumerate(outputs)})
