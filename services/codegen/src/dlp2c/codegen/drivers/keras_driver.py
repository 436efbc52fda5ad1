"""Build each generated keras/model.py, run one forward pass, report output shapes and count_params()."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from common import failure, feed, jobs, load_module, report, save_outputs


def randomise(model, path):
    """Random weights of a trained network's scale (so deep nets neither explode nor saturate),
    saved as <layer>/<index>."""
    rng = np.random.default_rng(1)
    saved = {}
    for layer in model.layers:
        values = []
        for i, (var, old) in enumerate(zip(layer.weights, layer.get_weights(), strict=True)):
            name = var.path.rsplit("/", 1)[-1]
            if "variance" in name:
                new = rng.uniform(0.5, 1.5, old.shape)
            elif name == "gamma":
                new = 1.0 + 0.1 * rng.standard_normal(old.shape)
            elif name == "moving_mean":
                new = 0.1 * rng.standard_normal(old.shape)
            elif old.ndim >= 2:
                depthwise = name == "depthwise_kernel" or type(layer).__name__ == "DepthwiseConv2D"
                fan_in = int(np.prod(old.shape[:2] if depthwise else old.shape[:-1]))
                new = rng.standard_normal(old.shape) * np.sqrt(2.0 / max(fan_in, 1))  # He: keeps the scale
            else:
                new = 0.01 * rng.standard_normal(old.shape)
            values.append(new.astype(old.dtype))
            saved[f"{layer.name}/{i}"] = values[-1]
        if values:
            set_weights(layer, values)
    np.savez(path, **saved)


def set_weights(layer, values):
    layer.set_weights(values)
    if hasattr(layer, "finalize_state"):  # Normalization reads its statistics from adapt's weights here
        layer.finalize_state()


def load_weights(model, path):
    data = np.load(path)
    for layer in model.layers:
        count = len(layer.get_weights())
        if count:
            set_weights(layer, [data[f"{layer.name}/{i}"] for i in range(count)])


def main():
    import keras

    for i, job in enumerate(jobs()):
        try:
            module = load_module(os.path.join(job["dir"], "keras", "model.py"), f"generated_keras_{i}")
            model = module.build_model()
            if job.get("dump_weights"):
                randomise(model, job["dump_weights"])
            if job.get("weights"):
                load_weights(model, job["weights"])
            arrays = feed(job, channels_first=False)
            args = [arrays[s["name"]] for s in job["inputs"]]
            outputs = model(args if len(args) > 1 else args[0])
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            save_outputs(job, [np.asarray(o) for o in outputs])
            report(job, built=True, outputs=[list(o.shape[1:]) for o in outputs], params=int(model.count_params()))
        except Exception as exc:  # a generated file that fails is the result being measured
            failure(job, exc)
        keras.backend.clear_session()


if __name__ == "__main__":
    main()
