"""Load each generated caffe/deploy.prototxt in real Caffe, run a forward pass, count the blobs.

Also runs caffe/netspec.py and checks it writes the same net. A Caffe error aborts this process
(glog FATAL); the caller restarts it after the job that died.
"""

import os
import runpy
import sys

os.environ.setdefault("GLOG_minloglevel", "2")
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from common import failure, feed, jobs, report, save_outputs


def load_weights(net, path):
    data = dict(np.load(path))
    for name, blobs in net.params.items():
        for i, blob in enumerate(blobs):
            key = f"{name}/{i}"
            if key in data:
                value = data.pop(key)
                if value.shape != blob.data.shape:
                    value = value.reshape(blob.data.shape)
                blob.data[...] = value
    if data:
        raise KeyError(f"weights for blobs the net does not have: {sorted(data)}")


def main():
    import caffe
    from caffe.proto import caffe_pb2
    from google.protobuf import text_format

    caffe.set_mode_cpu()
    for job in jobs():
        try:
            folder = os.path.join(job["dir"], "caffe")
            report(job, started=True)
            deploy = os.path.join(folder, "deploy.prototxt")
            net = caffe.Net(deploy, caffe.TEST)
            arrays = feed(job, channels_first=True)
            for name, value in arrays.items():
                net.blobs[name].reshape(*value.shape)
            net.reshape()
            for name, value in arrays.items():
                net.blobs[name].data[...] = value
            for name, blobs in net.params.items():  # BatchNorm's factor 0 would zero its statistics
                if net.layer_dict[name].type == "BatchNorm":
                    blobs[2].data[...] = 1.0
                    blobs[1].data[...] = 1.0
            if job.get("weights"):
                load_weights(net, job["weights"])
            out = net.forward()
            save_outputs(job, [out[name] for name in job["outputs"]])
            outputs = [list(out[name].shape[1:]) for name in job["outputs"]]
            params = sum(b.data.size for blobs in net.params.values() for b in blobs)
            written = runpy.run_path(os.path.join(folder, "netspec.py"))["build_net"]()
            with open(deploy) as f:
                parsed = text_format.Parse(f.read(), caffe_pb2.NetParameter())
            report(job, built=True, outputs=outputs, params=int(params), engine="caffe",
                   netspec_matches=written == parsed)
        except Exception as exc:  # a generated file that fails is the result being measured
            failure(job, exc)


if __name__ == "__main__":
    main()
