"""A group of a symsweep file as an xarray Dataset with named dimensions and coordinates.

    from symsweep_analysis import to_xarray
    ds = to_xarray("out/ex3.h5")                        # /runs/metrics: one variable per metric
    ds["final_loss"].groupby("regularizer.kind").mean()
    curves = to_xarray("out/ex3.h5", "runs/curves")     # loss [run, epoch]
    lz = to_xarray("out/lz.h5", "probes/hessian_lanczos")

Every per-run dataset's first dimension is `run`, with the run number as its coordinate and
`seed`, `config`, `status` and every /grid column (the sweep axes, e.g. `model.activation`)
as coordinates along it, so `sel`, `where` and `groupby` work by setting.  A dimension with an
HDF5 dimension scale attached (epoch, t, s, direction, sample, ...) takes the scale's name and
values (files since the index scales have one on every dimension, `<variable>_dim<k>` where
the axis has no values of its own); in older files a dimension without one is named
`<variable>_dim<k>` too: no `phony_dim_*`.  Each variable keeps its
HDF5 attributes (long_name, units, description, CF's flag_values and flag_meanings); integer
datasets with a `_FillValue` (-1: no value) are masked to NaN as xarray's CF decoding does.

xarray's own reader works too, group by group: `xarray.open_dataset(path, engine="h5netcdf",
group="runs/metrics")` names the run dimension from the /run dimension scale, and every other
dimension from its scale (older files: `phony_dims="sort"`; to_xarray names them).
Reads the whole group: for the weights of a million runs, select with h5py instead.
"""
import h5py
import numpy as np

from .data import STATUS_NAMES, attr_text, grid_columns, open_output, read_column, values


def _scale_name(scale):
    name = attr_text(scale.attrs.get("NAME", b"")).strip()
    return name or scale.name.rsplit("/", 1)[-1]


def _variable(d, name, n_runs, coords):
    dims = []
    for k in range(d.ndim):
        if k == 0 and d.shape[0] == n_runs:
            dims.append("run")
            continue
        scales = list(d.dims[k].values())
        if scales:
            dim = _scale_name(scales[0])
            if dim not in coords:
                coords[dim] = (dim, scales[0][...])
            dims.append(dim)
        else:
            dims.append("%s_dim%d" % (name, k))
    encoding = {}
    if h5py.check_string_dtype(d.dtype) is not None:
        data = np.asarray(d.asstr()[...], dtype=object)
    else:
        data = values(d, ...)  # CF-decoded: an integer's fill value (-1: no value) is NaN
        if "_FillValue" in d.attrs and d.dtype.kind in "iu":
            encoding = {"dtype": d.dtype, "_FillValue": np.asarray(d.attrs["_FillValue"]).ravel()[0]}
    attrs = {k: attr_text(v) for k, v in d.attrs.items()
             if k not in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME", "_FillValue",
                          "flag_values")}
    if "flag_values" in d.attrs:
        attrs["flag_values"] = np.asarray(d.attrs["flag_values"])
    if "long_name" not in attrs and "description" in attrs:  # files of older versions
        attrs["long_name"] = attrs["description"]
    return dims, data, attrs, encoding


def to_xarray(path_or_file, group="runs/metrics"):
    """The datasets of `group` (and its subgroups, named `sub/name`) as an xarray.Dataset;
    see the module's documentation."""
    import xarray as xr
    own = not isinstance(path_or_file, h5py.File)
    f = open_output(path_or_file) if own else path_or_file
    try:
        if group.strip("/") not in f or not isinstance(f[group.strip("/")], h5py.Group):
            raise KeyError("%s: no group '%s'" % (f.filename, group))
        g = f[group.strip("/")]
        n = f["runs/status"].shape[0]
        st = read_column(f["runs/status"]).astype(np.int64)
        coords = {"run": ("run", np.arange(n)),
                  "seed": ("run", read_column(f["grid/seed"])),
                  "config": ("run", read_column(f["grid/config"])),
                  "status": ("run", np.array([STATUS_NAMES.get(int(s), "?") for s in st], dtype=object))}
        for k in grid_columns(f):
            coords[k] = ("run", read_column(f["grid"][k]))
        variables = {}

        def visit(name, obj):
            if not isinstance(obj, h5py.Dataset):
                return
            if attr_text(obj.attrs.get("CLASS", b"")) == "DIMENSION_SCALE":
                return  # a coordinate, attached where it is used
            dims, data, attrs, encoding = _variable(obj, name.replace("/", "_"), n, coords)
            variables[name] = xr.Variable(dims, data, attrs, encoding)

        g.visititems(visit)
        # a dataset of the group named like a coordinate (runs/status) stays a variable
        ds = xr.Dataset(variables, coords={k: xr.Variable(*v) for k, v in coords.items()
                                           if k not in variables})
        ds.attrs = {k: attr_text(v) for k, v in f.attrs.items()
                    if k in ("job_name", "job_sha256", "symsweep_version", "format_version",
                             "created", "finished", "blas", "axes", "overrides")}
        ds.attrs["source"] = "%s:/%s" % (f.filename, group.strip("/"))
        return ds
    finally:
        if own:
            f.close()
