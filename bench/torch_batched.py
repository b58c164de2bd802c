#!/usr/bin/env python3
"""The skilled user's PyTorch reference for bench_train_throughput: the same Ex3 workload (linear
autoencoder 8 -> 3 -> 8 without bias, 500 points near a random 3-dim subspace plus noise 0.05,
Adam lr 0.005, full-batch MSE, float64, one thread), but M models trained at once: their weights
are batched tensors [M, 3, 8] and [M, 8, 3], the forward pass two torch.bmm, one torch.optim.Adam
over both (its update is per element, so each model trains as if alone), the loss the sum of the
models' MSEs (so each model's gradient is its own).  0.3 s of untimed warm-up, then EPOCHS timed; CPU
time of this process.

usage: torch_batched.py [EPOCHS] [M]  ->  "model_steps_per_second X", "final_loss_mean Y", ...
"""
import sys
import time

import torch

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
M = int(sys.argv[2]) if len(sys.argv) > 2 else 64
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(0)
B, _ = torch.linalg.qr(torch.randn(8, 8, generator=g))
X = torch.randn(500, 3, generator=g) @ B[:, :3].T + 0.05 * torch.randn(500, 8, generator=g)
Xb = X.unsqueeze(0).expand(M, 500, 8)  # the same data for every model (a view, no copy)
W1 = (torch.randn(M, 3, 8, generator=g) / 8 ** 0.5).requires_grad_()
W2 = (torch.randn(M, 8, 3, generator=g) / 3 ** 0.5).requires_grad_()
opt = torch.optim.Adam([W1, W2], lr=0.005)


def step():
    opt.zero_grad(set_to_none=True)
    Y = torch.bmm(torch.bmm(Xb, W1.transpose(1, 2)), W2.transpose(1, 2))
    per_model = ((Y - Xb) ** 2).mean(dim=(1, 2))
    per_model.sum().backward()
    opt.step()
    return per_model


w0 = time.monotonic()
while time.monotonic() - w0 < 0.3:  # untimed warm-up, as symsweep's side has
    step()
t0 = time.process_time()
for _ in range(epochs):
    losses = step()
t = time.process_time() - t0
print("model_steps_per_second %.1f" % (M * epochs / t))
print("final_loss_mean %.6g" % losses.mean().item())
print("models %d" % M)
print("torch_version %s" % torch.__version__)
