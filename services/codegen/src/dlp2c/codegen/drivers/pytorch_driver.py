"""Build each generated pytorch/model.py, run one forward pass, report output shapes and stored numbers."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from common import failure, feed, jobs, load_module, report, save_outputs


def stored_numbers(model):
    """Parameters and buffers, as a saved state_dict holds them, without BatchNorm's step counter."""
    return sum(v.numel() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked"))


def load_weights(model, path):
    import torch

    state = {k: torch.from_numpy(v) for k, v in np.load(path).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise KeyError(f"weights do not fit: missing {missing}, unexpected {unexpected}")


def main():
    import torch

    torch.set_num_threads(1)
    for i, job in enumerate(jobs()):
        try:
            module = load_module(os.path.join(job["dir"], "pytorch", "model.py"), f"generated_torch_{i}")
            model = module.build_model().eval()
            if job.get("weights"):
                load_weights(model, job["weights"])
            arrays = feed(job, channels_first=True)
            with torch.no_grad():
                outputs = model(*[torch.from_numpy(arrays[s["name"]]) for s in job["inputs"]])
            outputs = outputs if isinstance(outputs, tuple) else (outputs,)
            save_outputs(job, [o.numpy() for o in outputs])
            report(job, built=True, outputs=[list(o.shape[1:]) for o in outputs], params=stored_numbers(model))
        except Exception as exc:  # a generated file that fails is the result being measured
            failure(job, exc)


if __name__ == "__main__":
    main()
