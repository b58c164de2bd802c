#!/usr/bin/env python3
"""PyTorch baseline for bench_train_throughput: the same Ex3 workload (linear
autoencoder 8 -> 3 -> 8 without bias, 500 points near a random 3-dim subspace
plus noise 0.05, Adam lr 0.005, full-batch MSE), float64, one thread; CPU time of this process,
after 0.3 s of untimed training.

usage: torch_baseline.py [EPOCHS] [REPEATS] [D-K-D] [SAMPLES] [ACT]   -> "steps_per_second X" lines
(default 2000 3 8-3-8 500 linear: bench_train_throughput's arguments, the same workload; ACT tanh
puts a tanh after the encoder layer, as bench_train_throughput's seventh argument does)
"""
import sys
import time

import torch

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
D, K, _ = (int(x) for x in (sys.argv[3] if len(sys.argv) > 3 else "8-3-8").split("-"))
n = int(sys.argv[4]) if len(sys.argv) > 4 else 500
act = sys.argv[5] if len(sys.argv) > 5 else "linear"
if act not in ("linear", "tanh"):
    sys.exit("torch_baseline: ACT %r: expected linear or tanh" % act)
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(0)
B, _ = torch.linalg.qr(torch.randn(D, D, generator=g))
R = min(K, D)  # the subspace's rank, as bench_train_throughput's
X = torch.randn(n, R, generator=g) @ B[:, :R].T + 0.05 * torch.randn(n, D, generator=g)


def trainer():
    """A fresh model and its Adam; the returned step trains it one epoch and gives the loss."""
    mid = [torch.nn.Tanh()] if act == "tanh" else []
    model = torch.nn.Sequential(torch.nn.Linear(D, K, bias=False), *mid, torch.nn.Linear(K, D, bias=False))
    opt = torch.optim.Adam(model.parameters(), lr=0.005)
    lossf = torch.nn.MSELoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(X), X)
        loss.backward()
        opt.step()
        return loss
    return step


# untimed training for 0.3 s first, as symsweep's side does (the allocator's first buffers,
# the page faults of the first large tensors)
step, t0 = trainer(), time.monotonic()
while time.monotonic() - t0 < 0.3:
    step()
times = []
for r in range(reps):
    step = trainer()
    t0 = time.process_time()
    for _ in range(epochs):
        loss = step()
    times.append(time.process_time() - t0)
times.sort()
t = times[len(times) // 2]
print("steps_per_second %.1f" % (epochs / t))
print("final_loss %.6g" % loss.item())
print("torch_version %s" % torch.__version__)
