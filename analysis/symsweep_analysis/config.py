"""The resolved configuration a file records (/config, docs/hdf5-layout.md): every setting of
every grid point as the runs used it, defaults included, so an analysis never parses the job's
YAML text.

    from symsweep_analysis import config_table
    cfg = config_table("out/ex3.h5")              # one row per run, a column per setting
    cfg["train.beta1"]                            # Adam's beta1 of every run, default or not
    config_table("out/ex3.h5", per="point")       # one row per grid point instead
"""
import h5py
import numpy as np

from .data import open_output


def _settings(group, prefix=""):
    """(key, dataset) of every setting under /config, keys dotted as in the job file."""
    out = []
    for name, obj in group.items():
        key = prefix + name
        if isinstance(obj, h5py.Group):
            out += _settings(obj, key + ".")
        elif name != "grid_point" and not (obj.ndim == 1 and name.endswith("_dim1") and
                                           obj.attrs.get("CLASS", b"") in (b"DIMENSION_SCALE", "DIMENSION_SCALE")):
            out.append((key, obj))
    return out


def _column(d):
    """A setting's values per grid point: strings decoded, integers with their fill value (a
    grid point that does not use the setting) as pandas' NA, lists as tuples without the fill."""
    import pandas as pd
    if h5py.check_string_dtype(d.dtype) is not None:
        return np.asarray(d.asstr()[()], dtype=object)
    v = d[()]
    fill = np.asarray(d.attrs["_FillValue"]).ravel()[0] if "_FillValue" in d.attrs else None
    if d.ndim == 2:
        rows = []
        for r in v:
            keep = ~np.isnan(r) if r.dtype.kind == "f" else (r != fill if fill is not None else np.ones(len(r), bool))
            rows.append(tuple(x.item() for x in r[keep]))
        col = np.empty(len(rows), dtype=object)
        col[:] = rows
        return col
    if v.dtype.kind in "iu":
        return pd.array([pd.NA if fill is not None and x == fill else int(x) for x in v], dtype="Int64")
    return v


def config_table(path_or_file, per="run"):
    """The settings as a pandas DataFrame: per="run" (default) one row per run (index = run
    number, the values of its grid point /grid/config), per="point" one row per grid point.
    Columns are the dotted setting names ("train.lr", "probes.hessian.threshold").  Returns
    None for a file without /config (written before symsweep recorded it)."""
    import pandas as pd
    if per not in ("run", "point"):
        raise ValueError("config_table: per must be 'run' or 'point', found %r" % (per,))
    own = not isinstance(path_or_file, h5py.File)
    f = open_output(path_or_file) if own else path_or_file
    try:
        if "config" not in f:
            return None
        cols = {k: _column(d) for k, d in sorted(_settings(f["config"]))}
        df = pd.DataFrame(cols)
        df.index.name = "grid_point"
        if per == "point":
            return df
        point = np.asarray(f["grid/config"][()], dtype=np.int64)
        runs = df.iloc[point].reset_index(drop=True)
        runs.index.name = "run"
        return runs
    finally:
        if own:
            f.close()
