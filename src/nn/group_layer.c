/*
 * The learned-group layer (seed 003, Linear Group Networks, sections 4 and 4.1).
 *
 * One dense layer's K p filters are F_{k,j} = Â_k^j b_k (k = 0..K-1, j = 0..p-1, filter
 * k p + j: group-major), b_k in R^d, d = h w, and Â_k = A_k, or sqrt(d) A_k / ||A_k||_F with
 * group_normalize.  In an MLP or encoder layer (input width d, output K p) the filters are the
 * rows of W [K p x d]; in a decoder layer (input K p, output d) its columns.
 *
 * The parameters theta hold, in the layer's place, A [K d x d], B [K x d], At [K d x d] (the
 * paired matrices Ã, only with the pair penalty on), then the layer's bias; every other layer is
 * as in a dense model.  The evaluators materialize w = phi(theta) (the dense layout of
 * m->dense), run the dense code on w and pull its gradient g_w back:
 *
 *   F_0 = b, F_j = Â F_{j-1};   G_j = dL/dF_j (a row or a column of g_w's W),
 *   Fbar_{p-1} = G_{p-1},  Fbar_{j-1} = G_{j-1} + Â^T Fbar_j,
 *   dL/dÂ = sum_{j >= 1} Fbar_j F_{j-1}^T,  dL/db = Fbar_0,
 *   normalization, Â = c A / r (c = sqrt d, r = ||A||_F):  dL/dA = (c / r) (G - <A, G> A / r^2).
 *
 * Hessian-vector products: with u = J v (the forward tangent of the map above along v),
 * H_theta v = J^T H_w u + (D_v J^T) g_w + H_pen v.  The last two are the forward tangent of the
 * backward map above with g_w held fixed, and of the penalties' gradient: this file computes
 * every quantity with its tangent (the dotted arrays) in the same pass, the cotangent's tangent
 * being H_w u for the filters.
 *
 * Penalties, on Â (the generator as the filters use it), summed over the groups:
 *   pair     mu ||Â Ã - I||_F^2   (the paper's eq. 12 has the norm unsquared)
 *   svd      - w sum_i sigma_i(Â):   gradient - w U V^T; its tangent - w U X V^T with
 *            X_ij = (C_ij - C_ji) / (sigma_i + sigma_j), C = U^T Â' V (the polar factor's
 *            derivative; 0 where sigma_i + sigma_j = 0)
 *   logdet   - w log |det Â| = - w sum_i log sigma_i:  gradient - w Â^{-T} = - w U S^-1 V^T,
 *            tangent w Â^{-T} Â'^T Â^{-T}.  A singular Â (a zero singular value) makes the value
 *            +inf and the gradient NaN: training then stops as diverged.
 *   closure  w ||Â^p - I||_F^2:  gradient 2 w sum_{j<p} (Â^T)^j E (Â^T)^{p-1-j}, E = Â^p - I.
 */
#include "model_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gdims {
    int K, p, d, l;
    int rows;     /* 1: the filters are the rows of W_l (MLP, encoder), 0: its columns */
    size_t sf, si; /* filter f's entry i is W_l[f sf + i si] */
} gdims;

static gdims dims_of(const sym_model *m)
{
    const sym_model_opts *o = &m->o;
    gdims g;

    g.K = o->group_k;
    g.p = o->group_p;
    g.d = (int)((long long)o->group_h * o->group_w); /* sym_groupi_layout refuses more than 2^20 */
    g.l = o->group_layer;
    g.rows = !(o->kind == SYM_MODEL_AUTOENCODER && g.l >= o->n_encoder);
    g.sf = g.rows ? (size_t)g.d : 1;
    g.si = g.rows ? 1 : (size_t)g.K * g.p;
    return g;
}

int sym_groupi_on(const sym_model_opts *o) { return o->group_layer >= 0 && o->group_k > 0; }

static sym_tensor *add_tensor(sym_model *m, size_t *off, const char *pre, const char *what, int idx,
                              int rows, int cols)
{
    sym_tensor *t = &m->tensors[m->n_tensors++];

    snprintf(t->name, sizeof(t->name), "%s%s%d", pre, what, idx);
    t->offset = *off;
    t->rows = rows;
    t->cols = cols;
    *off += (size_t)rows * cols;
    return t;
}

int sym_groupi_layout(sym_model *m, size_t *off, const char *pre, int idx)
{
    const sym_model_opts *o = &m->o;
    gdims g = dims_of(m);
    int rc = 0, in, out;

    if (o->group_h < 1 || o->group_w < 1)
        SYM_FAIL(SYM_EINVAL, "group layer: grid %d x %d: both sides must be >= 1", o->group_h, o->group_w);
    if ((long long)o->group_h * o->group_w > (1 << 20) || (long long)o->group_k * o->group_p > (1 << 20))
        SYM_FAIL(SYM_EINVAL, "group layer: grid %d x %d with %d groups of %d filters: at most 2^20 pixels "
                 "and 2^20 filters", o->group_h, o->group_w, o->group_k, o->group_p);
    in = g.rows ? g.d : g.K * g.p;
    out = g.rows ? g.K * g.p : g.d;
    if (g.p < 2)
        SYM_FAIL(SYM_EINVAL, "group layer: %d filters per group: must be >= 2", g.p);
    if (o->widths[g.l] != in || o->widths[g.l + 1] != out)
        SYM_FAIL(SYM_EINVAL,
                 "group layer %d: its widths must be %d -> %d (%s), found %d -> %d", g.l + 1, in,
                 out, g.rows ? "d = h w in, K p out" : "K p in, d = h w out", o->widths[g.l],
                 o->widths[g.l + 1]);
    if (m->tied[g.l])
        SYM_FAIL(SYM_EINVAL, "group layer %d is a tied decoder layer: make its encoder mirror the "
                             "group layer", g.l + 1);
    if (!(o->group_pair >= 0.0) || !isfinite(o->group_svd) || !isfinite(o->group_logdet) ||
        !isfinite(o->group_closure) || !isfinite(o->group_pair))
        SYM_FAIL(SYM_EINVAL, "group layer: penalty weights must be finite (pair >= 0)");
    m->ga_off = *off;
    add_tensor(m, off, pre, "A", idx, g.K * g.d, g.d);
    m->gb_off = *off;
    add_tensor(m, off, pre, "B", idx, g.K, g.d);
    m->gt_off = SIZE_MAX;
    if (o->group_pair > 0.0) {
        m->gt_off = *off;
        add_tensor(m, off, pre, "At", idx, g.K * g.d, g.d);
    }
cleanup:
    return rc;
}

/* A_k = I + N(0, 0.01 / d) entries (a perturbation of about a tenth of ||I||_F = sqrt d), b_k
 * drawn as the layer's weights would be (scale / sqrt(fan_in)), Ã_k = I (A's inverse to first
 * order); A, then B, from the stream */
void sym_groupi_init(const sym_model *m, double *params, sym_rng *r)
{
    const sym_model_opts *o = &m->o;
    gdims g = dims_of(m);
    double sa = 0.1 / sqrt((double)g.d), s = o->init_scale / sqrt((double)o->widths[g.l]);
    size_t dd = (size_t)g.d * g.d;

    for (int k = 0; k < g.K; k++) {
        double *A = params + m->ga_off + k * dd;

        for (size_t i = 0; i < dd; i++)
            A[i] = sa * sym_rng_normal(r);
        for (int i = 0; i < g.d; i++)
            A[(size_t)i * g.d + i] += 1.0;
    }
    for (size_t i = 0; i < (size_t)g.K * g.d; i++)
        params[m->gb_off + i] = o->init_kind == SYM_INIT_UNIFORM ? s * (2.0 * sym_rng_uniform(r) - 1.0)
                                                                 : s * sym_rng_normal(r);
    if (m->gt_off != SIZE_MAX)
        for (int k = 0; k < g.K; k++)
            sym_eye(params + m->gt_off + k * dd, g.d);
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;

    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* the factor c / r of the normalization (1 without it) */
static double norm_factor(const sym_model *m, const double *A, int d)
{
    return m->o.group_normalize ? sqrt((double)d) / sym_norm2(A, (size_t)d * d) : 1.0;
}

void sym_groupi_filters(const sym_model *m, const double *theta, double *out, size_t sf, size_t si)
{
    gdims g = dims_of(m);

    for (int k = 0; k < g.K; k++) {
        const double *A = theta + m->ga_off + (size_t)k * g.d * g.d, *b = theta + m->gb_off + (size_t)k * g.d;
        double s = norm_factor(m, A, g.d);
        size_t f0 = (size_t)k * g.p;

        for (int i = 0; i < g.d; i++)
            out[f0 * sf + i * si] = b[i];
        for (int j = 1; j < g.p; j++) /* F_j = s (A F_{j-1}) */
            for (int i = 0; i < g.d; i++) {
                double acc = 0.0;

                for (int c = 0; c < g.d; c++)
                    acc += A[(size_t)i * g.d + c] * out[(f0 + j - 1) * sf + c * si];
                out[(f0 + j) * sf + i * si] = s * acc;
            }
    }
}

const double *sym_model_group_A(const sym_model *m, const double *params, int k)
{
    if (m->gl < 0 || k < 0 || k >= m->o.group_k)
        return NULL;
    return params + m->ga_off + (size_t)k * m->o.group_h * m->o.group_w * m->o.group_h * m->o.group_w;
}

const double *sym_model_group_b(const sym_model *m, const double *params, int k)
{
    if (m->gl < 0 || k < 0 || k >= m->o.group_k)
        return NULL;
    return params + m->gb_off + (size_t)k * m->o.group_h * m->o.group_w;
}

void sym_model_group_A_used(const sym_model *m, const double *params, int k, double *out)
{
    const double *A = sym_model_group_A(m, params, k);
    int d = m->o.group_h * m->o.group_w;
    double s;

    SYM_ASSERT(A);
    s = norm_factor(m, A, d);
    for (size_t i = 0; i < (size_t)d * d; i++)
        out[i] = s * A[i];
}

/* ---- the pass with tangents ---- */

typedef struct gws {
    double *Ah, *Ahd, *gAh, *gAhd, *gA, *gAt, *gAtd; /* [d x d] */
    double *F, *Fd, *G, *Gd, *Fb, *Fbd;              /* [p x d] */
    double *Q, *Qd;                                  /* [(p + 1) d x d]: closure's powers */
    double *E, *Ed, *T1, *U, *Vt, *N, *X;            /* [d x d] */
    double *s;                                       /* [d] */
    double *svd;
} gws;

size_t sym_groupi_work_size(const sym_model *m)
{
    gdims g = dims_of(m);
    size_t dd = (size_t)g.d * g.d;

    return 14 * dd + 6 * (size_t)g.p * g.d + 2 * (size_t)(g.p + 1) * dd + (size_t)g.d +
           sym_svd_work_size(g.d, g.d);
}

static gws carve(const gdims *g, double *w)
{
    size_t dd = (size_t)g->d * g->d, pd = (size_t)g->p * g->d;
    gws s;
    double **dd_arrays[] = {&s.Ah, &s.Ahd, &s.gAh, &s.gAhd, &s.gA, &s.gAt, &s.gAtd,
                            &s.E, &s.Ed, &s.T1, &s.U, &s.Vt, &s.N, &s.X};
    double **pd_arrays[] = {&s.F, &s.Fd, &s.G, &s.Gd, &s.Fb, &s.Fbd};

    for (size_t i = 0; i < sizeof dd_arrays / sizeof *dd_arrays; i++, w += dd)
        *dd_arrays[i] = w;
    for (size_t i = 0; i < sizeof pd_arrays / sizeof *pd_arrays; i++, w += pd)
        *pd_arrays[i] = w;
    s.Q = w;
    w += (size_t)(g->p + 1) * dd;
    s.Qd = w;
    w += (size_t)(g->p + 1) * dd;
    s.s = w;
    s.svd = w + g->d;
    return s;
}

/* Â = c A / r (or A) and, with a tangent Ad, Âd = (c / r) (Ad - A <A, Ad> / r^2) */
static void used(const sym_model *m, int d, const double *A, const double *Ad, double *Ah, double *Ahd)
{
    size_t dd = (size_t)d * d;
    double a = norm_factor(m, A, d), r2 = dot(A, A, dd), ad = Ad && m->o.group_normalize ? dot(A, Ad, dd) / r2 : 0.0;

    for (size_t i = 0; i < dd; i++)
        Ah[i] = a * A[i];
    for (size_t i = 0; Ad && i < dd; i++)
        Ahd[i] = a * (Ad[i] - A[i] * ad);
}

/*
 * The normalization's pullback gA = a (G - beta A), a = c / r, beta = <A, G> / r^2, and its
 * tangent a' (G - beta A) + a (G' - beta' A - beta A'), a' = - a <A, A'> / r^2,
 * beta' = (<A', G> + <A, G'>) / r^2 - 2 <A, G> <A, A'> / r^4.
 */
static void used_back(const sym_model *m, int d, const double *A, const double *Ad, const double *G,
                      const double *Gd, double *gA, double *gAd)
{
    size_t dd = (size_t)d * d;
    double a, r2, beta, aa, bd;

    if (!m->o.group_normalize) {
        memcpy(gA, G, sizeof(double) * dd);
        if (Ad)
            memcpy(gAd, Gd, sizeof(double) * dd);
        return;
    }
    a = norm_factor(m, A, d);
    r2 = dot(A, A, dd);
    beta = dot(A, G, dd) / r2;
    for (size_t i = 0; i < dd; i++)
        gA[i] = a * (G[i] - beta * A[i]);
    if (!Ad)
        return;
    aa = dot(A, Ad, dd) / r2;
    bd = (dot(Ad, G, dd) + dot(A, Gd, dd)) / r2 - 2.0 * beta * aa;
    for (size_t i = 0; i < dd; i++)
        gAd[i] = -a * aa * (G[i] - beta * A[i]) + a * (Gd[i] - bd * A[i] - beta * Ad[i]);
}

/* y = M x (M [d x d]) */
static void mv(int d, int trans, const double *M, const double *x, double beta, double *y)
{
    sym_gemm(trans, 0, d, 1, d, 1.0, M, x, beta, y);
}

/* F_j = Â F_{j-1} (F_0 = b) and the tangents Fd_j = Âd F_{j-1} + Â Fd_{j-1} */
static void filters(int d, int p, const gws *w, const double *b, const double *bd, int tangent)
{
    memcpy(w->F, b, sizeof(double) * (size_t)d);
    if (tangent)
        memcpy(w->Fd, bd, sizeof(double) * (size_t)d);
    for (int j = 1; j < p; j++) {
        mv(d, 0, w->Ah, w->F + (size_t)(j - 1) * d, 0.0, w->F + (size_t)j * d);
        if (!tangent)
            continue;
        mv(d, 0, w->Ahd, w->F + (size_t)(j - 1) * d, 0.0, w->Fd + (size_t)j * d);
        mv(d, 0, w->Ah, w->Fd + (size_t)(j - 1) * d, 1.0, w->Fd + (size_t)j * d);
    }
}

/* the backward recursion (file comment) from G, Gd: Fb, gAh = sum Fb_j F_{j-1}^T (and tangents) */
static void filters_back(int d, int p, const gws *w, int tangent)
{
    size_t pd = (size_t)p * d;

    memcpy(w->Fb, w->G, sizeof(double) * pd); /* Fb_j starts as G_j */
    if (tangent)
        memcpy(w->Fbd, w->Gd, sizeof(double) * pd);
    for (int j = p - 1; j >= 1; j--) {
        double *fb = w->Fb + (size_t)j * d, *fbd = w->Fbd + (size_t)j * d;

        mv(d, 1, w->Ah, fb, 1.0, fb - d);
        if (tangent) {
            mv(d, 1, w->Ahd, fb, 1.0, fbd - d);
            mv(d, 1, w->Ah, fbd, 1.0, fbd - d);
        }
    }
    /* gAh [d x d] = Fb[1..p-1]^T [d x (p-1)] F[0..p-2] [(p-1) x d] */
    sym_gemm(1, 0, d, d, p - 1, 1.0, w->Fb + d, w->F, 0.0, w->gAh);
    if (tangent) {
        sym_gemm(1, 0, d, d, p - 1, 1.0, w->Fbd + d, w->F, 0.0, w->gAhd);
        sym_gemm(1, 0, d, d, p - 1, 1.0, w->Fb + d, w->Fd, 1.0, w->gAhd);
    }
}

/* C (+)= op(A) op(B), d x d */
static void mm(int d, int ta, int tb, double alpha, const double *A, const double *B, double beta, double *C)
{
    sym_gemm(ta, tb, d, d, d, alpha, A, B, beta, C);
}

static void pair_penalty(int d, double mu, double *val, const gws *w, const double *At,
                         const double *Atd, int tangent)
{
    size_t dd = (size_t)d * d;

    mm(d, 0, 0, 1.0, w->Ah, At, 0.0, w->E); /* M = Â Ã - I */
    for (int i = 0; i < d; i++)
        w->E[(size_t)i * d + i] -= 1.0;
    *val += mu * dot(w->E, w->E, dd);
    mm(d, 0, 1, 2.0 * mu, w->E, At, 1.0, w->gAh);  /* 2 mu M Ã^T */
    mm(d, 1, 0, 2.0 * mu, w->Ah, w->E, 0.0, w->gAt); /* 2 mu Â^T M */
    if (!tangent)
        return;
    mm(d, 0, 0, 1.0, w->Ahd, At, 0.0, w->Ed); /* M' = Â' Ã + Â Ã' */
    mm(d, 0, 0, 1.0, w->Ah, Atd, 1.0, w->Ed);
    mm(d, 0, 1, 2.0 * mu, w->Ed, At, 1.0, w->gAhd);
    mm(d, 0, 1, 2.0 * mu, w->E, Atd, 1.0, w->gAhd);
    mm(d, 1, 0, 2.0 * mu, w->Ahd, w->E, 0.0, w->gAtd);
    mm(d, 1, 0, 2.0 * mu, w->Ah, w->Ed, 1.0, w->gAtd);
}

static void closure_penalty(int d, int p, double wc, double *val, const gws *w, int tangent)
{
    size_t dd = (size_t)d * d;
    double *Q = w->Q, *Qd = w->Qd;

    /* A product with Q_0 = I is its other factor exactly (each entry one exact product and
     * exact zeros), so Q_1 = Â, Q_0^T E = E and T1 Q_0^T = T1 are taken as they are: 3 of the
     * gradient's 3p products of d x d matrices, with bitwise the same results */
    sym_eye(Q, d);
    memset(Qd, 0, sizeof(double) * dd);
    for (int j = 1; j <= p; j++) { /* Q_j = Â Q_{j-1}, Q'_j = Â' Q_{j-1} + Â Q'_{j-1} */
        if (j == 1)
            memcpy(Q + dd, w->Ah, sizeof(double) * dd);
        else
            mm(d, 0, 0, 1.0, w->Ah, Q + (j - 1) * dd, 0.0, Q + j * dd);
        if (tangent) {
            mm(d, 0, 0, 1.0, w->Ahd, Q + (j - 1) * dd, 0.0, Qd + j * dd);
            mm(d, 0, 0, 1.0, w->Ah, Qd + (j - 1) * dd, 1.0, Qd + j * dd);
        }
    }
    memcpy(w->E, Q + p * dd, sizeof(double) * dd);
    for (int i = 0; i < d; i++)
        w->E[(size_t)i * d + i] -= 1.0;
    *val += wc * dot(w->E, w->E, dd);
    for (int j = 0; j < p; j++) { /* 2 w Q_j^T E Q_{p-1-j}^T */
        const double *Qa = Q + j * dd, *Qb = Q + (p - 1 - j) * dd;

        if (j == 0)
            memcpy(w->T1, w->E, sizeof(double) * dd);
        else
            mm(d, 1, 0, 1.0, Qa, w->E, 0.0, w->T1);
        if (j == p - 1)
            for (size_t i = 0; i < dd; i++)
                w->gAh[i] += 2.0 * wc * w->T1[i];
        else
            mm(d, 0, 1, 2.0 * wc, w->T1, Qb, 1.0, w->gAh);
        if (!tangent)
            continue;
        /* 2 w [(Q'_j^T E + Q_j^T E') Q_{p-1-j}^T + Q_j^T E Q'_{p-1-j}^T], E' = Q'_p */
        mm(d, 0, 1, 2.0 * wc, w->T1, Qd + (p - 1 - j) * dd, 1.0, w->gAhd);
        mm(d, 1, 0, 1.0, Qd + j * dd, w->E, 0.0, w->T1);
        mm(d, 1, 0, 1.0, Qa, Qd + p * dd, 1.0, w->T1);
        mm(d, 0, 1, 2.0 * wc, w->T1, Qb, 1.0, w->gAhd);
    }
}

/* - ws sum sigma(Â) - wl sum log sigma(Â), by one SVD Â = U S V^T */
static int svd_penalties(int d, double ws, double wl, double *val, const gws *w, int tangent)
{
    size_t dd = (size_t)d * d;
    int rc = 0, singular = 0;

    SYM_TRY(sym_svd(w->s, w->U, w->Vt, w->Ah, d, d, w->svd));
    for (int i = 0; i < d; i++) {
        *val -= ws * w->s[i];
        singular |= w->s[i] == 0.0;
    }
    if (ws != 0.0) {
        mm(d, 0, 0, -ws, w->U, w->Vt, 1.0, w->gAh);
        if (tangent) { /* C = U^T Â' V, X = (C - C^T) / (s_i + s_j) */
            mm(d, 1, 0, 1.0, w->U, w->Ahd, 0.0, w->T1);
            mm(d, 0, 1, 1.0, w->T1, w->Vt, 0.0, w->N);
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) {
                    double den = w->s[i] + w->s[j];

                    w->X[(size_t)i * d + j] = den > 0.0 ? (w->N[(size_t)i * d + j] - w->N[(size_t)j * d + i]) / den : 0.0;
                }
            mm(d, 0, 0, 1.0, w->U, w->X, 0.0, w->T1);
            mm(d, 0, 0, -ws, w->T1, w->Vt, 1.0, w->gAhd);
        }
    }
    if (wl == 0.0)
        goto cleanup;
    if (singular) { /* log 0: the objective is +inf, its gradient undefined */
        *val = INFINITY;
        for (size_t i = 0; i < dd; i++)
            w->gAh[i] = NAN;
        goto cleanup;
    }
    for (int i = 0; i < d; i++)
        *val -= wl * log(w->s[i]);
    /* N = Â^{-T} = U S^-1 V^T */
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            w->T1[(size_t)i * d + j] = w->U[(size_t)i * d + j] / w->s[j];
    mm(d, 0, 0, 1.0, w->T1, w->Vt, 0.0, w->N);
    for (size_t i = 0; i < dd; i++)
        w->gAh[i] -= wl * w->N[i];
    if (tangent) { /* + wl N Â'^T N */
        mm(d, 0, 1, 1.0, w->N, w->Ahd, 0.0, w->T1);
        mm(d, 0, 0, wl, w->T1, w->N, 1.0, w->gAhd);
    }
cleanup:
    return rc;
}

/* every penalty of one group: value into *val, gradients added to gAh, set in gAt */
static int penalties(const sym_model_opts *o, int d, double *val, const gws *w, const double *At,
                     const double *Atd, int tangent)
{
    int rc = 0;

    if (o->group_pair > 0.0)
        pair_penalty(d, o->group_pair, val, w, At, Atd, tangent);
    if (o->group_closure != 0.0)
        closure_penalty(d, o->group_p, o->group_closure, val, w, tangent);
    if (o->group_svd != 0.0 || o->group_logdet != 0.0)
        SYM_TRY(svd_penalties(d, o->group_svd, o->group_logdet, val, w, tangent));
cleanup:
    return rc;
}

/* copy (or pull back, the same map) every parameter but the group layer's A, B, At:
 * to = 1: theta -> dense, 0: dense -> theta */
static void copy_free(const sym_model *m, double *dst, const double *src, int to_dense)
{
    const sym_model *dn = m->dense;

    for (int l = 0; l < m->o.n_layers; l++) {
        size_t nw = (size_t)m->o.widths[l + 1] * m->o.widths[l];

        if (l != m->gl && !m->tied[l])
            memcpy(dst + (to_dense ? dn->w_off[l] : m->w_off[l]),
                   src + (to_dense ? m->w_off[l] : dn->w_off[l]), sizeof(double) * nw);
        if (m->b_off[l] != SIZE_MAX)
            memcpy(dst + (to_dense ? dn->b_off[l] : m->b_off[l]),
                   src + (to_dense ? m->b_off[l] : dn->b_off[l]), sizeof(double) * m->o.widths[l + 1]);
    }
    if (m->lam_off != SIZE_MAX) /* an ista model's thresholds */
        memcpy(dst + (to_dense ? dn->lam_off : m->lam_off), src + (to_dense ? m->lam_off : dn->lam_off),
               sizeof(double) * m->o.widths[1]);
}

void sym_groupi_materialize(const sym_model *m, const double *theta, double *w)
{
    gdims g = dims_of(m);

    copy_free(m, w, theta, 1);
    sym_groupi_filters(m, theta, w + m->dense->w_off[g.l], g.sf, g.si);
}

/* the filters' cotangents of group k, G [p x d], from a dense vector */
static void gather(const sym_model *m, const gdims *g, double *G, const double *dense, int k)
{
    const double *W = dense + m->dense->w_off[g->l];

    for (int j = 0; j < g->p; j++)
        for (int i = 0; i < g->d; i++)
            G[(size_t)j * g->d + i] = W[((size_t)k * g->p + j) * g->sf + i * g->si];
}

/*
 * The pullback of one pass (tangent 0: gtheta = J^T gw + the penalties' gradient; 1: Hv as in
 * sym_groupi_hvp); v NULL without tangent; gw NULL: penalties only (value).
 */
static int pass(const sym_model *m, double *pen, double *out, const double *theta, const double *v,
                const double *gw, const double *Hu, double *work)
{
    const sym_model_opts *o = &m->o;
    gdims g = dims_of(m);
    gws w = carve(&g, work);
    size_t dd = (size_t)g.d * g.d;
    int rc = 0, t = v != NULL;

    *pen = 0.0;
    if (out)
        copy_free(m, out, t ? Hu : gw, 0);
    for (int k = 0; k < g.K; k++) {
        const double *A = theta + m->ga_off + k * dd, *b = theta + m->gb_off + (size_t)k * g.d;
        const double *At = m->gt_off != SIZE_MAX ? theta + m->gt_off + k * dd : NULL;
        const double *Ad = t ? v + m->ga_off + k * dd : NULL;

        used(m, g.d, A, Ad, w.Ah, w.Ahd);
        if (gw) {
            filters(g.d, g.p, &w, b, t ? v + m->gb_off + (size_t)k * g.d : NULL, t);
            gather(m, &g, w.G, gw, k);
            if (t)
                gather(m, &g, w.Gd, Hu, k);
            filters_back(g.d, g.p, &w, t);
        } else {
            memset(w.gAh, 0, sizeof(double) * dd);
        }
        SYM_TRY(penalties(o, g.d, pen, &w, At, At && t ? v + m->gt_off + k * dd : NULL, t));
        if (!out)
            continue;
        /* b's row: Fbar_0 (or its tangent); A's: through the normalization */
        memcpy(out + m->gb_off + (size_t)k * g.d, t ? w.Fbd : w.Fb, sizeof(double) * (size_t)g.d);
        used_back(m, g.d, A, Ad, w.gAh, w.gAhd, t ? w.gA : out + m->ga_off + k * dd,
                  out + m->ga_off + k * dd);
        if (At)
            memcpy(out + m->gt_off + k * dd, t ? w.gAtd : w.gAt, sizeof(double) * dd);
    }
cleanup:
    return rc;
}

int sym_groupi_pullback(const sym_model *m, double *pen, double *gtheta, const double *theta,
                        const double *gw, double *work)
{
    return pass(m, pen, gtheta, theta, NULL, gw, NULL, work);
}

int sym_groupi_penalty(const sym_model *m, double *pen, const double *theta, double *work)
{
    return pass(m, pen, NULL, theta, NULL, NULL, NULL, work);
}

int sym_groupi_hvp(const sym_model *m, double *Hv, const double *theta, const double *v,
                   const double *gw, const double *Hu, double *work)
{
    double pen;

    return pass(m, &pen, Hv, theta, v, gw, Hu, work);
}

void sym_groupi_jvp(const sym_model *m, double *u, const double *theta, const double *v, double *work)
{
    gdims g = dims_of(m);
    gws w = carve(&g, work);
    size_t dd = (size_t)g.d * g.d;
    double *W = u + m->dense->w_off[g.l];

    copy_free(m, u, v, 1);
    for (int k = 0; k < g.K; k++) {
        used(m, g.d, theta + m->ga_off + k * dd, v + m->ga_off + k * dd, w.Ah, w.Ahd);
        filters(g.d, g.p, &w, theta + m->gb_off + (size_t)k * g.d, v + m->gb_off + (size_t)k * g.d, 1);
        for (int j = 0; j < g.p; j++)
            for (int i = 0; i < g.d; i++)
                W[((size_t)k * g.p + j) * g.sf + i * g.si] = w.Fd[(size_t)j * g.d + i];
    }
}
