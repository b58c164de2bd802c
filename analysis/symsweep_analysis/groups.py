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


def group_labels(df, by):
    """(codes, labels): as group_keys, with a readable label per group."""
    codes, keys = group_keys(df, by)
    if not by:
        return codes, ["all runs"]
    return codes, [", ".join("%s=%s" % (b, v) for b, v in zip(by, k)) for k in keys]
