"""Reading symsweep output files: validation, the table of runs, and streamed
per-group statistics of per-run arrays (curves, probe arrays).

Nothing here reads a whole [n_runs, ...] dataset at once: one-dimensional
columns and per-run arrays are read CHUNK_ROWS runs at a time, so a file with
a million runs is summarized without loading its weights.
"""
import os
import subprocess
import sys

import h5py
import numpy as np

CHUNK_ROWS = 1 << 16          # runs per read of a per-run dataset
STATUS_NAMES = {0: "pending", 1: "done", 2: "diverged", 3: "failed"}
FORMAT_VERSION = 1


class FormatError(Exception):
    """The file is missing, not HDF5, or not a symsweep output file.  str() is
    one line naming the file and what is wrong."""


def attr_text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace").rstrip("\0")
    if isinstance(v, np.ndarray) and v.dtype.kind == "S":
        return v.tobytes().decode("utf-8", "replace").rstrip("\0")
    return str(v)


def attr_list(obj, name):
    """A list attribute as strings: an array (a probe setting on /probes/NAME: strings, or
    numbers as %g, inf included) or a comma-separated string ("general, orthogonal")."""
    v = obj.attrs.get(name, "")
    if isinstance(v, np.ndarray) and v.dtype.kind not in "S":
        return [attr_text(x) if not isinstance(x, (float, np.floating)) else "%g" % x for x in v]
    return [s.strip() for s in attr_text(v).split(",") if s.strip()]


def open_output(path):
    """Open a symsweep output file read-only after checking its layout.

    Opens without HDF5 file locking, so a file that a sweep is still writing
    can be read (symsweep only changes data bytes after creating the file).
    Raises FormatError with a one-line message on anything else."""
    if not os.path.exists(path):
        raise FormatError("%s: no such file" % path)
    if os.path.isdir(path):
        raise FormatError("%s: is a directory, not a symsweep output file" % path)
    _probe_structure(path)
    try:
        f = h5py.File(path, "r", locking=False)
    except TypeError:  # h5py without the locking argument
        os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
        try:
            f = h5py.File(path, "r")
        except OSError as e:
            raise FormatError("%s: not a readable HDF5 file (%s)" % (path, one_line(e)))
    except OSError as e:
        raise FormatError("%s: not a readable HDF5 file (%s)" % (path, one_line(e)))
    try:
        _check_layout(f, path)
    except FormatError:
        f.close()
        raise
    except Exception as e:  # any h5py error while inspecting a damaged file
        f.close()
        raise FormatError("%s: damaged symsweep file (%s)" % (path, one_line(e)))
    return f


# run in a child process: the HDF5 library can crash (abort, segfault) on corrupted metadata, and
# a crash there must become a one-line error here, not take the analysis down
_PROBE = """
import sys, h5py
try:
    f = h5py.File(sys.argv[1], "r", locking=False)
except TypeError:
    f = h5py.File(sys.argv[1], "r")
except OSError:
    sys.exit(0)  # not readable: the caller's own open says so
with f:
    f.id.links.visit(lambda name, info: None, info=True)
    def look(name, obj):
        obj.attrs.keys()
        if isinstance(obj, h5py.Dataset):
            obj.shape, obj.dtype
    f.visititems(look)
"""


def _probe_structure(path):
    """Walk the file's links, objects and attributes in a child process first: a file whose
    metadata make the HDF5 library crash is reported as damaged (FormatError) instead."""
    env = dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE")
    r = subprocess.run([sys.executable, "-c", _PROBE, path], capture_output=True, text=True, env=env)
    if r.returncode < 0:
        raise FormatError("%s: damaged HDF5 file: the HDF5 library crashed reading its structure "
                          "(signal %d; corrupted metadata)" % (path, -r.returncode))
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]
        raise FormatError("%s: damaged HDF5 file (%s)" % (path, one_line(last)))


def one_line(e):
    s = " ".join(str(e).split())
    return s if len(s) < 200 else s[:197] + "..."


def _foreign_link(f):
    """The first soft or external link in the file, or None: symsweep writes
    none, and following one could open another file."""
    found = []

    def visit(name, info):
        if info.type != h5py.h5l.TYPE_HARD:
            found.append(name.decode(errors="replace") if isinstance(name, bytes) else name)
            return 1
        return None

    f.id.links.visit(visit, info=True)
    return found[0] if found else None


def verify_checksums(f, path, block_bytes=4 << 20):
    """Read every numeric dataset in full, a block of rows at a time, so that
    every chunk's Fletcher-32 checksum is checked; FormatError names the first
    dataset whose bytes changed after symsweep wrote them."""
    names = []
    f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    for n in names:
        d = f[n]
        if d.dtype.kind == "O" or not d.shape:
            continue
        row = max(1, d.dtype.itemsize * int(np.prod(d.shape[1:], dtype=np.int64)))
        step = max(1, block_bytes // row)
        try:
            for r0 in range(0, d.shape[0], step):
                d[r0:r0 + step]
        except OSError as e:
            raise FormatError("%s: /%s: %s" % (path, n, "checksum mismatch: the file is corrupted "
                                               "(bytes changed after they were written)"
                                               if "checksum" in str(e).lower() else one_line(e)))


def _check_layout(f, path):
    link = _foreign_link(f)
    if link is not None:
        raise FormatError("%s: /%s is a soft or external link: symsweep files have none, and links "
                          "are not followed (not a symsweep output file?)" % (path, link))
    for need in ("format_version", "job_sha256"):
        if need not in f.attrs:
            raise FormatError("%s: not a symsweep output file (no %s attribute)" % (path, need))
    v = int(np.asarray(f.attrs["format_version"]).ravel()[0])
    if v != FORMAT_VERSION:
        raise FormatError("%s: format_version is %d, this analysis reads version %d" % (path, v, FORMAT_VERSION))
    for need in ("runs/status", "grid/seed", "grid/config"):
        if need not in f or not isinstance(f[need], h5py.Dataset):
            raise FormatError("%s: not a symsweep output file (no /%s dataset)" % (path, need))
    n = f["runs/status"].shape[0] if f["runs/status"].ndim == 1 else -1
    if n < 0:
        raise FormatError("%s: /runs/status has shape %s, expected [n_runs]" % (path, f["runs/status"].shape))
    if f["runs/status"].dtype.kind not in "iu":
        raise FormatError("%s: /runs/status holds %s, not run statuses" % (path, f["runs/status"].dtype))
    st = f["runs/status"][...]
    if st.size and (st.min() < 0 or st.max() > 3):
        bad = int(np.flatnonzero((st < 0) | (st > 3))[0])
        raise FormatError("%s: /runs/status of run %d is %d, not pending, done, diverged or failed"
                          % (path, bad, st[bad]))
    # symsweep allocates every dataset in full when it creates the file: a
    # dataset with unallocated space was not written by it, and its size is a lie
    holes = []
    f.visititems(lambda nm, o: holes.append(nm) if isinstance(o, h5py.Dataset) and o.dtype.kind != "O"
                 and o.id.get_storage_size() < o.size * o.dtype.itemsize else None)
    if holes:
        raise FormatError("%s: /%s is not allocated in full: not written by symsweep, or changed"
                          % (path, holes[0]))
    verify_checksums(f, path)
    want = int(np.asarray(f.attrs.get("n_runs", n)).ravel()[0])
    if want != n:
        raise FormatError("%s: attribute n_runs is %d but /runs/status has %d rows" % (path, want, n))
    for grp in ("grid", "runs/metrics"):
        if grp not in f:
            continue
        for k, d in f[grp].items():
            if isinstance(d, h5py.Dataset) and d.shape[:1] != (n,):
                raise FormatError("%s: /%s/%s has %s rows, expected n_runs = %d"
                                  % (path, grp, k, d.shape[:1] or "no", n))


def n_runs(f):
    return f["runs/status"].shape[0]


def values(d, sel=()):
    """d[sel] as numbers, CF-decoded: an integer dataset with a `_FillValue` (-1: the run has
    no value) comes back as float64 with NaN there, as xarray decodes it."""
    v = d[sel]
    if np.asarray(v).dtype.kind in "iu" and "_FillValue" in d.attrs:
        fill = np.asarray(d.attrs["_FillValue"]).ravel()[0]
        v = np.where(v == fill, np.nan, np.asarray(v, dtype=np.float64))
    return v


def read_column(d):
    """A one-dimensional per-run dataset, read CHUNK_ROWS rows at a time;
    strings are decoded, integers with a fill value CF-decoded (values())."""
    n = d.shape[0]
    out = None
    for r0 in range(0, n, CHUNK_ROWS):
        if h5py.check_string_dtype(d.dtype) is not None:
            block = np.asarray(d.asstr()[r0:min(n, r0 + CHUNK_ROWS)], dtype=object)
        else:
            block = values(d, np.s_[r0:min(n, r0 + CHUNK_ROWS)])
        if out is None:
            out = np.empty(n, dtype=block.dtype)
        out[r0:r0 + len(block)] = block
    return out if out is not None else np.empty(0)


def sweep_axes(f):
    """The sweep axes in grid order, zip groups flattened: ['regularizer', ...]."""
    s = attr_text(f.attrs.get("axes", ""))
    out = []
    for part in s.split(";"):
        part = part.strip()
        if part.startswith("zip(") and part.endswith(")"):
            out += [p.strip() for p in part[4:-1].split(",") if p.strip()]
        elif part:
            out.append(part)
    return [a for a in out if "grid" in f and a in f["grid"]]


def grid_columns(f):
    return sorted(k for k in f["grid"] if k not in ("seed", "config")) if "grid" in f else []


def metric_names(f):
    return sorted(k for k, d in f["runs/metrics"].items() if isinstance(d, h5py.Dataset) and d.ndim == 1) \
        if "runs/metrics" in f else []


def load(path_or_file, metrics=None):
    """The table of runs as a pandas DataFrame, one row per run (index = run
    number): seed, config, every /grid column (the sweep axes, with mapping
    axes also split into `axis.key` columns), status (pending / done /
    diverged / failed), rank, wall_time, epochs_done, and every scalar metric of
    /runs/metrics (or only those named in `metrics`).  Weights, curves and
    probe arrays are not read.  Accepts a path or an open h5py.File."""
    import pandas as pd
    own = not isinstance(path_or_file, h5py.File)
    f = open_output(path_or_file) if own else path_or_file
    try:
        cols = {"seed": read_column(f["grid/seed"]), "config": read_column(f["grid/config"])}
        for k in grid_columns(f):
            cols[k] = read_column(f["grid"][k])
        st = read_column(f["runs/status"]).astype(np.int64)
        cols["status"] = pd.Categorical.from_codes(np.clip(st, 0, 3), list(STATUS_NAMES.values()))
        for k in ("rank", "wall_time", "epochs_done"):
            if "runs/" + k in f:
                cols[k] = read_column(f["runs"][k])
        names = metric_names(f) if metrics is None else list(metrics)
        for k in names:
            if "runs/metrics/" + k not in f:
                raise FormatError("%s: no metric '%s' (the file has: %s)"
                                  % (f.filename, k, ", ".join(metric_names(f)) or "none"))
            cols[k] = read_column(f["runs/metrics"][k])
        df = pd.DataFrame(cols, copy=False)  # no consolidating copy of a million rows
        df.index.name = "run"
        df.attrs["path"] = f.filename
        df.attrs["job_name"] = attr_text(f.attrs.get("job_name", ""))
        df.attrs["axes"] = sweep_axes(f)
        return df
    finally:
        if own:
            f.close()


def status_counts(df):
    c = df["status"].value_counts()
    return {k: int(c.get(k, 0)) for k in STATUS_NAMES.values()}
