"""Multi-seed statistics: per-group summaries with 95% confidence intervals,
and between-group / paired comparisons with effect sizes and p-values."""
import numpy as np
from scipy import stats as sps

from .data import values

SUMMARY_COLUMNS = ["n", "mean", "std", "median", "ci_low", "ci_high"]


def t_quantile(q, dof):
    return sps.t.ppf(q, dof)


def describe(x, ci="t", n_boot=2000, rng=None):
    """n, mean, std (ddof 1), median and a 95% CI of the mean of the finite
    values of x.  ci: 't' (Student t) or 'bootstrap' (percentile bootstrap of
    the mean, n_boot resamples from `rng`, a numpy Generator)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    out = dict(n=n, mean=np.nan, std=np.nan, median=np.nan, ci_low=np.nan, ci_high=np.nan)
    if n == 0:
        return out
    out["mean"] = float(x.mean())
    out["median"] = float(np.median(x))
    if n < 2:
        return out
    out["std"] = float(x.std(ddof=1))
    if ci == "t":
        h = t_quantile(0.975, n - 1) * out["std"] / np.sqrt(n)
        out["ci_low"], out["ci_high"] = out["mean"] - h, out["mean"] + h
    elif ci == "bootstrap":
        lo, hi = bootstrap_mean_ci(x, n_boot, rng if rng is not None else np.random.default_rng(0))
        out["ci_low"], out["ci_high"] = lo, hi
    else:
        raise ValueError("ci must be 't' or 'bootstrap', not %r" % ci)
    return out


def bootstrap_mean_ci(x, n_boot, rng):
    """Percentile bootstrap 95% CI of the mean; resamples are drawn in batches
    of at most 2^22 values, so memory stays bounded for any n."""
    n = len(x)
    means = np.empty(n_boot)
    batch = max(1, (1 << 22) // n)
    for b0 in range(0, n_boot, batch):
        b1 = min(n_boot, b0 + batch)
        idx = rng.integers(0, n, size=(b1 - b0, n))
        means[b0:b1] = x[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def summarize(df, metrics, by, ci="t", n_boot=2000, seed=0, keep=None):
    """One row per (group, metric) over the runs where `keep` is true (default:
    all; usually the done ones): the `by` columns, metric, n, mean, std, median,
    ci_low, ci_high.  Groups keep the order of first appearance; groups with no
    kept run are left out.  Works a column at a time: the table is not copied."""
    import pandas as pd
    from .groups import group_keys
    rng = np.random.default_rng(seed)
    by = list(by)
    keep = np.ones(len(df), bool) if keep is None else np.asarray(keep, bool)
    codes, keys = group_keys(df, by)
    codes = np.where(keep, codes, -1)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(keys) + 1))
    rows = []
    for g, key in enumerate(keys):
        idx = order[bounds[g]:bounds[g + 1]]
        if len(idx) == 0:
            continue
        for m in metrics:
            r = dict(zip(by, key))
            r["metric"] = m
            r.update(describe(df[m].to_numpy()[idx], ci, n_boot, rng))
            rows.append(r)
    return pd.DataFrame(rows, columns=by + ["metric"] + SUMMARY_COLUMNS)


def hedges_g(a, b):
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return np.nan
    sp = np.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    if sp == 0:
        return np.nan if a.mean() == b.mean() else np.copysign(np.inf, a.mean() - b.mean())
    j = 1 - 3 / (4 * (na + nb) - 9)
    return float(j * (a.mean() - b.mean()) / sp)


def compare(a, b):
    """Independent groups a and b (finite values only): means, difference,
    Hedges' g (a - b), Welch's t test and the Mann-Whitney U test (two-sided)."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    r = dict(n_a=len(a), n_b=len(b), mean_a=np.nan, mean_b=np.nan, diff=np.nan,
             effect_size=np.nan, p_welch=np.nan, p_mannwhitney=np.nan)
    if len(a) == 0 or len(b) == 0:
        return r
    r.update(mean_a=float(a.mean()), mean_b=float(b.mean()), diff=float(a.mean() - b.mean()),
             effect_size=hedges_g(a, b))
    if len(a) >= 2 and len(b) >= 2:
        if a.var() > 0 or b.var() > 0:
            r["p_welch"] = float(sps.ttest_ind(a, b, equal_var=False).pvalue)
        r["p_mannwhitney"] = float(sps.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    return r


def compare_paired(a, b):
    """Paired values (the same runs): mean of a, b and of a - b, Cohen's d_z
    (mean difference / its std), the paired t test and the Wilcoxon
    signed-rank test (two-sided)."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    r = dict(n_a=len(a), n_b=len(b), mean_a=np.nan, mean_b=np.nan, diff=np.nan,
             effect_size=np.nan, p_welch=np.nan, p_mannwhitney=np.nan)
    if len(a) == 0:
        return r
    d = a - b
    r.update(mean_a=float(a.mean()), mean_b=float(b.mean()), diff=float(d.mean()))
    if len(d) >= 2:
        sd = d.std(ddof=1)
        r["effect_size"] = float(d.mean() / sd) if sd > 0 else (np.nan if d.mean() == 0 else np.copysign(np.inf, d.mean()))
        if sd > 0:
            r["p_welch"] = float(sps.ttest_rel(a, b).pvalue)
        if np.any(d != 0):
            r["p_mannwhitney"] = float(sps.wilcoxon(a, b).pvalue)
    return r


def fmt(v):
    """Compact number for tables."""
    if isinstance(v, (str, bytes)):
        return v if isinstance(v, str) else v.decode()
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return "%d" % v
    v = float(v)
    if np.isnan(v):
        return "-"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e5:
        return "%.4g" % v
    return "%.3e" % v


def to_markdown(df):
    """A DataFrame as a GitHub Markdown table (no extra dependency)."""
    cols = list(df.columns)
    lines = ["| " + " | ".join(str(c) for c in cols) + " |",
             "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(fmt(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines) + "\n"


class GroupMoments:
    """Per group and per element of a per-run array: count, mean and M2 of the
    finite values (Chan et al. pairwise update), accumulated a chunk of runs at
    a time.  Yields mean, std and a t 95% CI per group and element."""

    def __init__(self, n_groups):
        self.n_groups = n_groups
        self.n = self.mean = self.m2 = None  # [n_groups, ...], shaped by the first block

    def add(self, g, block):
        """g: group number of each run in block ([rows] int), block: [rows, ...]."""
        if self.n is None:
            shape = (self.n_groups,) + block.shape[1:]
            self.n, self.mean, self.m2 = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        order = np.argsort(g, kind="stable")
        keys, starts = np.unique(g[order], return_index=True)
        for k, x in zip(keys, np.split(block[order], starts[1:])):
            ok = np.isfinite(x)
            nb = ok.sum(axis=0).astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                mb = np.where(nb > 0, np.where(ok, x, 0.0).sum(axis=0) / np.maximum(nb, 1), 0.0)
                m2b = (np.where(ok, x - mb, 0.0) ** 2).sum(axis=0)
                na = self.n[k]
                tot = na + nb
                delta = mb - self.mean[k]
                w = np.where(tot > 0, nb / np.maximum(tot, 1), 0.0)
                self.mean[k] = self.mean[k] + delta * w
                self.m2[k] = self.m2[k] + m2b + delta ** 2 * na * w
                self.n[k] = tot

    def result(self):
        """(n, mean, std, half-width of the t 95% CI); NaN where n is too small."""
        n = self.n
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, self.mean, np.nan)
            std = np.where(n > 1, np.sqrt(self.m2 / np.maximum(n - 1, 1)), np.nan)
            half = np.where(n > 1, t_quantile(0.975, np.maximum(n - 1, 1)) * std / np.sqrt(np.maximum(n, 1)), np.nan)
        return n, mean, std, half


def group_moments(f, path, codes, n_groups, keep, transform=None, chunk_rows=None):
    """Streamed GroupMoments of dataset `path` ([n_runs, ...]) over the runs
    where `keep` is true, grouped by `codes`; `transform` (optional) maps each
    block of runs [rows, ...] to the per-run values to average [rows, ...]."""
    d = f[path]
    acc = GroupMoments(n_groups)
    rows = chunk_rows or (1 << 16)  # runs per read, as data.CHUNK_ROWS
    n = d.shape[0]
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        sel = keep[r0:r1]
        if not sel.any():
            continue
        block = values(d, np.s_[r0:r1])[sel].astype(float)
        acc.add(codes[r0:r1][sel], block if transform is None else transform(block))
    if acc.n is None:  # no kept run: NaN of the right shape
        acc.add(np.zeros(0, np.int64), np.zeros((0,) + d.shape[1:]) if transform is None
                else transform(d[:1].astype(float))[:0])
    return acc.result()


def spearman(x, y):
    """Spearman's rank correlation: Pearson's of the average ranks (NaN if either is constant).
    Infinite values rank above every finite one (a prototype never learned: the longest time)."""
    rx, ry = sps.rankdata(x), sps.rankdata(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    d = np.sqrt((rx * rx).sum() * (ry * ry).sum())
    return float((rx * ry).sum() / d) if d > 0 else float("nan")


def orbit_order(orbit, time, n_boot=2000, seed=0, level=0.95):
    """Seed 004's prediction, small orbits first, as a number: Spearman's rho between the orbit
    size of each prototype and its time to learn, pooled over runs (rows of the [runs x
    prototypes] arrays orbit and time), with a percentile bootstrap interval that resamples
    whole runs (the prototypes of one run are not independent), from a fixed seed.  A time < 0
    or NaN (never learned) counts as infinite: after every learned one.  rho > 0: small orbits
    are learned first.  Returns dict(rho, lo, hi, runs, pairs, never)."""
    orbit = np.asarray(orbit, dtype=float)
    time = np.asarray(time, dtype=float)
    if orbit.shape != time.shape or orbit.ndim != 2:
        raise ValueError("orbit and time: expected two arrays [runs x prototypes] of one shape, found %s and %s"
                         % (orbit.shape, time.shape))
    t = np.where(np.isfinite(time) & (time >= 0), time, np.inf)
    rho = spearman(orbit.ravel(), t.ravel())
    rng = np.random.default_rng(seed)
    n = orbit.shape[0]
    boot = []
    for _ in range(n_boot):
        k = rng.integers(0, n, n)
        r = spearman(orbit[k].ravel(), t[k].ravel())
        if np.isfinite(r):
            boot.append(r)
    a = (1.0 - level) / 2.0
    lo, hi = (np.quantile(boot, [a, 1.0 - a]) if boot else (np.nan, np.nan))
    return {"rho": rho, "lo": float(lo), "hi": float(hi), "runs": n, "pairs": int(orbit.size),
            "never": int(np.isinf(t).sum())}
