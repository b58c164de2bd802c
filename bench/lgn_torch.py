#!/usr/bin/env python3
"""PyTorch reference for bench_lgn_throughput (issue 27's learned-group row), written as the
paper's public code writes it (github.com/manosth/learning-groups, model.py and train_recon.py of
"Learning Linear Groups in Neural Networks", Theodosis, Helwani and Ba):

- the filters: B [K, 1, 6, 6] and A [K, 1, 36, 36] are parameters; the p filters of every group
  come from a Python loop of batched matmuls, res = A @ res.view(K, 1, -1, 1), concatenated
  with torch.cat along the filters (the paper's `gen_b`), rebuilt at every forward pass;
- the invertibility penalty: a Python loop over the groups adding
  mu * torch.linalg.matrix_norm(A[g] @ A_inv[g] - I), squared here because symsweep's penalty is
  the squared norm (the paper's eq. 12 and code have it unsquared);
- the closure penalty wc ||A^p - I||_F^2 (not in the paper's code): batched over the groups
  with torch.linalg.matrix_power, as a skilled PyTorch user writes it;
- the model: the unfolded ISTA sparse autoencoder of bench_lgn_throughput (symsweep's kind ista,
  one-sided, tied dictionary, L steps), z <- relu(z + alpha (x - z W) W^T - lambda), xhat = z W,
  mse (torch.nn.functional.mse_loss), Adam, torch.nn.utils.clip_grad_norm_ at 2 (as the paper's
  training loop), minibatches of 128 reshuffled every epoch, float64, one thread
  (torch.set_num_threads(1); no BLAS environment variable is set).

The data, the initial parameters and the options come from the file bench_lgn_throughput --dump
wrote (the same patches and the same start as symsweep's).  The paper's atoms are ordered
filter-major (j K + k) where symsweep's are group-major (k p + j): the thresholds are permuted
to match once, at load.

usage: lgn_torch.py DUMP STEPS [--batched]  -> "steps_per_second X" (CPU time of STEPS steps
       after 0.3 s of untimed steps); --batched: the pair penalty batched over the groups too
       lgn_torch.py DUMP --check  -> trains CHECK_STEPS full-batch steps from the dump's start and
       compares each objective with symsweep's (relative 1e-10); exit 1 when one differs
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


def load(path):
    """The dump's options, X, theta0 (by tensor), symsweep's gradient there (flat) and its
    full-batch curve."""
    with open(path, "rb") as f:
        meta = json.loads(f.readline())
        raw = np.frombuffer(f.read(), np.float64)
    n, d, P = meta["n"], meta["d"], meta["n_params"]
    X = raw[:n * d].reshape(n, d).copy()
    theta = raw[n * d:n * d + P]
    grad = raw[n * d + P:n * d + 2 * P]
    curve = raw[n * d + 2 * P:]
    tensors = {name: theta[off:off + r * c].reshape(r, c).copy() for name, off, r, c in meta["tensors"]}
    return meta, torch.from_numpy(X), tensors, grad, curve


class LGN(torch.nn.Module):
    """The unfolded ISTA autoencoder whose dictionary is K groups of p filters b, A b, ..."""

    def __init__(self, meta, t, batched_pair):
        super().__init__()
        K, p, s, d = meta["K"], meta["p"], meta["side"], meta["d"]
        self.K, self.p, self.L = K, p, meta["steps"]
        self.alpha, self.mu, self.wc = meta["alpha"], meta["mu"], meta["closure"]
        self.batched_pair = batched_pair
        self.B = torch.nn.Parameter(torch.from_numpy(t["B1"]).view(K, 1, s, s).clone())
        self.A = torch.nn.Parameter(torch.from_numpy(t["A1"]).view(K, 1, d, d).clone())
        self.A_inv = torch.nn.Parameter(torch.from_numpy(t["At1"]).view(K, 1, d, d).clone())
        # symsweep's thresholds are group-major (k p + j); the paper's atoms filter-major (j K + k)
        lam = torch.from_numpy(t["lambda1"]).view(K, p).t().reshape(1, K * p)
        self.lmbd = torch.nn.Parameter(lam.clone())
        self.register_buffer("eye", torch.eye(d))

    def dictionary(self):
        gen_b = self.B
        res = self.B
        for _ in range(1, self.p):
            shp = self.B.shape
            res = self.A @ res.view(shp[0], shp[1], -1, 1)
            gen_b = torch.cat((gen_b, res.view(shp)), dim=0)
        return gen_b.view(self.K * self.p, -1)

    def forward(self, x):
        W = self.dictionary()
        z = torch.zeros(x.shape[0], W.shape[0])
        for _ in range(self.L):
            res = x - z @ W
            z = F.relu(z + self.alpha * (res @ W.t()) - self.lmbd)
        return z @ W

    def penalty(self):
        if self.batched_pair:
            pen = self.mu * (self.A @ self.A_inv - self.eye).square().sum()
        else:
            pen = 0
            for group in range(self.K):
                pen = pen + self.mu * torch.linalg.matrix_norm(self.A[group] @ self.A_inv[group] - self.eye).sum() ** 2
        return pen + self.wc * (torch.linalg.matrix_power(self.A, self.p) - self.eye).square().sum()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    meta, X, t, grad, curve = load(sys.argv[1])
    model = LGN(meta, t, "--batched" in sys.argv[3:])
    opt = torch.optim.Adam(model.parameters(), lr=meta["lr"])
    clip, bs = meta["clip"], meta["batch"]

    def step(xb):
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(xb), xb) + model.penalty()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip, norm_type=2)
        opt.step()
        return float(loss)

    if sys.argv[2] == "--check":
        check(meta, model, X, grad, curve, step)
    bench(model, X, bs, int(sys.argv[2]), step)


def check(meta, model, X, grad, curve, step):
    """The gradient at the start, then the objective along CHECK_STEPS full-batch steps, against
    symsweep's; exits (1 when one differs by more than 1e-10, relative)."""
    loss = F.mse_loss(model(X), X) + model.penalty()
    loss.backward()
    K, p = meta["K"], meta["p"]
    gt = {"A1": model.A.grad, "B1": model.B.grad, "At1": model.A_inv.grad,
          "lambda1": model.lmbd.grad.view(p, K).t()}  # back to symsweep's group-major order
    gerr = 0.0
    for name, off, r, c in meta["tensors"]:
        ref = grad[off:off + r * c]
        e = float(np.abs(gt[name].reshape(-1).numpy() - ref).max() / np.abs(ref).max())
        print("check gradient %s max |difference| / max |symsweep| %.3g" % (name, e))
        gerr = max(gerr, e)
    ours = [step(X) for _ in range(meta["check_steps"])]
    with torch.no_grad():
        ours.append(float(F.mse_loss(model(X), X) + model.penalty()))
    worst = max(abs(a - b) / abs(b) for a, b in zip(ours, curve))
    for k, (a, b) in enumerate(zip(ours, curve)):
        print("check step %d torch %.17g symsweep %.17g" % (k, a, b))
    worst = max(worst, gerr)
    print("check_max_relative_difference %.3g" % worst)
    sys.exit(0 if len(ours) == len(curve) and worst <= 1e-10 else 1)


def bench(model, X, bs, steps, step):
    """STEPS minibatch steps timed (CPU time), after 0.3 s of untimed ones."""
    g = torch.Generator().manual_seed(0)

    def batches():
        """Minibatches of bs, reshuffled every epoch, forever."""
        while True:
            perm = torch.randperm(len(X), generator=g)
            for s in range(0, len(X), bs):
                yield X[perm[s:s + bs]]

    it = batches()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.3:
        step(next(it))
    t0 = time.process_time()
    for _ in range(steps):
        step(next(it))
    dt = time.process_time() - t0
    print("steps_per_second %.3f" % (steps / dt))
    print("loss %.6f" % step(next(it)))


if __name__ == "__main__":
    main()
