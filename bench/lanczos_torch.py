#!/usr/bin/env python3
"""PyTorch reference for bench_hvp_lanczos (issue 27): 100 Lanczos steps with full
reorthogonalization on the Hessian of a ReLU MLP 64 -> 256 -> 256 -> 80 with biases
(P = 102,992) on 1,000 samples, squared error (torch.nn.MSELoss, mean), float64, one thread,
Hessian-vector products by double backward (torch.autograd.grad of the gradient's dot product
with v, the way a skilled PyTorch user writes them), the Lanczos loop in torch (the same
recurrence as symsweep's sym_lanczos: full reorthogonalization against every earlier vector).
CPU time of this process after one untimed product: the whole loop and the products alone.

usage: lanczos_torch.py [STEPS] [SAMPLES]   -> "key value" lines
"""
import sys
import time

import torch

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(1)
w = [64, 256, 256, 80]
model = torch.nn.Sequential(torch.nn.Linear(w[0], w[1]), torch.nn.ReLU(), torch.nn.Linear(w[1], w[2]),
                            torch.nn.ReLU(), torch.nn.Linear(w[2], w[3]))
X = torch.randn(n, w[0], generator=g)
Y = torch.randn(n, w[3], generator=g)
params = list(model.parameters())
P = sum(p.numel() for p in params)
loss = torch.nn.functional.mse_loss(model(X), Y)
grads = torch.autograd.grad(loss, params, create_graph=True)
flat = torch.cat([x.reshape(-1) for x in grads])
t_products = 0.0


def hvp(v):
    """H v by double backward through the retained graph of the gradient."""
    global t_products
    t0 = time.process_time()
    hv = torch.autograd.grad(flat, params, grad_outputs=v, retain_graph=True)
    out = torch.cat([x.reshape(-1) for x in hv])
    t_products += time.process_time() - t0
    return out


q = torch.randn(P, generator=g)
hvp(q)  # untimed: the first product allocates
t_products = 0.0
Q = torch.zeros(steps, P)
alpha, beta = torch.zeros(steps), torch.zeros(steps)
t0 = time.process_time()
Q[0] = q / q.norm()
done = 0
for k in range(steps):
    r = hvp(Q[k])
    alpha[k] = Q[k] @ r
    # full reorthogonalization against every Lanczos vector so far (twice is enough)
    for _ in range(2):
        r -= Q[:k + 1].T @ (Q[:k + 1] @ r)
    beta[k] = r.norm()
    done = k + 1
    if k + 1 < steps:
        Q[k + 1] = r / beta[k]
t = time.process_time() - t0
print("params %d" % P)
print("steps %d" % done)
print("cpu_s %.4f" % t)
print("ms_per_step %.3f" % (1e3 * t / done))
print("ms_per_product %.3f" % (1e3 * t_products / done))
print("top_ritz %.10g" % alpha[0].item())
print("torch_version %s" % torch.__version__)
