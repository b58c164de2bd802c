"""Groups of runs: a group number per run for some columns of the table of
runs, numbered in order of first appearance (the grid order)."""
import numpy as np


def group_keys(df, by):
    """(codes, keys): a group number per run for the columns `by`, numbered
    in order of first appearance, and each group's tuple of values."""
    by = list(by)
    if not by:
        return np.zeros(len(df), dtype=np.int64), [()]
    import pandas as pd
    codes = np.zeros(len(df), dtype=np.int64)
    for b in by:  # mixed radix of per-column codes, then renumbered by first appearance
        cb, uniq = pd.factorize(df[b], use_na_sentinel=False)
        codes = pd.factorize(codes * len(uniq) + cb)[0].astype(np.int64)  # stays < n_runs
    first = np.unique(codes, return_index=True)[1]
    keys = [tuple(df[b].iloc[i] for b in by) for i in first]
    return codes, keys


PENALTY = {"none": "no penalty", "frobenius": "L2", "l1": "L1", "lp": "l_p",
           "schatten": "Schatten", "jacobian": "Jacobian"}


def _mapping(v):
    """A mapping axis value as /grid stores it ("{kind: l1, lambda: 0.005}") as a dict."""
    import re
    return dict((k, x.strip()) for k, x in re.findall(r"([A-Za-z_]+):\s*([^,{}]+)", str(v)))


# how a figure's legend says a setting: by its path or its last name, "{}" is the value
# (words, not job syntax: "linear activation", not "activation=linear"); others "name: value"
SETTING_WORDS = {
    "model.activation": "{} activation", "activation": "{} activation", "model.widths": "widths {}",
    "widths": "widths {}", "data.rank": "data of rank {}", "rank": "rank {}",
    "data.samples": "samples: {}", "samples": "samples: {}", "train.lr": "learning rate {}",
    "lr": "learning rate {}", "train.epochs": "{} epochs", "epochs": "{} epochs",
    "train.optimizer": "{}", "optimizer": "{}", "train.project_orbit": "orbit projection: {}",
    "probes.symmetry_discovery.data": "{} data", "seed": "seed {}", "config": "grid point {}",
    "data.kind": "{} data", "model.kind": "{}", "train.batch": "batch {}",
}
# setting values as words ("leaky_relu" -> "leaky ReLU")
VALUE_WORDS = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "true": "yes", "false": "no",
               "True": "yes", "False": "no", "sgd": "SGD", "adam": "Adam"}


def _value_words(value):
    v = str(value)
    return VALUE_WORDS.get(v, v.replace("_", " "))


def setting_words(axis, value, short=""):
    """One setting and its value in words, as a figure's legend says it (short: the name to
    use, "" for the path's last name, None for the whole path: two settings share the name)."""
    short = axis.split(".")[-1] if short == "" else short
    for key in (axis, short):
        if key in SETTING_WORDS:
            return SETTING_WORDS[key].format(_value_words(value))
    return "%s: %s" % ((short or axis).replace("_", " "), _value_words(value))


def pretty(axis, value, short, words=False):
    """One axis value as a table (or, words=True, a figure's legend) says it: regularizers as
    "L1 (λ=0.005)" (in a figure "L1, λ = 0.005"), other settings by their last name
    ("activation=relu"; in a figure "ReLU activation"), or the whole path when two share it."""
    if axis == "regularizer" and str(value).startswith("{"):
        m = _mapping(value)
        if words:
            extra = ", ".join("%s = %s" % ("$\\lambda$" if k == "lambda" else k.replace("_", " "), x)
                              for k, x in m.items() if k != "kind")
        else:
            extra = ", ".join("%s=%s" % ("λ" if k == "lambda" else k, x) for k, x in m.items()
                              if k != "kind")
        name = PENALTY.get(m.get("kind", ""), m.get("kind", str(value)))
        if words and name == "l_p":
            name = "$\\ell_p$"
        return ("%s, %s" if words else "%s (%s)") % (name, extra) if extra else name
    if axis == "regularizer.kind":
        name = PENALTY.get(str(value), str(value))
        return "$\\ell_p$" if words and name == "l_p" else name
    if words:
        return setting_words(axis, value, short)
    return "%s=%s" % (short if short else axis, value)


def group_labels(df, by, words=False):
    """(codes, labels): as group_keys, with a readable label per group (pretty): job syntax
    for the tables (activation=relu), words for the figures' legends (words=True)."""
    codes, keys = group_keys(df, by)
    if not by:
        return codes, ["all runs"]
    last = [b.split(".")[-1] for b in by]
    short = [l if last.count(l) == 1 else None for l in last]
    return codes, [", ".join(pretty(b, v, s, words) for b, v, s in zip(by, k, short)) for k in keys]
