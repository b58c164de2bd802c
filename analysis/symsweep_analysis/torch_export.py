"""Bring a network trained in PyTorch to symsweep: the HDF5 file `model.init: {kind: file}` reads,
and the model settings that match it.

    import torch
    from symsweep_analysis.torch_export import export_torch, model_yaml
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    ...  # train it
    model = export_torch(net, "net.h5")            # writes W1, b1, W2, b2 (float64)
    print(model_yaml(model))                        # model: {kind: mlp, widths: [784, 128, 10], ...}

or, from a state dict and the activations (one per Linear layer, symsweep's names, the last
one the output's):

    model = export_state_dict(torch.load("net.pt"), ["relu", "linear"], "net.h5")

Then a job with `train: {epochs: 0, ...}` measures the network as it is (no training step):
its loss, gradient, Hessian, symmetries, alignment.  What symsweep's `mlp` cannot express is
refused with the reason: a module other than Linear and the activations ReLU, LeakyReLU,
Sigmoid, Tanh, Softplus (beta 1) and Identity (Dropout, BatchNorm, ...), two activations in a
row, LeakyReLUs of different slopes (symsweep has one leaky_slope), some Linear layers with a
bias and some without (symsweep's `bias` is the model's).  Torch's Softplus returns x itself
above its threshold (20); symsweep's is log(1 + e^x) everywhere: they differ there by less than
e^-20 (2e-9).  Weights are written as float64 whatever their dtype.
"""
import h5py
import numpy as np

# torch.nn module class name -> symsweep activation
_ACTIVATIONS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "Sigmoid": "sigmoid", "Tanh": "tanh",
                "Softplus": "softplus", "Identity": "linear"}
NAMES = ("linear", "relu", "leaky_relu", "sigmoid", "tanh", "softplus")


class ExportError(ValueError):
    """The network is not one symsweep's mlp can express; the message says why."""


def _array(t):
    if hasattr(t, "detach"):
        t = t.detach().cpu().double().numpy()
    return np.asarray(t, dtype=np.float64)


def _settings(weights, biases, acts, slope):
    """The model settings of Linear layers weights[l] [out, in] with activations acts[l]."""
    if not weights:
        raise ExportError("no Linear layer: symsweep's mlp has at least one")
    has_bias = [b is not None for b in biases]
    if any(has_bias) and not all(has_bias):
        raise ExportError("Linear layers %s have a bias and %s do not: symsweep's model.bias is one "
                          "setting for every layer (give every layer a bias, or none)"
                          % ([i + 1 for i, h in enumerate(has_bias) if h],
                             [i + 1 for i, h in enumerate(has_bias) if not h]))
    widths = [int(weights[0].shape[1])]
    for i, w in enumerate(weights):
        if w.ndim != 2:
            raise ExportError("layer %d: a weight of shape %s, expected [out, in]" % (i + 1, w.shape))
        if w.shape[1] != widths[-1]:
            raise ExportError("layer %d takes %d inputs, but layer %d gives %d"
                              % (i + 1, w.shape[1], i, widths[-1]))
        if biases[i] is not None and biases[i].shape != (w.shape[0],):
            raise ExportError("layer %d: a bias of shape %s, expected [%d]"
                              % (i + 1, biases[i].shape, w.shape[0]))
        if not np.all(np.isfinite(w)) or (biases[i] is not None and not np.all(np.isfinite(biases[i]))):
            raise ExportError("layer %d: weights or bias not finite" % (i + 1))
        widths.append(int(w.shape[0]))
    for a in acts:
        if a not in NAMES:
            raise ExportError("activation %r: symsweep has %s" % (a, ", ".join(NAMES)))
    hidden, out = list(acts[:-1]), acts[-1]
    model = {"kind": "mlp", "widths": widths, "bias": bool(all(has_bias)) if has_bias else False,
             "output_activation": out}
    if hidden:
        model["activation"] = hidden[0] if len(set(hidden)) == 1 else hidden
    if slope is not None:
        model["leaky_slope"] = float(slope)
    return model


def _write(path, weights, biases, group):
    with h5py.File(path, "w") as f:
        g = f.require_group(group) if group not in ("", "/") else f
        for i, (w, b) in enumerate(zip(weights, biases)):
            g.create_dataset("W%d" % (i + 1), data=np.ascontiguousarray(w, dtype=np.float64))
            if b is not None:
                g.create_dataset("b%d" % (i + 1), data=np.ascontiguousarray(b, dtype=np.float64))


def _init(model, path, group):
    model["init"] = {"kind": "file", "file": str(path)}
    if group not in ("", "/"):
        model["init"]["group"] = group
    return model


def export_torch(net, path, group="/"):
    """Write torch.nn.Sequential @p net (Linear layers, each followed by at most one of ReLU,
    LeakyReLU, Sigmoid, Tanh, Softplus, Identity) to HDF5 file @p path as model.init reads it
    (W1 [out, in], b1 [out], ... under @p group), and return the matching model settings (a
    dict: kind, widths, activation, output_activation, bias, leaky_slope, init).  An
    nn.Flatten first is allowed (symsweep's data are flat).  Raises ExportError."""
    mods = list(net.children()) if hasattr(net, "children") else list(net)
    weights, biases, acts, slopes = [], [], [], set()
    for i, m in enumerate(mods):
        name = type(m).__name__
        where = "module %d (%s) of the Sequential" % (i, name)
        if name == "Flatten" and i == 0:
            continue
        if name == "Linear":
            weights.append(_array(m.weight))
            biases.append(_array(m.bias) if m.bias is not None else None)
            acts.append("linear")
            continue
        if name not in _ACTIVATIONS:
            raise ExportError("%s: symsweep's mlp is Linear layers, each followed by at most one "
                              "of ReLU, LeakyReLU, Sigmoid, Tanh, Softplus, Identity; it cannot "
                              "express %s" % (where, name))
        if not weights:
            raise ExportError("%s: an activation before the first Linear layer" % where)
        if name == "Identity":
            continue
        if acts[-1] != "linear":
            raise ExportError("%s: a second activation after Linear layer %d (symsweep applies one)"
                              % (where, len(weights)))
        if name == "Softplus" and float(m.beta) != 1.0:
            raise ExportError("%s: beta %g; symsweep's softplus is log(1 + e^x), beta 1"
                              % (where, float(m.beta)))
        if name == "LeakyReLU":
            slopes.add(float(m.negative_slope))
        acts[-1] = _ACTIVATIONS[name]
    if len(slopes) > 1:
        raise ExportError("LeakyReLU slopes %s: symsweep has one model.leaky_slope for every layer"
                          % sorted(slopes))
    model = _settings(weights, biases, acts, slopes.pop() if slopes else None)
    _write(path, weights, biases, group)
    return _init(model, path, group)


def export_state_dict(state, activations, path, group="/", leaky_slope=None):
    """The same from a state dict (its `*.weight` entries in order, each with its `*.bias` if
    any) and @p activations, symsweep's names, one per Linear layer (the last: the output's)."""
    keys = [k for k in state if k.endswith("weight")]
    weights = [_array(state[k]) for k in keys]
    biases = [_array(state[k[:-len("weight")] + "bias"]) if k[:-len("weight")] + "bias" in state
              else None for k in keys]
    if len(activations) != len(weights):
        raise ExportError("%d activations for %d Linear layers (one each, the last the output's)"
                          % (len(activations), len(weights)))
    if "leaky_relu" in activations and leaky_slope is None:
        raise ExportError("leaky_relu: give leaky_slope (torch's LeakyReLU negative_slope)")
    model = _settings(weights, biases, list(activations),
                      leaky_slope if "leaky_relu" in activations else None)
    _write(path, weights, biases, group)
    return _init(model, path, group)


def _flow(v):
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (k, _flow(x)) for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_flow(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def model_yaml(model):
    """The `model:` line of a job for the settings export_torch returned."""
    return "model: " + _flow(model)
