#!/usr/bin/env python3
"""Print a short summary of symsweep output files, read with h5py only.

usage: analysis/quicklook.py OUT.h5 [OUT.h5 ...]

For each file and each configuration of its sweep (means over seeds): the
loss at the start and the end of training and, for a linear autoencoder
(weights enc_W1 / dec_W1), the weight structure the article's Ex3 looks at:
transpose error ||W' - W^T|| / ||W^T||, orthogonality error
||W W^T - I||_F / ||I||_F and sparsity (fraction of |w| < 1% of max |w|).
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


def structure(w, i):
    """Ex3 weight structure of run i of a linear autoencoder, or None."""
    if w is None or "enc_W1" not in w or "dec_W1" not in w or len(w) != 2:
        return None
    W, Wd = w["enc_W1"][i], w["dec_W1"][i]
    d = W.shape[0]
    return (np.linalg.norm(Wd - W.T) / np.linalg.norm(W.T),
            np.linalg.norm(W @ W.T - np.eye(d)) / np.sqrt(d), sparsity(W), sparsity(Wd))


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
        config = f["grid/config"][...] if "grid/config" in f else np.zeros(len(st), int)
        swept = [k for k in f["grid"] if k not in ("seed", "config") and "." not in k.split("/")[-1]] \
            if "grid" in f else []
        swept = [k for k in swept if not any(k != o and k.startswith(o + ".") for o in swept)]
        loss = f["runs/curves/loss"][...]
        w = f.get("runs/weights")
        for c in np.unique(config):
            runs = np.flatnonzero((config == c) & (st == 1))
            label = ", ".join("%s=%s" % (k, f["grid"][k][np.flatnonzero(config == c)[0]].decode()
                                         if isinstance(f["grid"][k][0], bytes)
                                         else "%g" % f["grid"][k][np.flatnonzero(config == c)[0]])
                              for k in swept) or "all runs"
            if len(runs) == 0:
                lines.append("  %s: no done runs" % label)
                continue
            fl = f["runs/metrics/final_loss"][runs]
            lines.append("  %s: %d done, loss %.4g (epoch 0) -> %.4g (final), mean over seeds"
                         % (label, len(runs), np.nanmean(loss[runs, 0]), fl.mean()))
            s = [structure(w, i) for i in runs]
            if s[0] is not None:
                s = np.array(s)
                lines.append("     transpose error %.2e, orthogonality error %.2e, sparsity enc %.2f dec %.2f"
                             % tuple(s.mean(axis=0)))
        return "\n".join(lines)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__.strip().splitlines()[2])
    for p in argv[1:]:
        print(describe(p))
    print("\nfiles: " + " ".join(argv[1:]))


if __name__ == "__main__":
    main(sys.argv)
