#!/usr/bin/env python3
"""Print a short summary of symsweep output files, read with h5py only.

usage: analysis/quicklook.py OUT.h5 [OUT.h5 ...]

For each file: the job, run status counts, the loss at the start and the end
of training, and, for a linear autoencoder (weights enc_W1 / dec_W1), the
weight structure the article's Ex3 looks at: transpose error
||W' - W^T|| / ||W^T||, orthogonality error ||W W^T - I||_F / ||I||_F and
sparsity (fraction of |w| < 1% of max |w|).
"""
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover
    sys.exit("quicklook: needs python3-h5py and python3-numpy (scripts/setup.sh installs them): %s" % e)

STATUS = {0: "pending", 1: "done", 2: "diverged", 3: "failed"}


def sparsity(w):
    return float(np.mean(np.abs(w) < 0.01 * np.abs(w).max()))


def describe(path):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        return "%s: cannot open as HDF5 (%s)" % (path, e)
    with f:
        if "runs/status" not in f:
            return "%s: not a symsweep output file (no /runs/status)" % path
        st = f["runs/status"][...]
        counts = ", ".join("%d %s" % ((st == k).sum(), v) for k, v in STATUS.items() if (st == k).any())
        lines = ["%s  (job '%s', %d run%s: %s)" % (path, f.attrs.get("job_name", "?"), len(st),
                                                    "" if len(st) == 1 else "s", counts)]
        loss = f["runs/curves/loss"][...]
        epoch = f["runs/curves/epoch"][...]
        for i in range(len(st)):
            seed = int(f["grid/seed"][i])
            if st[i] == 3:
                lines.append("  run %d seed %d: failed: %s" % (i, seed, f["runs/error"][i].decode()))
                continue
            lines.append("  run %d seed %d: loss %.4g (epoch 0) -> %.4g (epoch %d); data loss %.4g, penalty %.4g"
                         % (i, seed, loss[i, 0], loss[i, -1], epoch[-1],
                            f["runs/metrics/final_data_loss"][i], f["runs/metrics/final_penalty"][i]))
            w = f.get("runs/weights")
            if w is not None and "enc_W1" in w and "dec_W1" in w and len(w) == 2:
                W, Wd = w["enc_W1"][i], w["dec_W1"][i]
                d = W.shape[0]
                te = np.linalg.norm(Wd - W.T) / np.linalg.norm(W.T)
                oe = np.linalg.norm(W @ W.T - np.eye(d)) / np.sqrt(d)
                lines.append("     transpose error %.2e, orthogonality error %.2e, sparsity enc %.2f dec %.2f"
                             % (te, oe, sparsity(W), sparsity(Wd)))
        return "\n".join(lines)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__.strip().splitlines()[2])
    for p in argv[1:]:
        print(describe(p))
    print("\nfiles: " + " ".join(argv[1:]))


if __name__ == "__main__":
    main(sys.argv)
