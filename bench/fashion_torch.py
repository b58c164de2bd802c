#!/usr/bin/env python3
"""PyTorch reference for bench_fashion (issue 25's speed row): a ReLU MLP 784-256-256-10 on
Fashion-MNIST's training images (pixels / 255), cross-entropy, minibatches of 128 reshuffled
every epoch, Adam lr 1e-3, float64, one thread, written the plain way (nn.Sequential,
nn.CrossEntropyLoss, torch.optim.Adam, one loop over minibatches).  CPU time of this process
over STEPS steps, after 0.3 s of untimed steps.

usage: fashion_torch.py STEPS [IMAGES_IDX_GZ LABELS_IDX_GZ]  -> "steps_per_second X"
"""
import gzip
import sys
import time

import numpy as np
import torch

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
root = "/usr/share/datasets/fashion-mnist/"
img = sys.argv[2] if len(sys.argv) > 2 else root + "train-images-idx3-ubyte.gz"
lab = sys.argv[3] if len(sys.argv) > 3 else root + "train-labels-idx1-ubyte.gz"
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
with gzip.open(img, "rb") as f:
    X = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784) / 255.0
with gzip.open(lab, "rb") as f:
    y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
X, y = torch.from_numpy(X), torch.from_numpy(y)
g = torch.Generator().manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                            torch.nn.ReLU(), torch.nn.Linear(256, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
lossf = torch.nn.CrossEntropyLoss()


def batches():
    """Minibatches of 128, reshuffled every epoch, forever."""
    while True:
        perm = torch.randperm(len(y), generator=g)
        for s in range(0, len(y), 128):
            idx = perm[s:s + 128]
            yield X[idx], y[idx]


it = batches()


def step():
    xb, yb = next(it)
    opt.zero_grad(set_to_none=True)
    loss = lossf(model(xb), yb)
    loss.backward()
    opt.step()
    return loss


t0 = time.monotonic()
while time.monotonic() - t0 < 0.3:
    step()
t0 = time.process_time()
for _ in range(steps):
    step()
dt = time.process_time() - t0
print("steps_per_second %.3f" % (steps / dt))
print("loss %.6f" % float(step()))
