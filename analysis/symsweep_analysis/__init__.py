"""symsweep_analysis: read symsweep output files in your own code.

    # installed: pip install --no-build-isolation --no-deps ./analysis
    # (or from a checkout: import sys; sys.path.insert(0, "analysis"))
    from symsweep_analysis import load, summarize
    df = load("out/ex3.h5")                         # one row per run, grid axes as columns
    done = df[df.status == "done"]
    print(summarize(done, ["sparsity_encoder"], by=["regularizer.kind"]))

    ds = to_xarray("out/ex3.h5")                    # xarray: named dims, grid axes as coords
    cfg = config_table("out/ex3.h5")                # every setting each run used, defaults included

`symsweep-report OUT.h5 --out DIR` (or analysis/report.py) writes every figure and table
at once.  Importing the package does not change matplotlib's backend.
"""
from .config import config_table
from .data import FormatError, load, open_output, status_counts, sweep_axes
from .stats import compare, compare_paired, describe, summarize
from .xr import to_xarray

__all__ = ["config_table", "FormatError", "load", "open_output", "status_counts", "sweep_axes",
           "compare", "compare_paired", "describe", "summarize", "to_xarray"]
