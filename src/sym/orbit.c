
/*
 * The loss along symmetry orbits.  For hidden layer h with width n and a
 * direction A_h in the Lie algebra of the layer's symmetry group, the group
 * element K_h(t) = exp(t A_h) acts by (W_h, b_h, W_{h+1}) -> (K W_h, K b_h,
 * W_{h+1} K^{-1}) (seed 001, Definition 3.4).  Actions on different hidden
 * layers commute (one multiplies W_{h+1} from the left, the other from the
 * right), so all layers move together along t.
 */
#include "symsweep/sym.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const sym_algebra_names[] = {"auto", "gl", "diagonal", "so"};
_Static_assert(sizeof sym_algebra_names / sizeof *sym_algebra_names == SYM_ALGEBRA_COUNT, "one name per algebra");
const char *const sym_perp_names[] = {"off", "random", "last_layer"};
_Static_assert(sizeof sym_perp_names / sizeof *sym_perp_names == SYM_PERP_COUNT, "one name per perpendicular kind");

const char *sym_algebra_name(sym_algebra a)
{
    SYM_ASSERT(a >= 0 && a < SYM_ALGEBRA_COUNT);
    return sym_algebra_names[a];
}

int sym_orbit_algebra(sym_algebra *out, const sym_model *m, sym_algebra a)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int rc = 0, all_linear = 1, all_relu = 1;

    if (o->n_layers < 2)
        SYM_FAIL(SYM_EINVAL, "orbit probe: the model has no hidden layer to act on");
    if (o->tied)
        SYM_FAIL(SYM_EINVAL, "orbit probe: the layer action unties a tied autoencoder; use tied: false");
    for (int l = 0; l < o->n_layers - 1; l++) {
        all_linear &= o->act[l] == SYM_ACT_LINEAR;
        all_relu &= o->act[l] == SYM_ACT_RELU || o->act[l] == SYM_ACT_LEAKY_RELU;
    }
    if (a == SYM_ALGEBRA_AUTO) {
        if (all_linear)
            a = SYM_ALGEBRA_GL;
        else if (all_relu)
            a = SYM_ALGEBRA_DIAGONAL;
        else
            SYM_FAIL(SYM_EINVAL,
                     "orbit probe: hidden activations other than linear or relu have no continuous "
                     "symmetry to follow (their centralizer is discrete); set algebra explicitly "
                     "to probe a non-symmetry");
    }
    *out = a;
cleanup:
    return rc;
}

size_t sym_orbit_direction_size(const sym_model *m)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    size_t n = 0;

    for (int h = 1; h < o->n_layers; h++)
        n += (size_t)o->widths[h] * o->widths[h];
    return n;
}

int sym_orbit_direction(double *A, const sym_model *m, sym_algebra alg, sym_rng *r)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int rc = 0;

    if (alg == SYM_ALGEBRA_AUTO)
        SYM_FAIL(SYM_EINVAL, "orbit direction: resolve the algebra first (sym_orbit_algebra)");
    for (int h = 1; h < o->n_layers; h++) {
        int n = o->widths[h];
        double nrm = 0.0;

        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double g = sym_rng_normal(r);

                A[(size_t)i * n + j] = alg == SYM_ALGEBRA_DIAGONAL && i != j ? 0.0 : g;
            }
        if (alg == SYM_ALGEBRA_SO)
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++) {
                    double v = i == j ? 0.0 : 0.5 * (A[(size_t)i * n + j] - A[(size_t)j * n + i]);

                    A[(size_t)i * n + j] = v;
                    A[(size_t)j * n + i] = -v;
                }
        for (int i = 0; i < n * n; i++)
            nrm += A[i] * A[i];
        nrm = sqrt(nrm);
        if (nrm > 0)
            for (int i = 0; i < n * n; i++)
                A[i] /= nrm;
        A += (size_t)n * n;
    }
cleanup:
    return rc;
}

/* ---- the orbit tangent space ---- */

void sym_algebra_project(double *A, int n, int alg)
{
    if (alg == SYM_SYMMETRY_NONE) {
        memset(A, 0, sizeof(double) * (size_t)n * n);
    } else if (alg == SYM_ALGEBRA_DIAGONAL) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (i != j)
                    A[(size_t)i * n + j] = 0.0;
    } else if (alg == SYM_ALGEBRA_SO) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double v = i == j ? 0.0 : 0.5 * (A[(size_t)i * n + j] - A[(size_t)j * n + i]);

                A[(size_t)i * n + j] = v;
                A[(size_t)j * n + i] = -v;
            }
    }
}

static int max_w(const sym_model *m)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int w = 0;

    for (int i = 0; i <= o->n_layers; i++)
        w = o->widths[i] > w ? o->widths[i] : w;
    return w;
}

/*
 * Moving parameters along exp(t A): K_h = exp(t A_h) and K_h^{-1} =
 * exp(-t A_h) for every hidden layer (both exact to rounding), set once per
 * t and applied to as many points as needed.
 */
typedef struct orbit_mover {
    const sym_model *m;
    double *K, *Ki; /* laid out like A */
    double *mA, *work, *rw, *tmp;
    int *ipiv;
} orbit_mover;

static void mover_dispose(orbit_mover *v)
{
    free(v->K);
    free(v->Ki);
    free(v->mA);
    free(v->work);
    free(v->rw);
    free(v->tmp);
    free(v->ipiv);
}

static int mover_init(orbit_mover *v, const sym_model *m)
{
    int rc = 0, w = max_w(m);
    size_t na = sym_orbit_direction_size(m);

    memset(v, 0, sizeof(*v));
    v->m = m;
    SYM_TRY(sym_alloc_doubles(&v->K, na));
    SYM_TRY(sym_alloc_doubles(&v->Ki, na));
    SYM_TRY(sym_alloc_doubles(&v->mA, (size_t)w * w));
    SYM_TRY(sym_alloc_doubles(&v->work, sym_expm_work_size(w)));
    SYM_TRY(sym_alloc_doubles(&v->rw, 2 * (size_t)w * w));
    SYM_TRY(sym_alloc_doubles(&v->tmp, sym_model_n_params(m)));
    SYM_TRY(sym_alloc(&v->ipiv, sizeof(int) * (size_t)w));
cleanup:
    if (rc < 0)
        mover_dispose(v);
    return rc;
}

static int mover_set(orbit_mover *v, const double *A, double t)
{
    const sym_model_opts *mo = sym_model_get_opts(v->m);
    size_t off = 0;
    int rc = 0;

    for (int h = 0; h < mo->n_layers - 1; h++) {
        int n = mo->widths[h + 1];

        for (int i = 0; i < n * n; i++)
            v->mA[i] = t * A[off + i];
        SYM_TRY(sym_expm_pair(v->K + off, v->Ki + off, v->mA, n, v->work, v->ipiv));
        off += (size_t)n * n;
    }
cleanup:
    return rc;
}

/* out = theta with every hidden layer moved by the K of the last mover_set */
static int mover_apply(orbit_mover *v, double *out, const double *theta)
{
    const sym_model_opts *mo = sym_model_get_opts(v->m);
    size_t np = sym_model_n_params(v->m), off = 0;
    int rc = 0;

    memcpy(out, theta, np * sizeof(double));
    for (int h = 0; h < mo->n_layers - 1; h++) {
        int n = mo->widths[h + 1];

        SYM_TRY(sym_reparam_apply(v->tmp, v->m, out, h, v->K + off, v->Ki + off, v->rw));
        memcpy(out, v->tmp, np * sizeof(double));
        off += (size_t)n * n;
    }
cleanup:
    return rc;
}

const char *sym_perp_name(sym_perp_kind k)
{
    return k >= 0 && k < SYM_PERP_COUNT ? sym_perp_names[k] : "?";
}

double sym_orbit_grid(int k, int n, double x) { return -x + 2.0 * x * k / (n - 1); }

int sym_orbit_loss(double *total, double *data, const sym_model *m, const sym_reg *reg,
                   const double *params, const sym_data *d, const double *A,
                   const sym_orbit_opts *o)
{
    int rc = 0;
    double *th = NULL;
    orbit_mover v = {0};
    sym_eval *e = NULL;
    sym_eval_data bd = {0};

    if (o->points < 2)
        SYM_FAIL(SYM_EINVAL, "orbit probe: %d points: need at least 2", o->points);
    SYM_TRY(mover_init(&v, m));
    SYM_TRY(sym_alloc_doubles(&th, sym_model_n_params(m)));
    SYM_TRY(sym_eval_create(&e, m, reg, d->n));
    SYM_TRY(sym_eval_data_init(&bd, e, d)); /* laid out once for all the points */
    for (int k = 0; k < o->points; k++) {
        const double zero = 0.0;

        SYM_TRY(mover_set(&v, A, sym_orbit_grid(k, o->points, o->t_max)));
        SYM_TRY(mover_apply(&v, th, params));
        /* a point: a linear tail is collapsed to its product (sym_eval_line) */
        SYM_TRY(sym_eval_line(e, total + k, data + k, th, NULL, &zero, 1, &bd));
    }
cleanup:
    sym_eval_data_dispose(&bd);
    sym_eval_free(e);
    free(th);
    mover_dispose(&v);
    return rc;
}

/* scratch of 3 max_w^2 doubles: two weights and one product */
static void tangent_impl(double *out, const sym_model *m, const double *params, const double *A,
                         double *scratch)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int L = o->n_layers, w = max_w(m);
    double *Wx = scratch, *T = scratch + (size_t)w * w, *C = T + (size_t)w * w;

    memset(out, 0, sizeof(double) * sym_model_n_params(m));
    for (int h = 0; h < L - 1; h++) {
        int n = o->widths[h + 1], nin = o->widths[h], nout = o->widths[h + 2];
        const double *bh = sym_model_bias(m, (double *)params, h);

        /* W_h += A_h W_h  [n x nin] */
        sym_model_get_weight(m, params, h, Wx);
        sym_gemm(0, 0, n, nin, n, 1.0, A, Wx, 0.0, T);
        sym_model_get_weight(m, out, h, C);
        for (size_t i = 0; i < (size_t)n * nin; i++)
            C[i] += T[i];
        sym_model_set_weight(m, out, h, C);
        /* b_h += A_h b_h */
        if (bh) {
            double *ob = sym_model_bias(m, out, h);

            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    ob[i] += A[(size_t)i * n + j] * bh[j];
        }
        /* W_{h+1} += -W_{h+1} A_h  [nout x n] */
        sym_model_get_weight(m, params, h + 1, Wx);
        sym_gemm(0, 0, nout, n, n, -1.0, Wx, A, 0.0, T);
        sym_model_get_weight(m, out, h + 1, C);
        for (size_t i = 0; i < (size_t)nout * n; i++)
            C[i] += T[i];
        sym_model_set_weight(m, out, h + 1, C);
        A += (size_t)n * n;
    }
}

/* G_h = gW_h W_h^T + gb_h b_h^T - W_{h+1}^T gW_{h+1}, projected to the algebra */
static void adjoint_impl(double *out, const sym_model *m, const double *params, const double *g,
                         const int *alg, double *scratch)
{
    const sym_model_opts *o = sym_model_get_opts(m);
    int L = o->n_layers, w = max_w(m);
    double *Wx = scratch, *Gx = scratch + (size_t)w * w;

    for (int h = 0; h < L - 1; h++) {
        int n = o->widths[h + 1], nin = o->widths[h], nout = o->widths[h + 2];
        const double *bh = sym_model_bias(m, (double *)params, h);

        sym_model_get_weight(m, params, h, Wx);
        sym_model_get_weight(m, g, h, Gx);
        sym_gemm(0, 1, n, n, nin, 1.0, Gx, Wx, 0.0, out); /* gW_h W_h^T */
        if (bh) {
            const double *gb = sym_model_bias(m, (double *)g, h);

            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    out[(size_t)i * n + j] += gb[i] * bh[j];
        }
        sym_model_get_weight(m, params, h + 1, Wx);
        sym_model_get_weight(m, g, h + 1, Gx);
        sym_gemm(1, 0, n, n, nout, -1.0, Wx, Gx, 1.0, out); /* - W_{h+1}^T gW_{h+1} */
        sym_algebra_project(out, n, alg[h]);
        out += (size_t)n * n;
    }
}

/* one algebra on every hidden layer */
static void same_algebra(int *algs, const sym_model *m, sym_algebra alg)
{
    for (int h = 0; h + 1 < sym_model_get_opts(m)->n_layers; h++)
        algs[h] = (int)alg;
}

void sym_orbit_tangent(double *out, const sym_model *m, const double *params, const double *A,
                       sym_algebra alg)
{
    int w = max_w(m);
    double *scratch = malloc(sizeof(double) * 3 * (size_t)w * w);

    (void)alg; /* A already lies in the algebra */
    SYM_ASSERT(scratch);
    tangent_impl(out, m, params, A, scratch);
    free(scratch);
}

void sym_orbit_tangent_adjoint(double *out, const sym_model *m, const double *params,
                               const double *g, sym_algebra alg)
{
    int algs[SYM_MAX_LAYERS];

    same_algebra(algs, m, alg);
    sym_orbit_tangent_adjoint_layers(out, m, params, g, algs);
}

void sym_orbit_tangent_adjoint_layers(double *out, const sym_model *m, const double *params,
                                      const double *g, const int *alg)
{
    int w = max_w(m);
    double *scratch = malloc(sizeof(double) * 2 * (size_t)w * w);

    SYM_ASSERT(scratch);
    adjoint_impl(out, m, params, g, alg, scratch);
    free(scratch);
}

int sym_orbit_project(double *tangent, double *perp, double *coef, const sym_model *m,
                      const double *params, const double *v, sym_algebra alg)
{
    int algs[SYM_MAX_LAYERS];

    same_algebra(algs, m, alg);
    return sym_orbit_project_layers(tangent, perp, coef, m, params, v, algs);
}

struct sym_orbit_ws {
    const sym_model *m;
    int alg[SYM_MAX_LAYERS]; /* per hidden layer */
    double *x, *r, *p, *Ap, *Jp, *Jx, *scratch;
    /* the softmax's shifts (sym_orbit_ws_add_shifts): the output weight's columns W_L + 1 v^T
     * (shift_w) and its bias b_L + c 1 (shift_b), an orthonormal basis applied unformed */
    int shift_w, shift_b;
    double *vs, *wL; /* v without its shift part [P]; W_L's scratch [n_L x n_{L-1}] */
};

/* ||S^T v||^2 and, with @p out, out = v - S S^T v (the shifts' basis S is orthonormal: the
 * columns of W_L and b_L lose their means) */
static double shift_split(const sym_orbit_ws *ws, double *out, const double *v)
{
    const sym_model_opts *o = sym_model_get_opts(ws->m);
    int L = o->n_layers, no = o->widths[L], ni = o->widths[L - 1];
    double s2 = 0.0;

    if (out && out != v)
        memcpy(out, v, sizeof(double) * sym_model_n_params(ws->m));
    if (ws->shift_w) {
        sym_model_get_weight(ws->m, v, L - 1, ws->wL);
        for (int j = 0; j < ni; j++) {
            double mean = 0.0;

            for (int i = 0; i < no; i++)
                mean += ws->wL[(size_t)i * ni + j];
            mean /= no;
            s2 += mean * mean * no;
            for (int i = 0; i < no; i++)
                ws->wL[(size_t)i * ni + j] -= mean;
        }
        if (out)
            sym_model_set_weight(ws->m, out, L - 1, ws->wL);
    }
    if (ws->shift_b) {
        const double *b = sym_model_bias(ws->m, (double *)v, L - 1);
        double mean = 0.0;

        for (int i = 0; i < no; i++)
            mean += b[i];
        mean /= no;
        s2 += mean * mean * no;
        if (out)
            for (int i = 0; i < no; i++)
                sym_model_bias(ws->m, out, L - 1)[i] -= mean;
    }
    return s2;
}

void sym_orbit_ws_free(sym_orbit_ws *w)
{
    if (!w)
        return;
    free(w->x);
    free(w->r);
    free(w->p);
    free(w->Ap);
    free(w->Jp);
    free(w->Jx);
    free(w->scratch);
    free(w->vs);
    free(w->wL);
    free(w);
}

int sym_orbit_ws_add_shifts(sym_orbit_ws *ws, const sym_reg *reg)
{
    const sym_model_opts *o = sym_model_get_opts(ws->m);
    int sh = sym_shift_dim(ws->m, reg), L = o->n_layers, rc = 0;

    if (sh == 0)
        return 0;
    ws->shift_b = o->bias != 0;
    ws->shift_w = sh - ws->shift_b > 0;
    SYM_TRY(sym_alloc_doubles(&ws->vs, sym_model_n_params(ws->m)));
    SYM_TRY(sym_alloc_doubles(&ws->wL, (size_t)o->widths[L] * o->widths[L - 1]));
cleanup:
    return rc;
}

double sym_orbit_ws_shift_norm(const sym_orbit_ws *ws, const double *v)
{
    return ws->shift_w || ws->shift_b ? sqrt(shift_split(ws, NULL, v)) : 0.0;
}

int sym_orbit_ws_create_layers(sym_orbit_ws **out, const sym_model *m, const int *alg)
{
    size_t np = sym_model_n_params(m), na = sym_orbit_direction_size(m);
    int w = max_w(m), rc = 0;
    sym_orbit_ws *ws = NULL;

    SYM_TRY(sym_alloc(&ws, sizeof(*ws)));
    memset(ws, 0, sizeof(*ws));
    ws->m = m;
    for (int h = 0; h + 1 < sym_model_get_opts(m)->n_layers; h++)
        ws->alg[h] = alg[h];
    SYM_TRY(sym_alloc_doubles(&ws->x, na));
    SYM_TRY(sym_alloc_doubles(&ws->r, na));
    SYM_TRY(sym_alloc_doubles(&ws->p, na));
    SYM_TRY(sym_alloc_doubles(&ws->Ap, na));
    SYM_TRY(sym_alloc_doubles(&ws->Jp, np));
    SYM_TRY(sym_alloc_doubles(&ws->Jx, np));
    SYM_TRY(sym_alloc_doubles(&ws->scratch, 3 * (size_t)w * w));
    *out = ws;
    ws = NULL;
cleanup:
    sym_orbit_ws_free(ws);
    return rc;
}

int sym_orbit_ws_create(sym_orbit_ws **out, const sym_model *m, sym_algebra alg)
{
    int algs[SYM_MAX_LAYERS];

    same_algebra(algs, m, alg);
    return sym_orbit_ws_create_layers(out, m, algs);
}

int sym_orbit_project_layers(double *tangent, double *perp, double *coef, const sym_model *m,
                             const double *params, const double *v, const int *alg)
{
    sym_orbit_ws *ws = NULL;
    int rc = 0;

    SYM_TRY(sym_orbit_ws_create_layers(&ws, m, alg));
    rc = sym_orbit_project_ws(ws, tangent, perp, coef, params, v);
cleanup:
    sym_orbit_ws_free(ws);
    return rc;
}

int sym_orbit_project_ws(sym_orbit_ws *ws, double *tangent, double *perp, double *coef,
                         const double *params, const double *v)
{
    const sym_model *m = ws->m;
    const int *alg = ws->alg;
    size_t np = sym_model_n_params(m), na = sym_orbit_direction_size(m);
    int it = 0;
    double *x = ws->x, *r = ws->r, *p = ws->p, *Ap = ws->Ap, *Jp = ws->Jp, *Jx = ws->Jx;
    double *scratch = ws->scratch;
    const double *v0 = v;
    double rr, rr0, floor2;
    int shifts = ws->shift_w || ws->shift_b;

    /* with the softmax's shifts S (orthonormal, constant): the tangent space is S + (I - S S^T)
     * range(J), so v loses its S part and CG runs on the map (I - S S^T) J */
    if (shifts) {
        shift_split(ws, ws->vs, v);
        v = ws->vs;
    }
    memset(x, 0, na * sizeof(double));
    /* CG on the normal equations J^T J x = J^T v, from x = 0; in exact
     * arithmetic it ends within dim(algebra) steps.  It stops when J^T v - J^T J x
     * is at the rounding floor eps ||J|| ||v|| (||J|| bounded by the weights'
     * norms): a relative test would chase noise when v is already orthogonal
     * to the orbit (a gradient of an invariant loss is) */
    {
        double jn = 0.0;

        for (size_t i = 0; i < np; i++)
            jn += params[i] * params[i];
        floor2 = 1e-13 * sqrt(2.0 * jn) * sym_norm2(v, np);
        floor2 *= floor2;
    }
    adjoint_impl(r, m, params, v, alg, scratch);
    memcpy(p, r, na * sizeof(double));
    rr = rr0 = 0.0;
    for (size_t i = 0; i < na; i++)
        rr += r[i] * r[i];
    rr0 = rr;
    for (it = 0; it < 2 * (int)na + 10 && rr > 1e-30 * rr0 && rr > floor2; it++) {
        double pAp = 0.0, alpha, rr_new = 0.0;

        tangent_impl(Jp, m, params, p, scratch);
        if (shifts)
            shift_split(ws, Jp, Jp);
        adjoint_impl(Ap, m, params, Jp, alg, scratch);
        for (size_t i = 0; i < na; i++)
            pAp += p[i] * Ap[i];
        if (!(pAp > 0))
            break; /* p in the null space of J: the stabilizer, nothing to gain */
        alpha = rr / pAp;
        for (size_t i = 0; i < na; i++) {
            x[i] += alpha * p[i];
            r[i] -= alpha * Ap[i];
            rr_new += r[i] * r[i];
        }
        for (size_t i = 0; i < na; i++)
            p[i] = r[i] + rr_new / rr * p[i];
        rr = rr_new;
    }
    tangent_impl(Jx, m, params, x, scratch);
    if (shifts)
        shift_split(ws, Jx, Jx);
    if (tangent)
        for (size_t i = 0; i < np; i++)
            tangent[i] = shifts ? v0[i] - (v[i] - Jx[i]) : Jx[i];
    if (perp)
        for (size_t i = 0; i < np; i++)
            perp[i] = v[i] - Jx[i];
    if (coef)
        memcpy(coef, x, na * sizeof(double));
    return it;
}

int sym_orbit_perpendicular(double *perp, double *land, const sym_model *m, const sym_reg *reg,
                            const double *params, const sym_data *d, const double *A,
                            const sym_orbit_opts *o, sym_rng *r)
{
    size_t np = sym_model_n_params(m);
    int rc = 0, P = o->points, G = o->landscape, row_line;
    double *xi = NULL, *xp = NULL, *th = NULL, *sh = NULL, *ss = NULL, *gs = NULL;
    orbit_mover v = {0};
    sym_algebra alg;
    sym_eval *e = NULL;
    sym_eval_data bd = {0};
    sym_loss_parts lp;
    double nrm;

    SYM_TRY(sym_orbit_algebra(&alg, m, o->algebra));
    SYM_TRY(mover_init(&v, m));
    SYM_TRY(sym_alloc_doubles(&xi, np));
    SYM_TRY(sym_alloc_doubles(&xp, np));
    SYM_TRY(sym_alloc_doubles(&th, np));
    SYM_TRY(sym_alloc_doubles(&sh, np));
    SYM_TRY(sym_alloc_doubles(&ss, P > 1 ? (size_t)P : 1));
    SYM_TRY(sym_alloc_doubles(&gs, G > 1 ? (size_t)G : 1));
    SYM_TRY(sym_eval_create(&e, m, reg, d->n));
    SYM_TRY(sym_eval_data_init(&bd, e, d)); /* laid out once for all the points */
    if (o->perpendicular == SYM_PERP_LAST_LAYER) {
        /* only the output layer's weight moves: the network's function shifts */
        const sym_model_opts *mo = sym_model_get_opts(m);
        int L = mo->n_layers - 1;
        size_t nw = (size_t)mo->widths[L + 1] * mo->widths[L];

        for (size_t i = 0; i < nw; i++)
            xi[i] = sym_rng_normal(r);
        memset(xp, 0, sizeof(double) * np);
        sym_model_set_weight(m, xp, L, xi);
    } else {
        for (size_t i = 0; i < np; i++)
            xi[i] = sym_rng_normal(r);
        SYM_TRY(sym_orbit_project(NULL, xp, NULL, m, params, xi, alg));
    }
    nrm = sym_norm2(xp, np);
    for (size_t i = 0; i < np; i++)
        xp[i] /= nrm;
    for (int k = 0; k < P; k++)
        ss[k] = sym_orbit_grid(k, P, o->s_max);
    if (perp)
        SYM_TRY(sym_eval_line(e, perp, NULL, params, xp, ss, P, &bd));
    /* a row of the landscape (one t) is the line K(t)(params) + s K(t)(xp), K acting linearly,
     * and K moves the layers xp moves: where the line's polynomial path applies, each row is
     * one sym_eval_line; elsewhere each point is K(t)(params + s xp), moved and evaluated */
    for (int b = 0; b < G; b++)
        gs[b] = sym_orbit_grid(b, G, o->s_max);
    row_line = sym_eval_line_fast(e, xp, G, d->n);
    for (int a = 0; land && G > 1 && a < G; a++) {
        SYM_TRY(mover_set(&v, A, sym_orbit_grid(a, G, o->t_max)));
        if (row_line) {
            SYM_TRY(mover_apply(&v, sh, xp));
            SYM_TRY(mover_apply(&v, th, params));
            SYM_TRY(sym_eval_line(e, land + (size_t)a * G, NULL, th, sh, gs, G, &bd));
            continue;
        }
        for (int b = 0; b < G; b++) {
            for (size_t i = 0; i < np; i++)
                sh[i] = params[i] + gs[b] * xp[i];
            SYM_TRY(mover_apply(&v, th, sh));
            SYM_TRY(sym_eval_data_loss(e, &lp, NULL, th, &bd));
            land[(size_t)a * G + b] = lp.total;
        }
    }
cleanup:
    sym_eval_data_dispose(&bd);
    sym_eval_free(e);
    free(xi);
    free(xp);
    free(th);
    free(sh);
    free(ss);
    free(gs);
    mover_dispose(&v);
    return rc;
}

int sym_orbit_move(double *out, const sym_model *m, const double *params, const double *A, double t)
{
    orbit_mover v = {0};
    int rc = 0;

    SYM_TRY(mover_init(&v, m));
    SYM_TRY(mover_set(&v, A, t));
    SYM_TRY(mover_apply(&v, out, params));
cleanup:
    mover_dispose(&v);
    return rc;
}
