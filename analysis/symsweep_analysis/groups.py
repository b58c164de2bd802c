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


def pretty(axis, value, short):
    """One axis value as a figure legend says it: regularizers as "L1 (λ=0.005)", other
    settings by their last name ("activation=relu"), or the whole path when two share it."""
    if axis == "regularizer" and str(value).startswith("{"):
        m = _mapping(value)
        extra = ", ".join("%s=%s" % ("λ" if k == "lambda" else k, x) for k, x in m.items()
                          if k != "kind")
        name = PENALTY.get(m.get("kind", ""), m.get("kind", str(value)))
        return "%s (%s)" % (name, extra) if extra else name
    if axis == "regularizer.kind":
        return PENALTY.get(str(value), str(value))
    return "%s=%s" % (short if short else axis, value)


def group_labels(df, by):
    """(codes, labels): as group_keys, with a readable label per group (pretty)."""
    codes, keys = group_keys(df, by)
    if not by:
        return codes, ["all runs"]
    last = [b.split(".")[-1] for b in by]
    short = [l if last.count(l) == 1 else None for l in last]
    return codes, [", ".join(pretty(b, v, s) for b, v, s in zip(by, k, short)) for k in keys]
