#!/usr/bin/env python3
"""issue 25: a learning-rate schedule as the probes see it.  Full-batch gd with a step schedule
(halved at 50%, 75%, 87.5%) and a warm-up, the objective recorded every epoch: the
gradient_decomposition probe's step_change at point k (the objective change of the step -lr g,
"for gd, the actual step") must be the recorded curve's change from epoch k to k+1, so the probe
takes each epoch's scheduled rate, not train.lr.  Also a sweep over train.decay_at (a list of
numbers): /config/train/decay_at holds each grid point's fractions, NaN-padded.

usage: schedule_steps.py SYMSWEEP   (ctest: cli.schedule_steps)
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE = sys.argv[1]
JOB = """name: schedule_steps
data: {kind: teacher_linear, input: 3, output: 2, samples: 30}
model: {kind: mlp, widths: [3, 4, 2], activation: relu, bias: true}
train: {optimizer: gd, lr: 0.2, epochs: 16, schedule: step, decay_at: [0.5], decay_factor: 0.5, warmup: 3}
record: {loss_every: 1}
sweep:
  train.decay_at: [[0.5], [0.5, 0.75, 0.875]]
probes:
  gradient_decomposition: {}
"""
bad = 0
with tempfile.TemporaryDirectory() as tmp:
    job, out = os.path.join(tmp, "job.yaml"), os.path.join(tmp, "out.h5")
    open(job, "w").write(JOB)
    subprocess.run([EXE, "run", job, "-o", out, "-q", "--force"], check=True)
    with h5py.File(out, "r") as f:
        loss = f["runs/curves/loss"][()]
        step = f["probes/gradient_decomposition/step_change"][()]
        for r in range(loss.shape[0]):
            want = np.diff(loss[r])
            got = step[r][:len(want)]
            err = np.abs(got - want) / np.abs(loss[r][:-1])
            if not np.all(err <= 1e-12):
                k = int(np.argmax(err))
                print("FAIL: run %d, point %d: step_change %r, the curve's change %r" % (r, k, got[k], want[k]))
                bad += 1
        at = f["config/train/decay_at"][()]
        if at.shape != (2, 3) or not np.array_equal(at[1], [0.5, 0.75, 0.875]) or at[0][0] != 0.5 \
                or not np.all(np.isnan(at[0][1:])):
            print("FAIL: /config/train/decay_at is %r" % at)
            bad += 1
print("schedule_steps: %d problems" % bad)
sys.exit(1 if bad else 0)
