"""Check each generated onnx/model.onnx with onnx.checker, run it in onnxruntime, count initialisers."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from common import failure, feed, jobs, report, save_outputs


def load_weights(model, path):
    from onnx import numpy_helper

    data = dict(np.load(path))
    for init in model.graph.initializer:
        if init.name in data:
            value = data.pop(init.name)
            if tuple(init.dims) != value.shape:
                raise ValueError(f"{init.name}: weights {value.shape} do not fit {tuple(init.dims)}")
            init.CopyFrom(numpy_helper.from_array(value.astype(np.float32), init.name))
    if data:
        raise KeyError(f"weights for initialisers the model does not have: {sorted(data)}")


def main():
    import onnx
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    for job in jobs():
        try:
            path = os.path.join(job["dir"], "onnx", "model.onnx")
            model = onnx.load(path)
            if job.get("weights"):
                load_weights(model, job["weights"])
            onnx.checker.check_model(model, full_check=True)
            session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
            arrays = feed(job, channels_first=True)
            names = {i.name for i in session.get_inputs()}
            arrays = {(k if k in names else f"{k}_ids"): v for k, v in arrays.items()}
            outputs = session.run(None, arrays)
            save_outputs(job, outputs)
            params = sum(int(np.prod(t.dims)) for t in model.graph.initializer if ".const." not in t.name)
            report(job, built=True, outputs=[list(o.shape[1:]) for o in outputs], params=params, checker=True)
        except Exception as exc:  # a generated file that fails is the result being measured
            failure(job, exc)


if __name__ == "__main__":
    main()
