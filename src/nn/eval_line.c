/*
 * The objective along a line of parameters, theta(s) = B + s C, at many points s (sym_eval_line):
 * by the polynomial of the network's linear tail where that costs less, else point by point.
 */
#include "model_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * ---- The objective along a line of parameters, theta(s) = B + s C ----
 *
 * The network's linear tail, layers q..L-1 (none followed by a nonlinearity, none tied), maps
 * the activations a_q to the output by an affine map.  When C moves no layer before q, that
 * map's coefficients are polynomials in s of degree D (the number of layers C moves) and a_q
 * does not depend on s: the output is sum_k s^k (P_k a_q + c_k), so the residual's
 * coefficients R_k are D + 1 products per block of samples, and every point then costs D + 1
 * operations per residual entry instead of a forward pass (sym_kernel_poly_sse).  a_q is one
 * forward pass of the layers before q.  The same values to rounding, not bitwise those of
 * sym_eval_loss at B + s C.
 */
typedef struct line_plan {
    int q, deg, moved[SYM_MAX_LAYERS];
} line_plan;

static int layer_moved(const sym_model *m, const double *C, int l)
{
    const sym_model_opts *o = &m->o;
    size_t nw = (size_t)o->widths[l + 1] * o->widths[l];

    if (!C)
        return 0;
    for (size_t i = 0; i < nw; i++)
        if (C[m->w_off[l] + i] != 0.0)
            return 1;
    if (m->b_off[l] != SIZE_MAX)
        for (int i = 0; i < o->widths[l + 1]; i++)
            if (C[m->b_off[l] + i] != 0.0)
                return 1;
    return 0;
}

/* 1 with the plan when the polynomial path applies and costs less than ns evaluations */
static int line_plan_make(line_plan *p, const sym_eval *e, const double *C, int ns, int n)
{
    const sym_model *m = e->m;
    const sym_model_opts *o = &m->o;
    int L = o->n_layers, q = L, dout = o->widths[L], deg = 0, wq;
    double direct = 0.0, poly = 0.0, per = 0.0;

    /* the polynomial is the squared residual's: cross-entropy goes point by point */
    if (e->reg.kind == SYM_REG_JACOBIAN || o->loss != SYM_LOSS_MSE || ns < 1 ||
        o->kind == SYM_MODEL_ISTA) /* ista thresholds: no polynomial */
        return 0;
    /* q: the first layer of the linear tail, with no tied layer in it */
    while (q > 0 && o->act[q - 1] == SYM_ACT_LINEAR && !m->tied[q - 1])
        q--;
    if (q == L)
        return 0;
    for (int l = 0; l < L; l++) {
        p->moved[l] = layer_moved(m, C, l);
        if (p->moved[l] && l < q)
            return 0; /* a moved layer feeds a nonlinearity */
        per += (double)o->widths[l] * o->widths[l + 1];
    }
    /* multiply-adds: ns forward passes, against the prefix once, the coefficients, their
     * products with a_q and D + 1 per residual entry and point */
    wq = o->widths[q];
    direct = (double)ns * n * per;
    for (int l = 0; l < L; l++) {
        if (l < q) {
            poly += (double)n * o->widths[l] * o->widths[l + 1];
            continue;
        }
        deg += p->moved[l];
        if (l > q)
            poly += 2.0 * (deg + 1) * o->widths[l + 1] * o->widths[l] * (wq + 1.0);
    }
    poly += (deg + 1.0) * n * dout * (wq + ns);
    p->q = q;
    p->deg = deg;
    return poly < direct;
}

int sym_eval_line_fast(const sym_eval *e, const double *C, int ns, int n)
{
    line_plan p;

    /* a group layer's filters are not linear in theta: point by point */
    return !e->group && line_plan_make(&p, e, C, ns, n);
}

/*
 * The coefficients of the tail's affine map: P_k [dout x (wq + 1)] for k = 0..deg, the last
 * column the constant term, from layer q's (W, b) of B and C on, one layer at a time:
 * P'_k = W^B P_k + W^C P_{k-1}, with b^B added to P'_0's and b^C to P'_1's constant column.
 */
static void line_coefficients(const sym_eval *e, const line_plan *p, const double *B,
                              const double *C, double *P, double *work)
{
    const sym_model *m = e->m;
    const sym_model_opts *o = &m->o;
    int L = o->n_layers, q = p->q, cols = o->widths[q] + 1, d = 0;
    size_t slot = (size_t)(e->max_w) * cols; /* one coefficient of any layer */
    double *cur = work, *nxt = work + (size_t)(p->deg + 1) * slot;

    for (int l = q; l < L; l++) {
        int no = o->widths[l + 1], ni = o->widths[l], dn = d + p->moved[l];
        const double *WB = B + m->w_off[l], *WC = C ? C + m->w_off[l] : NULL;
        const double *bB = m->b_off[l] != SIZE_MAX ? B + m->b_off[l] : NULL;
        const double *bC = bB && C ? C + m->b_off[l] : NULL;
        double *out = l == L - 1 ? P : nxt;

        for (int k = 0; k <= dn; k++) {
            double *Pk = out + (size_t)k * slot;

            for (int r = 0; r < no; r++) {
                double *row = Pk + (size_t)r * cols;

                if (l == q) { /* the map from a_q: [W | b] */
                    const double *W = k == 0 ? WB : WC;
                    const double *b = k == 0 ? bB : bC;

                    memcpy(row, W + (size_t)r * ni, sizeof(double) * (size_t)ni);
                    row[ni] = b ? b[r] : 0.0;
                    continue;
                }
                for (int c = 0; c < cols; c++) {
                    double v = 0.0;

                    if (k <= d)
                        for (int i = 0; i < ni; i++)
                            v += WB[(size_t)r * ni + i] * cur[(size_t)k * slot + (size_t)i * cols + c];
                    if (p->moved[l] && k >= 1)
                        for (int i = 0; i < ni; i++)
                            v += WC[(size_t)r * ni + i] *
                                 cur[(size_t)(k - 1) * slot + (size_t)i * cols + c];
                    row[c] = v;
                }
                if (k == 0 && bB)
                    row[cols - 1] += bB[r];
                if (k == 1 && p->moved[l] && bC)
                    row[cols - 1] += bC[r];
            }
        }
        d = dn;
        if (l < L - 1) {
            double *t = cur;

            cur = nxt;
            nxt = t;
        }
    }
}

#define LINE_TILE 512 /* samples per pass of the residual's coefficients */

/* the line's scratch in e->line, kept for the next line (a probe evaluates many): a point's
 * parameters, and on the polynomial path P, the two coefficient buffers, the weight parts, R
 * and the sums */
static int line_scratch(sym_eval *e, const line_plan *p, int ns, size_t slot, int dout, int wq)
{
    size_t np = (e->group ? e->group : e->m)->n_params, deg1 = (size_t)(p->deg + 1);
    size_t need = p->deg < 0 ? np
                             : 3 * deg1 * slot + deg1 * dout * wq + deg1 * dout * LINE_TILE + np +
                                   (size_t)ns;
    int rc = 0;

    if (need > e->line_cap) {
        free(e->line);
        e->line = NULL;
        e->line_cap = 0;
        SYM_TRY(sym_alloc_doubles(&e->line, need));
        e->line_cap = need;
    }
cleanup:
    return rc;
}

/* no polynomial path: one evaluation per point, at th = B + s_j C */
static int line_direct(sym_eval *e, double *total, double *data, const double *B,
                       const double *C, const double *s, int ns, const sym_eval_data *bd)
{
    double *th = e->line;
    size_t np = (e->group ? e->group : e->m)->n_params; /* theta's, with a group layer */
    int rc = 0;

    for (int j = 0; j < ns; j++) {
        sym_loss_parts lp;

        for (size_t i = 0; C && i < np; i++)
            th[i] = B[i] + s[j] * C[i];
        SYM_TRY(sym_eval_data_loss(e, &lp, NULL, C ? th : B, bd));
        total[j] = lp.total;
        if (data)
            data[j] = lp.data;
    }
cleanup:
    return rc;
}

/*
 * The sums of squared residuals at every point, sse [ns] (added to): per block of samples a_q
 * once (the layers the line leaves unmoved), then per tile the residual's coefficients
 * R_k = P_k a_q + c_k (- y for k = 0) and the polynomial's sums.
 */
static void line_sse(sym_eval *e, const line_plan *p, double *sse, const double *B,
                     const double *P, const double *PW, double *R, const double *s, int ns, const sym_eval_data *bd)
{
    const sym_model_opts *o = &e->m->o;
    const sym_data *dd = bd->d;
    int n = dd->n, dout = o->widths[o->n_layers], wq = o->widths[p->q], cols = wq + 1;
    size_t slot = (size_t)e->max_w * cols;

    for (int b0 = 0, blk = sym_evali_block_of(e, n); b0 < n; b0 += blk) {
        int nb = n - b0 < blk ? n - b0 : blk, ld = sym_batch_ld(nb);
        const double *XT, *YT, *a;

        if (bd->XB)
            sym_evali_block_at(e, &XT, &YT, bd->XB, bd->YB, LAYOUT_BLOCKS, n, b0, nb);
        else
            sym_evali_block_at(e, &XT, &YT, dd->X, dd->Y, LAYOUT_ROWS, n, b0, nb);
        if (p->q > 0)
            sym_evali_forward(e, B, XT, nb, p->q);
        a = p->q > 0 ? e->A[p->q - 1] : XT;
        for (int c0 = 0; c0 < nb; c0 += LINE_TILE) {
            int cnt = nb - c0 < LINE_TILE ? nb - c0 : LINE_TILE, cw = sym_batch_ld(cnt);

            /* whole vectors past cnt read the block's padding columns: never summed */
            for (int k = 0; k <= p->deg; k++) {
                double *Rk = R + (size_t)k * dout * LINE_TILE;

                sym_gemm_ld(0, 0, dout, cw, wq, 1.0, PW + (size_t)k * dout * wq, wq, a + c0, ld,
                            0.0, Rk, LINE_TILE);
                for (int r = 0; r < dout; r++) {
                    double c = P[k * slot + (size_t)r * cols + wq];
                    double *row = Rk + (size_t)r * LINE_TILE;
                    const double *y = YT + (size_t)r * ld + c0;

                    if (k == 0) /* the output, then the residual, as a forward pass forms them */
                        for (int i = 0; i < cnt; i++)
                            row[i] = (row[i] + c) - y[i];
                    else
                        for (int i = 0; i < cnt; i++)
                            row[i] += c;
                }
            }
            sym_kernel_poly_sse(p->deg, dout, cnt, LINE_TILE, R, (size_t)dout * LINE_TILE, s, ns,
                                sse);
        }
    }
}

int sym_eval_line(sym_eval *e, double *total, double *data, const double *B, const double *C,
                  const double *s, int ns, const sym_eval_data *bd)
{
    const sym_model *m = e->m;
    const sym_model_opts *o = &m->o;
    int rc = 0, L = o->n_layers, n = bd->d->n, dout = o->widths[L], wq, cols;
    size_t np = m->n_params, slot;
    double *P, *work, *R, *PW, *th, *sse;
    line_plan p;

    if (n < 1 || n > e->max_n)
        SYM_FAIL(SYM_EINVAL, "line of %d samples: the evaluator holds 1..%d", n, e->max_n);
    if (e->group || !line_plan_make(&p, e, C, ns, n))
        p.deg = -1; /* one evaluation per point (a group layer's filters are not linear in theta) */
    wq = o->widths[p.deg < 0 ? 0 : p.q];
    cols = wq + 1;
    slot = (size_t)e->max_w * cols;
    SYM_TRY(line_scratch(e, &p, ns, slot, dout, wq));
    if (p.deg < 0) {
        SYM_TRY(line_direct(e, total, data, B, C, s, ns, bd));
        goto cleanup;
    }
    th = e->line;
    P = th + np;
    work = P + (size_t)(p.deg + 1) * slot;
    PW = work + 2 * (size_t)(p.deg + 1) * slot;
    R = PW + (size_t)(p.deg + 1) * dout * wq;
    sse = R + (size_t)(p.deg + 1) * dout * LINE_TILE;
    line_coefficients(e, &p, B, C, P, work);
    for (int k = 0; k <= p.deg; k++) /* the weight part tight, for the product kernels */
        for (int r = 0; r < dout; r++)
            memcpy(PW + ((size_t)k * dout + r) * wq, P + k * slot + (size_t)r * cols,
                   sizeof(double) * (size_t)wq);
    memset(sse, 0, sizeof(double) * (size_t)ns);
    line_sse(e, &p, sse, B, P, PW, R, s, ns, bd);
    e->last_blocked = n > e->max_batch;
    for (int j = 0; j < ns; j++) {
        double pen = 0.0, dj = sse[j] * (1.0 / ((double)n * dout));

        if (e->reg.kind != SYM_REG_NONE) {
            for (size_t i = 0; C && i < np; i++)
                th[i] = B[i] + s[j] * C[i];
            SYM_TRY(sym_evali_weight_penalty(e, &pen, NULL, C ? th : B));
        }
        total[j] = dj + pen;
        if (data)
            data[j] = dj;
    }
cleanup:
    return rc;
}
