"""The matrix-free Hessian (hessian_lanczos): spectral density from stochastic Lanczos
quadrature, extreme eigenvalues, and the bottom of the spectrum on the orbit-normal space."""
import numpy as np

from ..figures import figure, legend_below, mark_zeros, positive, zero_key
from . import register


def slq_density(nodes, weights, grid, sigma):
    """The spectral density of one run, as PyHessian computes it: the average over SLQ samples
    of sum_j w_j N(x; node_j, sigma^2), on `grid`.  nodes, weights: [samples, steps] (NaN past
    an early stop).  It integrates to 1 (up to the grid's span)."""
    nodes, weights = np.asarray(nodes, float), np.asarray(weights, float)
    ok = np.isfinite(nodes) & np.isfinite(weights)
    x = np.asarray(grid, float)[:, None]
    dens = np.zeros(len(grid))
    for s in range(nodes.shape[0]):
        n, w = nodes[s][ok[s]], weights[s][ok[s]]
        dens += (w[None, :] * np.exp(-0.5 * ((x - n[None, :]) / sigma) ** 2)).sum(axis=1)
    return dens / (nodes.shape[0] * sigma * np.sqrt(2 * np.pi))


def lanczos_density(ctx):
    """SLQ spectral density of one run per group (log scale: the bulk near zero and the
    outliers both show), with the Lanczos extremes marked."""
    p = "probes/hessian_lanczos/slq_nodes"
    if p not in ctx.f:
        return "no hessian_lanczos probe with slq_samples"
    fig, ax = figure()
    for i in ctx.few_runs("lanczos_density"):
        nodes, weights = ctx.f[p][i], ctx.f["probes/hessian_lanczos/slq_weights"][i]
        finite = nodes[np.isfinite(nodes)]
        if not len(finite):
            continue
        lo, hi = finite.min(), finite.max()
        span = max(hi - lo, 1e-12)
        grid = np.linspace(lo - 0.05 * span, hi + 0.05 * span, 600)
        dens = slq_density(nodes, weights, grid, 0.01 * span)
        # the density over 12 decades below its peak: its far tails are no data
        dens[dens < 1e-12 * np.nanmax(dens)] = np.nan
        line, = ax.semilogy(grid, dens, lw=0.9, label=ctx.run_label(i))
        top = ctx.f["probes/hessian_lanczos/top"][i]
        top = top[np.isfinite(top)]
        ax.plot(top, np.full(len(top), 0.04), "|", ms=8, color=line.get_color(),
                transform=ax.get_xaxis_transform())  # on the panel's lower edge
    ax.set_xlabel("eigenvalue of the Hessian")
    ax.set_ylabel("density (SLQ)")
    ax.set_title("Hessian spectral density, Gaussians 1% of the\nrange wide; ticks: Lanczos top eigenvalues")
    legend_below(ax)
    return ctx.save(fig, "lanczos_density")


def lanczos_bottom(ctx):
    """The smallest eigenvalues of H and of P H P on the orbit-normal space, per run: the
    quotient removes the orbit's zeros and shows the true small curvatures."""
    p = "probes/hessian_lanczos/quotient_bottom"
    if p not in ctx.f:
        return "no hessian_lanczos probe"
    fig, ax = figure()
    for i in ctx.few_runs("lanczos_bottom"):
        b, q = ctx.f["probes/hessian_lanczos/bottom"][i], ctx.f[p][i]
        k = np.arange(1, len(b) + 1)
        kb, vb, kbz = positive(b, k)
        line, = ax.semilogy(kb, vb, "o--", ms=3, lw=0.7, label=ctx.run_label(i))
        zeros = mark_zeros(ax, kbz, line.get_color())
        if np.isfinite(q).any():
            kq, vq, kqz = positive(q, k)
            ax.semilogy(kq, vq, "s-", ms=3, lw=0.9, color=line.get_color())
            zeros = mark_zeros(ax, kqz, line.get_color()) or zeros
        if zeros:
            zero_key(ax)
    # the colour is the run; the line style says which operator (a key in grey)
    ax.plot([], [], "o--", ms=3, lw=0.7, color="0.35", label="$H$")
    ax.plot([], [], "s-", ms=3, lw=0.9, color="0.35", label="$PHP$ (quotient)")
    ax.set_xlabel("$k$ (ascending)")
    ax.set_ylabel("$|\\lambda_k|$")
    ax.set_title("bottom of the spectrum: $H$, and $PHP$ on\nthe orbit-normal space (quotient)")
    legend_below(ax)
    return ctx.save(fig, "lanczos_bottom")


register("hessian_lanczos", prefixes=("lanczos_",), figures=[lanczos_density, lanczos_bottom])
