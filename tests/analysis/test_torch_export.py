#!/usr/bin/env python3
"""A network trained in PyTorch, measured by symsweep (issue 25, "Networks trained elsewhere").

A tiny float64 MLP (Linear, Tanh, Linear, Softplus, Linear, with biases) is trained for a few
Adam steps in PyTorch on 40 samples; symsweep_analysis.torch_export writes it as the file
`model.init` reads, and symsweep runs it on the same data (written to HDF5 here) with
`train.epochs` swept over [0, 1] (full-batch gd, lr 1):
- epochs 0 (the probe-only mode): the recorded objective (the curve's one point and
  final_loss) equals torch's loss, and hessian_lanczos's gradient norm torch's, to 1e-12
  relative; the final weights are the exported ones, bit for bit;
- epochs 1: one gd step of rate 1, so the initial minus the final weights is the gradient:
  equal to torch's autograd gradient to 1e-12 (relative, in norm).
Then the exporter's refusals: Dropout, BatchNorm, Softplus with beta 2, LeakyReLUs of two
slopes, a bias on some layers only, two activations in a row; each names its reason.

The objective is a parameter (--loss): LOSSES holds, per objective, torch's loss, the targets
and the job's train lines: mse, and cross_entropy (targets: integer class ids,
torch.nn.CrossEntropyLoss, `loss: cross_entropy` in the job).

usage: test_torch_export.py SYMSWEEP SOURCE_DIR [--loss mse|cross_entropy]   (ctest: analysis.torch_export;
exits 77, skipped, without python3-torch)
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

try:
    import torch
except ImportError:
    print("analysis.torch_export: skipped: python3-torch is not installed (apt-get install python3-torch)")
    sys.exit(77)

EXE, SRC = sys.argv[1], sys.argv[2]
LOSS = sys.argv[sys.argv.index("--loss") + 1] if "--loss" in sys.argv else "mse"
sys.path.insert(0, os.path.join(SRC, "analysis"))
from symsweep_analysis.torch_export import ExportError, export_state_dict, export_torch, model_yaml  # noqa: E402


def mse_targets(g, n, d_out):
    return torch.randn(n, d_out, generator=g, dtype=torch.float64)


# objective -> (torch loss, targets(generator, n, outputs), extra train settings of the job)
def class_targets(g, n, d_out):
    return torch.randint(0, d_out, (n,), generator=g)


LOSSES = {
    "mse": (torch.nn.MSELoss(), mse_targets, ""),
    "cross_entropy": (torch.nn.CrossEntropyLoss(), class_targets, ", loss: cross_entropy"),
}

problems = []


def check(cond, what):
    if not cond:
        problems.append(what)
        print("FAIL:", what)


worst = [0.0]


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    r = float(np.linalg.norm(a - b) / np.linalg.norm(b))
    worst[0] = max(worst[0], r)
    return r


def torch_net():
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 5),
                              torch.nn.Softplus(), torch.nn.Linear(5, 2)).double()
    return net


def measured_equals_torch(tmp):
    loss_fn, targets, train_extra = LOSSES[LOSS]
    g = torch.Generator().manual_seed(11)
    X = torch.randn(40, 3, generator=g, dtype=torch.float64)
    Y = targets(g, 40, 2)
    net = torch_net()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(5):  # trained a little: not at its initialization
        opt.zero_grad()
        loss_fn(net(X), Y).backward()
        opt.step()
    net.zero_grad()
    loss = loss_fn(net(X), Y)
    loss.backward()
    grads = {}
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    for i, m in enumerate(linears):
        grads["W%d" % (i + 1)] = m.weight.grad.numpy().copy()
        grads["b%d" % (i + 1)] = m.bias.grad.numpy().copy()
    gnorm = float(np.sqrt(sum(float((v ** 2).sum()) for v in grads.values())))

    model = export_torch(net, os.path.join(tmp, "net.h5"))
    model["init"]["file"] = "net.h5"
    with h5py.File(os.path.join(tmp, "data.h5"), "w") as f:
        f["X"] = X.numpy()
        f["Y"] = Y.numpy()
    job = os.path.join(tmp, "torch.yaml")
    with open(job, "w") as f:
        f.write("name: torch_export\n"
                "data: {kind: hdf5, file: data.h5, x: X, y: Y}\n"
                + model_yaml(model) + "\n"
                "train: {optimizer: gd, lr: 1.0, epochs: 0%s}\n"
                "record: {loss_every: 1, weights: initial_and_final}\n"
                "sweep:\n  train.epochs: [0, 1]\n"
                "probes:\n  hessian_lanczos: {}\n" % train_extra)
    out = os.path.join(tmp, "out.h5")
    r = subprocess.run([EXE, "run", job, "-o", out, "-q", "--force"], capture_output=True, text=True)
    check(r.returncode == 0, "symsweep run: %s%s" % (r.stdout, r.stderr))
    if r.returncode:
        return
    with h5py.File(out, "r") as f:
        epochs = f["config/train/epochs"][()]
        grid = f["runs/grid_point"][()] if "runs/grid_point" in f else np.arange(len(epochs))
        r0, r1 = int(np.flatnonzero(epochs[grid] == 0)[0]), int(np.flatnonzero(epochs[grid] == 1)[0])
        want = float(loss.item())
        check(rel(f["runs/metrics/final_loss"][r0], want) <= 1e-12,
              "final_loss %r, torch %r" % (f["runs/metrics/final_loss"][r0], want))
        check(rel(f["runs/curves/loss"][r0][0], want) <= 1e-12,
              "the curve's point at epochs 0: %r, torch %r" % (f["runs/curves/loss"][r0][0], want))
        check(rel(f["runs/metrics/lanczos_grad_norm"][r0], gnorm) <= 1e-12,
              "gradient norm %r, torch %r" % (f["runs/metrics/lanczos_grad_norm"][r0], gnorm))
        for name in grads:
            w0 = f["runs/initial_weights/" + name][r0]
            check(np.array_equal(f["runs/weights/" + name][r0], w0),
                  "%s: the weights of a run with epochs 0 are not its initial ones" % name)
            with h5py.File(os.path.join(tmp, "net.h5"), "r") as n:
                check(np.array_equal(w0, n[name][()]), "%s: not the exported weights" % name)
            step = f["runs/initial_weights/" + name][r1] - f["runs/weights/" + name][r1]
            check(rel(step, grads[name]) <= 1e-12,
                  "%s: gradient (one gd step of rate 1) %.3g relative from torch's"
                  % (name, rel(step, grads[name])))
    print("analysis.torch_export: %s loss %.17g and gradient (norm %.17g) equal torch's (at worst "
          "%.2g relative)" % (LOSS, want, gnorm, worst[0]))


def refusals(tmp):
    nn = torch.nn
    cases = [
        (nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.1), nn.Linear(4, 2)), "cannot express Dropout"),
        (nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)),
         "cannot express BatchNorm1d"),
        (nn.Sequential(nn.Linear(3, 4), nn.Softplus(beta=2.0), nn.Linear(4, 2)), "beta 2"),
        (nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.1), nn.Linear(4, 4), nn.LeakyReLU(0.2),
                       nn.Linear(4, 2)), "one model.leaky_slope"),
        (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2, bias=False)), "model.bias is one setting"),
        (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Tanh(), nn.Linear(4, 2)), "a second activation"),
    ]
    for net, words in cases:
        try:
            export_torch(net, os.path.join(tmp, "no.h5"))
            check(False, "exported %s, expected a refusal with %r" % (net, words))
        except ExportError as e:
            check(words in str(e), "refusal %r does not say %r" % (str(e), words))
    # what it can express: per-layer activations, LeakyReLU's slope, Identity, no biases
    net = nn.Sequential(nn.Flatten(), nn.Linear(3, 4, bias=False), nn.LeakyReLU(0.2),
                        nn.Linear(4, 4, bias=False), nn.Identity(), nn.Linear(4, 2, bias=False), nn.Sigmoid())
    m = export_torch(net, os.path.join(tmp, "ok.h5"))
    check(m["widths"] == [3, 4, 4, 2] and m["activation"] == ["leaky_relu", "linear"]
          and m["output_activation"] == "sigmoid" and m["leaky_slope"] == 0.2 and m["bias"] is False,
          "settings of a net without biases: %r" % m)
    sd = torch_net().state_dict()
    m = export_state_dict(sd, ["tanh", "softplus", "linear"], os.path.join(tmp, "sd.h5"))
    check(m["widths"] == [3, 6, 5, 2] and m["activation"] == ["tanh", "softplus"] and m["bias"],
          "settings from a state dict: %r" % m)
    with h5py.File(os.path.join(tmp, "sd.h5"), "r") as f:
        check(np.array_equal(f["W2"][()], sd["2.weight"].numpy()), "W2 from the state dict")


with tempfile.TemporaryDirectory() as tmp:
    measured_equals_torch(tmp)
    refusals(tmp)
print("analysis.torch_export: %d problems" % len(problems))
sys.exit(1 if problems else 0)
