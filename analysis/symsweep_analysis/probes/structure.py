"""Ex3: what a regularizer does to an autoencoder's weights."""
from .. import style
from ..figures import figure, legend_below
from . import register


def ex3_scatter(ctx):
    need = ["orthogonality_error", "sparsity_encoder", "transpose_error"]
    if any(k not in ctx.df for k in need):
        return "no structure probe"
    gs = ctx.groups()
    fig, axes = figure(rows=2, height=1.9)
    for j, g in enumerate(gs):
        sel = ctx.done & (ctx.codes == g)
        sub = ctx.df[sel]
        colour = "C%d" % (j % 10)  # the group's, in both panels
        axes[0].scatter(sub["sparsity_encoder"], sub["orthogonality_error"], s=6, alpha=0.6, color=colour)
        axes[1].scatter(sub["transpose_error"], sub["orthogonality_error"], s=6, alpha=0.6, color=colour,
                        label=ctx.group_label(g, sel.sum()))
    axes[0].set_xlabel("encoder sparsity (fraction $|w| <$ 1% of max)")
    axes[1].set_xlabel(r"transpose error $\Vert W' - W^\top\Vert \,/\,\Vert W\Vert $")
    axes[1].set_xscale("log")
    for ax in axes:
        ax.set_ylabel(r"$\Vert WW^\top - I\Vert \,/\,\sqrt{d}$")
        ax.set_yscale("log")
    style.panel_title(axes[0], 0)
    style.panel_title(axes[1], 1)
    fig.suptitle("Ex3: one dot per run")
    legend_below(axes[1])
    return ctx.save(fig, "ex3_scatter")


# ---------------------------------------------------------------- Ex4


register("structure", names=("orthogonality_error", "transpose_error", "sparsity_encoder",
                             "sparsity_decoder", "norm_ratio"), figures=[ex3_scatter])
