#!/usr/bin/env python3
"""PyTorch baseline for bench_train_throughput: the same Ex3 workload (linear
autoencoder 8 -> 3 -> 8 without bias, 500 points near a random 3-dim subspace
plus noise 0.05, Adam lr 0.005, full-batch MSE), float64, one thread; CPU time of this process.

usage: torch_baseline.py [EPOCHS] [REPEATS]   -> "steps_per_second X" lines
"""
import sys
import time

import torch

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(0)
B, _ = torch.linalg.qr(torch.randn(8, 8, generator=g))
X = torch.randn(500, 3, generator=g) @ B[:, :3].T + 0.05 * torch.randn(500, 8, generator=g)

times = []
for r in range(reps):
    model = torch.nn.Sequential(torch.nn.Linear(8, 3, bias=False), torch.nn.Linear(3, 8, bias=False))
    opt = torch.optim.Adam(model.parameters(), lr=0.005)
    lossf = torch.nn.MSELoss()
    t0 = time.process_time()
    for _ in range(epochs):
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(X), X)
        loss.backward()
        opt.step()
    times.append(time.process_time() - t0)
times.sort()
t = times[len(times) // 2]
print("steps_per_second %.1f" % (epochs / t))
print("final_loss %.6g" % loss.item())
print("torch_version %s" % torch.__version__)
