"""symsweep_analysis: read symsweep output files in your own code.

    import sys; sys.path.insert(0, "analysis")       # from the repository root
    from symsweep_analysis import load, summarize
    df = load("out/ex3.h5")                         # one row per run, grid axes as columns
    done = df[df.status == "done"]
    print(summarize(done, ["sparsity_encoder"], by=["regularizer.kind"]))

`analysis/report.py OUT.h5 --out DIR` writes every figure and table at once.
"""
from .data import FormatError, load, open_output, status_counts, sweep_axes
from .stats import compare, compare_paired, describe, summarize

__all__ = ["FormatError", "load", "open_output", "status_counts", "sweep_axes",
           "compare", "compare_paired", "describe", "summarize"]
