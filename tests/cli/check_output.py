"""Checks an output file of `symsweep run` with h5py alone (no symsweep code).

usage: check_output.py OUT.h5 JOB.yaml N_RUNS [--diverged]
"""
import hashlib
import sys

import re

import h5py
import numpy as np

path, job, n_runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
expect_diverged = "--diverged" in sys.argv
errors = []


def need(cond, msg):
    if not cond:
        errors.append(msg)


with h5py.File(path, "r") as f:
    a = f.attrs
    text = open(job, "rb").read()
    need(a["job_sha256"] == hashlib.sha256(text).hexdigest(), "job_sha256 is not the SHA-256 of the job file")
    need(a["job_yaml"] == text.decode(), "job_yaml is not the job file verbatim")
    need(int(a["format_version"]) == 1, "format_version")
    need(int(a["n_runs"]) == n_runs, "n_runs attribute")
    for k in ("symsweep_version", "created", "finished", "hosts", "blas", "mpi_size"):
        need(k in a, "root attribute %s missing" % k)
    need(a["finished"] != "", "finished attribute empty after a complete run")

    # every dataset is described
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            need("description" in obj.attrs and len(obj.attrs["description"]) > 10,
                 "%s has no description" % name)
            if obj.attrs.get("CLASS") == b"DIMENSION_SCALE":
                # an axis (/run, the curves' epochs, a probe's t or s); an index scale
                # (a weight's W1_dim1, W1_dim2) holds 0 .. n-1
                if re.search(r"_dim\d+$", obj.name):
                    need(list(obj[...]) == list(range(obj.shape[0])),
                         "%s: an index scale that is not 0 .. n-1" % name)
            elif name.startswith("config/"):  # the resolved settings: one row per grid point
                need(obj.shape[0] == f.attrs["n_configs"], "%s: first dimension %d != n_configs"
                     % (name, obj.shape[0]))
            else:
                need(obj.shape[0] == n_runs, "%s: first dimension %d != n_runs" % (name, obj.shape[0]))
                for k in range(1, obj.ndim):
                    need(len(obj.dims[k]) > 0, "%s: dimension %d has no dimension scale" % (name, k))
    f.visititems(visit)

    status = f["/runs/status"]
    names = h5py.check_enum_dtype(status.dtype)
    need(names == {"pending": 0, "done": 1, "diverged": 2, "failed": 3}, "status enum %r" % names)
    st = status[...]
    if expect_diverged:
        need((st == 2).all(), "expected every run diverged, got %r" % st)
    else:
        need((st == 1).all(), "expected every run done, got %r" % st)
    need(f["/runs/wall_time"].attrs["units"] == "s", "wall_time units")
    need((f["/runs/rank"][...] == 0).all(), "rank")
    need(len(np.unique(f["/grid/seed"][...])) == n_runs, "seeds not distinct")

    loss = f["/runs/curves/loss"]
    epoch = f["/runs/curves/epoch"][...]
    need(loss.shape == (n_runs, len(epoch)), "curve shape")
    need(epoch[0] == 0 and (np.diff(epoch) > 0).all(), "epoch scale not increasing from 0")
    need(loss.dims[1][0].name == "/runs/curves/epoch", "epoch dimension scale not attached")
    final = f["/runs/metrics/final_loss"][...]
    need(np.isfinite(final).all(), "final_loss not finite")
    if not expect_diverged:
        need(np.allclose(loss[:, -1], final, rtol=0, atol=0), "last curve point != final_loss")
        need((loss[:, -1] < loss[:, 0]).all(), "training did not decrease the loss")
    need(np.allclose(f["/runs/metrics/final_data_loss"][...] + f["/runs/metrics/final_penalty"][...],
                     final, rtol=1e-15, atol=0), "data + penalty != total")
    w = f["/runs/weights"]
    need(len(w) >= 2, "weights missing")
    for k in w:
        need(np.isfinite(w[k][...]).all(), "weights %s not finite" % k)

if errors:
    print("\n".join("FAIL: " + e for e in errors))
    sys.exit(1)
print("%s: layout OK (%d runs)" % (path, n_runs))
