"""The article's claims that compare groups of runs, tested on a file.

A claim is checked wherever the file has its metric and both of its groups
(done runs only).  Independent groups: Welch's t test and Mann-Whitney U,
effect size Hedges' g.  Paired claims (two metrics of the same runs): paired t
and Wilcoxon signed-rank, effect size Cohen's d_z.  `holds` is whether the mean
difference has the claimed sign with p < 0.05 on both tests (or on the
rank test alone where the t test is undefined: no variance)."""
import numpy as np

from . import stats

# kind "groups": metric in group a vs group b of column `axis`;
# kind "paired": metric a vs metric b within the runs where column `where` == value.
# expect: "less" means a < b.
CLAIMS = [
    dict(id="ex1.linear_gl", kind="groups", metric="reparam_max_rel_general", axis="model.activation",
         a="linear", b="relu", expect="less",
         text="Ex1: general invertible K preserves a linear net's outputs, not a relu net's"),
    dict(id="ex1.relu_monomial", kind="paired", a="reparam_max_rel_positive_monomial",
         b="reparam_max_rel_general", where=("model.activation", "relu"), expect="less",
         text="Ex1: relu nets are invariant under positive monomials, not under general K"),
    dict(id="ex1.sigmoid_perm", kind="paired", a="reparam_max_rel_permutation",
         b="reparam_max_rel_positive_diagonal", where=("model.activation", "sigmoid"), expect="less",
         text="Ex1: sigmoid nets are invariant under permutations, not under positive scalings"),
    dict(id="ex2.linear_vs_relu", kind="groups", metric="centralizer_dimension", axis="model.activation",
         a="linear", b="relu", expect="greater",
         text="Ex2: the linear centralizer (gl(n)) is larger than relu's (diagonal)"),
    dict(id="ex2.relu_vs_tanh", kind="groups", metric="centralizer_dimension", axis="model.activation",
         a="relu", b="tanh", expect="greater",
         text="Ex2: relu's centralizer (diagonal) is larger than tanh's (none continuous)"),
    dict(id="ex3.l1_sparsity", kind="groups", metric="sparsity_encoder", axis="regularizer.kind",
         a="l1", b="frobenius", expect="greater",
         text="Ex3: l1 makes the encoder sparser than Frobenius (L2)"),
    dict(id="ex3.l2_orthogonal", kind="groups", metric="orthogonality_error", axis="regularizer.kind",
         a="frobenius", b="none", expect="less",
         text="Ex3: Frobenius (L2) makes the encoder rows orthonormal; no regularizer does not"),
    dict(id="ex3.l2_transpose", kind="groups", metric="transpose_error", axis="regularizer.kind",
         a="frobenius", b="none", expect="less",
         text="Ex3: Frobenius (L2) makes the decoder the encoder's transpose; no regularizer does not"),
    dict(id="ex3.l2_vs_l1_orthogonal", kind="groups", metric="orthogonality_error", axis="regularizer.kind",
         a="frobenius", b="l1", expect="less",
         text="Ex3: Frobenius (L2) is closer to orthogonal than l1"),
    dict(id="ex4.l1_vertices", kind="paired", a="lp_sparse_fraction_p1", b="lp_sparse_fraction_p2",
         expect="greater",
         text="Ex4: minima on the l1 ball hit a vertex (a zero) more often than on the l2 ball"),
    dict(id="ex5.orbit_flat", kind="paired", a="orbit_max_rel_change", b="orbit_perp_max_rel_change",
         expect="less",
         text="Ex5: the loss changes less along the orbit than perpendicular to it"),
]

COLUMNS = ["claim", "text", "groups", "n_a", "n_b", "mean_a", "mean_b", "diff", "effect_size",
           "test", "p_t", "p_rank", "holds"]


def _holds(r, expect):
    d = r["diff"]
    if not np.isfinite(d) or d == 0:
        return False
    sign_ok = d < 0 if expect == "less" else d > 0
    ps = [p for p in (r["p_welch"], r["p_mannwhitney"]) if np.isfinite(p)]
    return bool(sign_ok and ps and max(ps) < 0.05)


def parse_compare(spec):
    """User comparison 'METRIC:COLUMN=A,B' -> claim dict (two-sided)."""
    try:
        metric, rest = spec.split(":", 1)
        axis, vals = rest.split("=", 1)
        a, b = vals.split(",", 1)
    except ValueError:
        raise ValueError("--compare %r: expected METRIC:COLUMN=A,B (for example "
                         "sparsity_encoder:regularizer.kind=l1,frobenius)" % spec)
    return dict(id="user", kind="groups", metric=metric.strip(), axis=axis.strip(), a=a.strip(), b=b.strip(),
                expect=None, text="%s: %s=%s vs %s" % (metric.strip(), axis.strip(), a.strip(), b.strip()))


def evaluate(df, claims=CLAIMS, strict=False):
    """Test each applicable claim on the done runs of df.  Returns (table,
    skipped) with skipped = [(claim id, reason)].  strict: a claim whose
    metric or column is missing is an error (for user comparisons)."""
    import pandas as pd
    done_mask = (df["status"] == "done").to_numpy()
    rows, skipped = [], []
    for c in claims:
        if c["kind"] == "groups":
            missing = [k for k in (c["metric"], c["axis"]) if k not in df]
            if missing:
                if strict:
                    raise ValueError("--compare: the file has no column %s (columns: %s)"
                                     % (missing[0], ", ".join(df.columns)))
                skipped.append((c["id"], "no %s" % missing[0]))
                continue
            col = df[c["axis"]].astype(str).to_numpy()
            x = df[c["metric"]].to_numpy(float)
            a, b = x[done_mask & (col == c["a"])], x[done_mask & (col == c["b"])]
            if len(a) == 0 or len(b) == 0:
                if strict:
                    raise ValueError("--compare: no done runs with %s = %s" % (c["axis"], c["a"] if len(a) == 0 else c["b"]))
                skipped.append((c["id"], "no done runs with %s = %s" % (c["axis"], c["a"] if len(a) == 0 else c["b"])))
                continue
            r = stats.compare(a, b)
            groups, test = "%s: %s vs %s" % (c["axis"], c["a"], c["b"]), "Welch t / Mann-Whitney"
        else:
            missing = [k for k in (c["a"], c["b"]) + ((c["where"][0],) if "where" in c else ()) if k not in df]
            if missing:
                skipped.append((c["id"], "no %s" % missing[0]))
                continue
            sel = done_mask.copy()
            if "where" in c:
                sel &= df[c["where"][0]].astype(str).to_numpy() == c["where"][1]
            if not sel.any():
                skipped.append((c["id"], "no done runs" + (" with %s = %s" % c["where"] if "where" in c else "")))
                continue
            r = stats.compare_paired(df[c["a"]].to_numpy(float)[sel], df[c["b"]].to_numpy(float)[sel])
            groups = "%s vs %s" % (c["a"], c["b"]) + (" (%s = %s)" % c["where"] if "where" in c else "")
            test = "paired t / Wilcoxon"
        rows.append(dict(claim=c["id"], text=c["text"], groups=groups, n_a=r["n_a"], n_b=r["n_b"],
                         mean_a=r["mean_a"], mean_b=r["mean_b"], diff=r["diff"], effect_size=r["effect_size"],
                         test=test, p_t=r["p_welch"], p_rank=r["p_mannwhitney"],
                         holds=_holds(r, c["expect"]) if c["expect"] else None))
    return pd.DataFrame(rows, columns=COLUMNS), skipped
