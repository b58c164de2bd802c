#!/usr/bin/env python3
"""The reference for the hessian probe's dense path, written the way a skilled PyTorch user
would: the same tanh MLP 8 -> W -> W -> 4 with biases, mean squared error on N samples,
float64, one thread; the Hessian of the loss in the flat parameters by
torch.autograd.functional.hessian(vectorize=True), then its eigenvalues by
numpy.linalg.eigvalsh (the pair the issue names) and by scipy.linalg.eigh(eigvals_only=True,
driver="evd") (LAPACK's divide and conquer, what symsweep calls).  One warm-up call, then
one timed call; CPU time of this process (time.process_time).

usage: hessian_torch.py W N  ->  "torch_hessian_s T", "numpy_eigvalsh_s T", "scipy_evd_s T",
                                  "P n", "core NAME"
"""
import ctypes
import sys
import time

import numpy as np
import scipy.linalg
import torch

W, N = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(1)
shapes = [(W, 8), (W,), (W, W), (W,), (4, W), (4,)]
sizes = [int(np.prod(s)) for s in shapes]
X = torch.randn(N, 8, generator=g)
Y = torch.randn(N, 4, generator=g)
theta = torch.randn(sum(sizes), generator=g) * 0.3


def loss(p):
    parts, o = [], 0
    for s, k in zip(shapes, sizes):
        parts.append(p[o:o + k].reshape(s))
        o += k
    W1, b1, W2, b2, W3, b3 = parts
    h = torch.tanh(X @ W1.T + b1)
    h = torch.tanh(h @ W2.T + b2)
    return ((h @ W3.T + b3 - Y) ** 2).mean()


def hessian():
    return torch.autograd.functional.hessian(loss, theta, vectorize=True).numpy()


H = hessian()  # warm-up
t0 = time.process_time()
H = hessian()
t1 = time.process_time()
np.linalg.eigvalsh(H)
t2 = time.process_time()
scipy.linalg.eigh(H, eigvals_only=True, driver="evd")
t3 = time.process_time()
print("torch_hessian_s %.6f" % (t1 - t0))
print("numpy_eigvalsh_s %.6f" % (t2 - t1))
print("scipy_evd_s %.6f" % (t3 - t2))
print("P %d" % H.shape[0])
core = "unknown (not OpenBLAS)"
for path in sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l}):
    try:  # the BLAS numpy and torch loaded: OpenBLAS names the core it selected
        lib = ctypes.CDLL(path)
        lib.openblas_get_corename.restype = ctypes.c_char_p
        core = lib.openblas_get_corename().decode()
        break
    except (OSError, AttributeError):
        continue
print("core %s" % core)
print("torch %s" % torch.__version__)
