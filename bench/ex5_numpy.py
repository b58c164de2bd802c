#!/usr/bin/env python3
"""NumPy references for bench_probe_speed (issue 17, goal 5) on the article's Ex5 network: a
deep linear net 4 -> 6 -> 6 -> 3 without biases, 200 teacher_linear samples, float64, one
thread; CPU time of this process, the median of REPEATS.

- gd: the gradient decomposition of one training step as the seed writes it: the orbit
  tangent space T = {(A1 W1, A2 W2 - W2 A1, -W3 A2)} built column by column from the basis of
  gl(6) x gl(6) (72 columns), g split by numpy.linalg.lstsq, then the objective after the
  steps -lr g_orbit, -lr g_perp and -lr g.  The step's gradient is given, as training gives it.
- landscape: the (t, s) landscape on a 21 x 21 grid, scipy's expm once per row (K and K^-1 of
  both hidden layers), the 21 points of a row vectorized (batched matmul over s), as a skilled
  NumPy user would write it; landscape_loop: the same with a Python loop over the points.

One BLAS thread (one_thread()).

usage: ex5_numpy.py [REPEATS]   -> "key value" lines
"""

import sys
import time

import numpy as np
from scipy.linalg import expm


def one_thread():
    """One BLAS thread, as the other side runs (and torch.set_num_threads(1) in the PyTorch
    references): through OpenBLAS's own call, no environment variable changed.  CPU time would
    otherwise count a second thread spinning on these tiny products."""
    import ctypes
    for path in sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line}):
        try:
            ctypes.CDLL(path).openblas_set_num_threads(1)
            return path
        except (OSError, AttributeError):
            continue
    return None


one_thread()

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
rng = np.random.default_rng(0)
n, widths = 200, [4, 6, 6, 3]
X = rng.standard_normal((n, 4))
Y = X @ (rng.standard_normal((3, 4)) / 2.0).T + 0.05 * rng.standard_normal((n, 3))
Ws = [rng.standard_normal((widths[i + 1], widths[i])) / np.sqrt(widths[i]) for i in range(3)]
lr = 0.001


def loss(W1, W2, W3):
    R = X @ W1.T @ W2.T @ W3.T - Y
    return np.mean(R * R)


def grad(W1, W2, W3):
    A1 = X @ W1.T
    A2 = A1 @ W2.T
    R = A2 @ W3.T - Y
    dY = 2.0 * R / R.size
    g3 = dY.T @ A2
    d2 = dY @ W3
    g2 = d2.T @ A1
    d1 = d2 @ W2
    g1 = d1.T @ X
    return g1, g2, g3


def flat(*ms):
    return np.concatenate([m.ravel() for m in ms])


def unflat(v):
    out, o = [], 0
    for i in range(3):
        k = widths[i + 1] * widths[i]
        out.append(v[o:o + k].reshape(widths[i + 1], widths[i]))
        o += k
    return out


def decompose(W1, W2, W3, g):
    cols = []
    for h in range(2):  # gl(6) at hidden layer h: W_h -> K W_h, W_{h+1} -> W_{h+1} K^-1
        for i in range(6):
            for j in range(6):
                A = np.zeros((6, 6))
                A[i, j] = 1.0
                t = [np.zeros_like(W1), np.zeros_like(W2), np.zeros_like(W3)]
                Wh = (W1, W2)[h]
                t[h] = A @ Wh
                t[h + 1] = -((W2, W3)[h]) @ A
                cols.append(flat(*t))
    T = np.stack(cols, axis=1)
    c = np.linalg.lstsq(T, g, rcond=None)[0]
    g_orbit = T @ c
    g_perp = g - g_orbit
    L0 = loss(W1, W2, W3)
    th = flat(W1, W2, W3)
    return [loss(*unflat(th - lr * v)) - L0 for v in (g_orbit, g_perp, g)]


def landscape(W1, W2, W3, A1, A2, xi, G=21, vectorized=True):
    ts, ss = np.linspace(-2.0, 2.0, G), np.linspace(-0.5, 0.5, G)
    x1, x2, x3 = unflat(xi)
    out = np.empty((G, G))
    for a, t in enumerate(ts):
        K1, K1i, K2, K2i = expm(t * A1), expm(-t * A1), expm(t * A2), expm(-t * A2)
        if vectorized:
            V1 = W1[None] + ss[:, None, None] * x1[None]
            V2 = W2[None] + ss[:, None, None] * x2[None]
            V3 = W3[None] + ss[:, None, None] * x3[None]
            M1, M2, M3 = K1 @ V1, K2 @ V2 @ K1i, V3 @ K2i
            R = X[None] @ M1.transpose(0, 2, 1) @ M2.transpose(0, 2, 1) @ M3.transpose(0, 2, 1) - Y[None]
            out[a] = np.mean(R * R, axis=(1, 2))
        else:
            for b, s in enumerate(ss):
                out[a, b] = loss(K1 @ (W1 + s * x1), K2 @ (W2 + s * x2) @ K1i, (W3 + s * x3) @ K2i)
    return out


def timed(f, calls):
    t = []
    for _ in range(reps):
        t0 = time.process_time()
        for _ in range(calls):
            f()
        t.append(time.process_time() - t0)
    return float(np.median(t)) / calls


W1, W2, W3 = Ws
g = flat(*grad(W1, W2, W3))
A1, A2 = rng.standard_normal((6, 6)) / 6, rng.standard_normal((6, 6)) / 6
xi = rng.standard_normal(g.size)
xi /= np.linalg.norm(xi)
print("gd_steps_per_second %.1f" % (1.0 / timed(lambda: decompose(W1, W2, W3, g), 200)))
print("landscape_points_per_second %.1f" % (21 * 21 / timed(lambda: landscape(W1, W2, W3, A1, A2, xi), 10)))
print("landscape_loop_points_per_second %.1f"
      % (21 * 21 / timed(lambda: landscape(W1, W2, W3, A1, A2, xi, vectorized=False), 3)))
print("numpy_version %s" % np.__version__)
