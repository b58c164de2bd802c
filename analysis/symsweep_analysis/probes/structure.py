"""Ex3: what a regularizer does to an autoencoder's weights."""
from ..figures import figure, legend_below
from . import register


def ex3_scatter(ctx):
    need = ["orthogonality_error", "sparsity_encoder", "transpose_error"]
    if any(k not in ctx.df for k in need):
        return "no structure probe"
    gs = ctx.groups()
    fig, axes = figure(rows=2, height=1.9)
    for g in gs:
        sel = ctx.done & (ctx.codes == g)
        sub = ctx.df[sel]
        axes[0].scatter(sub["sparsity_encoder"], sub["orthogonality_error"], s=6, alpha=0.6)
        axes[1].scatter(sub["transpose_error"], sub["orthogonality_error"], s=6, alpha=0.6,
                        label="%s (n=%d)" % (ctx.labels[g], sel.sum()))
    axes[0].set_xlabel("encoder sparsity (fraction |w| < 1% of max)")
    axes[1].set_xlabel("transpose error ||W' - W^T|| / ||W||")
    axes[1].set_xscale("log")
    for ax in axes:
        ax.set_ylabel("||W W^T - I|| / sqrt(d)")
        ax.set_yscale("log")
    axes[0].set_title("Ex3: one dot per run")
    legend_below(axes[1])
    return ctx.save(fig, "ex3_scatter")


# ---------------------------------------------------------------- Ex4


register("structure", names=("orthogonality_error", "transpose_error", "sparsity_encoder",
                             "sparsity_decoder", "norm_ratio"), figures=[ex3_scatter])
