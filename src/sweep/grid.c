/*
 * The sweep grid: axes (lists of values for any setting, zip groups varying
 * together), every configuration parsed with its values substituted into the
 * document, and the /grid columns.
 */
#include "job_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the sweep grid ---- */






/* one axis column "path: [values...]" */
/* the shortest text that reads back as @p v (or an integer's digits) */
static void number_text(char *buf, size_t n, double v, int integer)
{
    if (integer) {
        snprintf(buf, n, "%lld", (long long)v);
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/*
 * An axis written as range(a, b, step), linspace(a, b, n) or logspace(a, b,
 * n) (numpy's meanings: b excluded from range, included in the others;
 * logspace gives 10^x) becomes the list of its values, as new YAML nodes
 * that carry the expression's position: *values_id is the list.  Returns 1
 * when @p vals is such an expression, 0 when it is not, < 0 on error.
 */
#define MAX_AXIS_VALUES 10000
static int expand_range(ctx *c, int *values_id, const node *vals, const char *key)
{
    const char *s = sym_yaml_scalar(vals), *names[3] = {"range", "linspace", "logspace"};
    const char *usage[3] = {"range(a, b, step) with step != 0 and at least one value",
                            "linspace(a, b, n) with n an integer >= 1",
                            "logspace(a, b, n) with n an integer >= 1"};
    yaml_mark_t sm, em;
    double arg[3] = {0, 0, 1};
    int kind = -1, nargs = 0, integer = 1, count = 0, seq;
    char *end;

    if (!s)
        return 0;
    for (int k = 0; k < 3 && kind < 0; k++)
        if (!strncmp(s, names[k], strlen(names[k])) && s[strlen(names[k])] == '(')
            kind = k;
    if (kind < 0)
        return 0;
    sm = vals->start_mark;
    em = vals->end_mark;
    s += strlen(names[kind]) + 1;
    for (;;) {
        while (*s == ' ')
            s++;
        if (nargs == 3)
            return sym_yaml_expected(c, vals, key, usage[kind]);
        arg[nargs] = strtod(s, &end);
        if (end == s || !isfinite(arg[nargs]))
            return sym_yaml_expected(c, vals, key, usage[kind]);
        for (const char *q = s; q < end; q++)
            integer &= *q != '.' && *q != 'e' && *q != 'E';
        nargs++;
        for (s = end; *s == ' '; s++)
            ;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == ')' && s[1] == '\0')
            break;
        return sym_yaml_expected(c, vals, key, usage[kind]);
    }
    if (kind == 0) {
        if (nargs < 2 || arg[2] == 0)
            return sym_yaml_expected(c, vals, key, usage[kind]);
        count = (int)fmin(ceil((arg[1] - arg[0]) / arg[2]), MAX_AXIS_VALUES + 1.0);
    } else {
        if (nargs != 3 || arg[2] != floor(arg[2]) || arg[2] < 1)
            return sym_yaml_expected(c, vals, key, usage[kind]);
        count = (int)fmin(arg[2], MAX_AXIS_VALUES + 1.0);
        integer = 0;
    }
    if (count < 1)
        return sym_yaml_expected(c, vals, key, usage[kind]);
    if (count > MAX_AXIS_VALUES)
        return sym_yaml_err(c, vals, key, "expected at most %d values on one axis, found more",
                            MAX_AXIS_VALUES);
    seq = yaml_document_add_sequence(c->doc, NULL, YAML_FLOW_SEQUENCE_STYLE);
    if (!seq)
        return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory building the sweep");
    for (int i = 0; i < count; i++) {
        double v;
        char text[64];
        int id;

        if (kind == 0)
            v = arg[0] + i * arg[2];
        else /* the last value exactly b, as numpy */
            v = count == 1 ? arg[0] : i == count - 1 ? arg[1]
                                                       : arg[0] + (arg[1] - arg[0]) * i / (count - 1);
        if (kind == 2)
            v = pow(10.0, v);
        number_text(text, sizeof(text), v, integer && kind == 0);
        id = yaml_document_add_scalar(c->doc, NULL, (yaml_char_t *)text, (int)strlen(text),
                                      YAML_PLAIN_SCALAR_STYLE);
        if (!id || !yaml_document_append_sequence_item(c->doc, seq, id))
            return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory building the sweep");
        sym_yaml_node(c, id)->start_mark = sm; /* messages point at the expression */
        sym_yaml_node(c, id)->end_mark = em;
    }
    sym_yaml_node(c, seq)->start_mark = sm;
    sym_yaml_node(c, seq)->end_mark = em;
    *values_id = seq;
    return 1;
}

static int add_column(ctx *c, axis *ax, const node *keyn, const node *vals, const char *where)
{
    int keyn_id = (int)(keyn - c->doc->nodes.start) + 1, values_id = 0, ranged;
    const char *path = sym_yaml_scalar(keyn);
    char first[128], key[300];
    const char *dot;
    axis_col *col;
    int id;

    snprintf(key, sizeof(key), "%s.%s", where, path ? path : "?");
    if (!path || !*path)
        return sym_yaml_expected(c, keyn, where, "a setting path such as train.lr or regularizer");
    if (strlen(path) >= sizeof(col->path))
        return sym_yaml_err(c, keyn, key, "setting path longer than %zu characters", sizeof(col->path) - 1);
    dot = strchr(path, '.');
    snprintf(first, sizeof(first), "%.*s", dot ? (int)(dot - path) : (int)strlen(path), path);
    if (!sym_job_sweepable(first) && strcmp(first, "probes") != 0)
        return sym_yaml_err(c, keyn, key,
                    "expected a setting under data, model, regularizer or train (such as train.lr), "
                    "or a probe's setting (probes.NAME.SETTING), found \"%s\"", path);
    if (strstr(path, "..") || path[strlen(path) - 1] == '.')
        return sym_yaml_err(c, keyn, key, "expected a dotted setting path, found \"%s\"", path);
    if (strcmp(first, "probes") == 0 && (!dot || !strchr(dot + 1, '.') || strchr(strchr(dot + 1, '.') + 1, '.')))
        return sym_yaml_err(c, keyn, key, "expected one probe setting, probes.NAME.SETTING (such as "
                            "probes.symmetry_discovery.threshold), found \"%s\"", path);
    /* nodes may move from here on (new ones are added): keep ids, not pointers */
    if ((ranged = vals ? expand_range(c, &values_id, vals, key) : 0) < 0)
        return ranged;
    if (ranged) {
        keyn = sym_yaml_node(c, keyn_id);
        vals = sym_yaml_node(c, values_id);
    }
    if (!vals || vals->type != YAML_SEQUENCE_NODE || sym_yaml_seq_len(vals) < 1)
        return sym_yaml_expected(c, vals, key,
                                 "a non-empty list of values, or range(a, b, step), "
                                 "linspace(a, b, n) or logspace(a, b, n)");
    if (ax->n_cols >= MAX_ZIP)
        return sym_yaml_err(c, keyn, key, "a zip group holds at most %d settings", MAX_ZIP);
    col = &ax->cols[ax->n_cols++];
    snprintf(col->path, sizeof(col->path), "%s", path);
    col->values_id = (int)(vals - c->doc->nodes.start) + 1;
    /* a key node for appending the last component when the base job lacks it;
     * it carries the axis key's position so messages point at the sweep */
    {
        const char *last = strrchr(path, '.') ? strrchr(path, '.') + 1 : path;
        yaml_mark_t sm = keyn->start_mark, em = keyn->end_mark;

        id = yaml_document_add_scalar(c->doc, NULL, (yaml_char_t *)last, (int)strlen(last),
                                      YAML_PLAIN_SCALAR_STYLE);
        if (!id)
            return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory building the sweep");
        sym_yaml_node(c, id)->start_mark = sm;
        sym_yaml_node(c, id)->end_mark = em;
        col->key_id = id;
    }
    return 0;
}

/* whether one path is the other or lies inside it */
static int overlaps(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

    return strncmp(a, b, n) == 0 && (la == lb || (la < lb ? b[la] : a[lb]) == '.');
}

int sym_grid_parse_sweep(ctx *c, const node *root, sym_job *job, axis *axes)
{
    node *v = sym_yaml_lookup(c, root, "sweep");
    int rc = 0;

    job->n_axes = 0;
    if (!v)
        return 0;
    if (v->type != YAML_MAPPING_NODE || v->data.mapping.pairs.top == v->data.mapping.pairs.start)
        return sym_yaml_expected(c, v, "sweep", "a mapping of settings to lists of values (and zip groups)");
    /* node pointers move when add_column adds nodes: iterate by index */
    int vid = (int)(v - c->doc->nodes.start) + 1;
    int npairs = (int)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);

    for (int i = 0; i < npairs; i++) {
        yaml_node_pair_t pr = sym_yaml_node(c, vid)->data.mapping.pairs.start[i];
        node *keyn = sym_yaml_node(c, pr.key), *val = sym_yaml_node(c, pr.value);
        const char *k = sym_yaml_scalar(keyn);

        if (k && strcmp(k, "zip") == 0) {
            /* one group {path: [...], ...} or a list of such groups */
            int ngroups = val->type == YAML_SEQUENCE_NODE ? sym_yaml_seq_len(val) : 1;
            int zid = pr.value;

            if (val->type != YAML_MAPPING_NODE && val->type != YAML_SEQUENCE_NODE)
                return sym_yaml_expected(c, val, "sweep.zip", "a mapping of settings to equally long lists");
            for (int g = 0; g < ngroups; g++) {
                node *zv = sym_yaml_node(c, zid);
                int gid = zv->type == YAML_SEQUENCE_NODE ? zv->data.sequence.items.start[g] : zid;
                node *grp = sym_yaml_node(c, gid);
                axis *ax;
                int nz;

                if (grp->type != YAML_MAPPING_NODE || grp->data.mapping.pairs.top == grp->data.mapping.pairs.start)
                    return sym_yaml_expected(c, grp, "sweep.zip", "a mapping of settings to equally long lists");
                if (job->n_axes >= SYM_MAX_AXES)
                    return sym_yaml_err(c, grp, "sweep.zip", "at most %d axes", SYM_MAX_AXES);
                ax = &axes[job->n_axes];
                memset(ax, 0, sizeof(*ax));
                nz = (int)(grp->data.mapping.pairs.top - grp->data.mapping.pairs.start);
                for (int z = 0; z < nz; z++) {
                    yaml_node_pair_t zp = sym_yaml_node(c, gid)->data.mapping.pairs.start[z];

                    SYM_TRY(add_column(c, ax, sym_yaml_node(c, zp.key), sym_yaml_node(c, zp.value), "sweep.zip"));
                    {
                        int len = sym_yaml_seq_len(sym_yaml_node(c, ax->cols[z].values_id));

                        if (z == 0)
                            ax->len = len;
                        else if (len != ax->len)
                            return sym_yaml_err(c, sym_yaml_node(c, zp.value), "sweep.zip",
                                        "%s has %d values but %s has %d: settings zipped together need equally long lists",
                                        ax->cols[z].path, len, ax->cols[0].path, ax->len);
                    }
                }
                job->n_axes++;
            }
            continue;
        }
        if (job->n_axes >= SYM_MAX_AXES)
            return sym_yaml_err(c, keyn, "sweep", "at most %d axes", SYM_MAX_AXES);
        memset(&axes[job->n_axes], 0, sizeof(axis));
        SYM_TRY(add_column(c, &axes[job->n_axes], keyn, val, "sweep"));
        /* the column's list: a range expression's values, not its scalar */
        axes[job->n_axes].len = sym_yaml_seq_len(sym_yaml_node(c, axes[job->n_axes].cols[0].values_id));
        job->n_axes++;
    }
    /* no setting may be swept twice, or inside another swept one */
    for (int a = 0; a < job->n_axes; a++)
        for (int i = 0; i < axes[a].n_cols; i++)
            for (int b = a; b < job->n_axes; b++)
                for (int j = b == a ? i + 1 : 0; j < axes[b].n_cols; j++)
                    if (overlaps(axes[a].cols[i].path, axes[b].cols[j].path))
                        return sym_yaml_err(c, sym_yaml_node(c, axes[b].cols[j].key_id), "sweep",
                                    "%s and %s overlap: each setting can be swept once, and not inside another swept one",
                                    axes[a].cols[i].path, axes[b].cols[j].path);
    /* a probe's setting: the probe must be in the job, the setting one of its own */
    for (int a = 0; a < job->n_axes; a++)
        for (int i = 0; i < axes[a].n_cols; i++)
            if (strncmp(axes[a].cols[i].path, "probes.", 7) == 0)
                SYM_TRY(sym_job_probe_axis(c, job, axes[a].cols[i].path, sym_yaml_node(c, axes[a].cols[i].key_id)));
    {
        double total = 1;
        char sizes[256] = "";

        for (int a = 0; a < job->n_axes; a++) {
            total *= axes[a].len;
            snprintf(sizes + strlen(sizes), sizeof(sizes) - strlen(sizes), "%s%d", a ? " x " : "",
                     axes[a].len);
        }
        if (total > MAX_CONFIGS)
            return sym_yaml_err(c, sym_yaml_node(c, vid), "sweep", /* v moved when nodes were added */
                        "expected at most %d configurations, found %.0f (%s); split the sweep "
                        "into several jobs or use fewer values",
                        MAX_CONFIGS, total, sizes);
    }
cleanup:
    return rc;
}

/* set path := value node in the document; record how to undo it */
static int apply(ctx *c, const axis_col *col, int value_id, undo *u)
{
    char part[128];
    const char *p = col->path;
    int map_id = (int)(yaml_document_get_root_node(c->doc) - c->doc->nodes.start) + 1;

    for (;;) {
        const char *dot = strchr(p, '.');
        node *m = sym_yaml_node(c, map_id);
        int found = -1, np = (int)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);

        snprintf(part, sizeof(part), "%.*s", dot ? (int)(dot - p) : (int)strlen(p), p);
        for (int i = 0; i < np && found < 0; i++) {
            const char *k = sym_yaml_scalar(sym_yaml_node(c, m->data.mapping.pairs.start[i].key));

            if (k && strcmp(k, part) == 0)
                found = i;
        }
        if (!dot) {
            u->map_id = map_id;
            if (found >= 0) {
                u->pair_index = found;
                u->old_value = m->data.mapping.pairs.start[found].value;
                u->appended = 0;
                m->data.mapping.pairs.start[found].value = value_id;
            } else {
                if (!yaml_document_append_mapping_pair(c->doc, map_id, col->key_id, value_id))
                    return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory applying the sweep");
                u->appended = 1;
            }
            return 0;
        }
        if (found < 0 || sym_yaml_node(c, m->data.mapping.pairs.start[found].value)->type != YAML_MAPPING_NODE) {
            char key[300];

            snprintf(key, sizeof(key), "sweep.%s", col->path);
            return sym_yaml_err(c, sym_yaml_node(c, col->key_id), key,
                        "the job has no mapping '%.*s' to vary %s in; set it in the job first",
                        (int)(dot - col->path), col->path, dot + 1);
        }
        map_id = m->data.mapping.pairs.start[found].value;
        p = dot + 1;
    }
}

static void restore(ctx *c, const undo *u)
{
    node *m = sym_yaml_node(c, u->map_id);

    if (u->appended)
        m->data.mapping.pairs.top--;
    else
        m->data.mapping.pairs.start[u->pair_index].value = u->old_value;
}

static int config_index(const sym_job *job, int cfg, int a)
{
    int stride = 1;

    for (int b = job->n_axes - 1; b > a; b--)
        stride *= job->axis_len[b];
    return (cfg / stride) % job->axis_len[a];
}

/* validate every configuration: the axes' values substituted into the job */
int sym_grid_parse_configs(ctx *c, sym_job *job, const axis *axes)
{
    undo undos[SYM_MAX_AXES * MAX_ZIP];
    char point[1024];
    int rc = 0, nu = 0;

    job->n_configs = 1;
    for (int a = 0; a < job->n_axes; a++) {
        job->axis_len[a] = axes[a].len;
        job->n_configs *= axes[a].len;
    }
    SYM_TRY(sym_alloc(&job->configs, sizeof(sym_job_config) * (size_t)job->n_configs));
    SYM_TRY(sym_alloc(&job->values, sizeof(sym_job_values) * (size_t)job->n_configs));
    SYM_TRY(sym_job_probe_opts_alloc(job));
    for (int k = 0; k < job->n_configs; k++) {
        node *root;
        sym_job_config *cfg = &job->configs[k];

        nu = 0;
        for (int a = 0; a < job->n_axes; a++)
            for (int i = 0; i < axes[a].n_cols; i++) {
                node *vals = sym_yaml_node(c, axes[a].cols[i].values_id);
                int vid = vals->data.sequence.items.start[config_index(job, k, a)];

                rc = apply(c, &axes[a].cols[i], vid, &undos[nu]);
                if (rc < 0)
                    goto undo_all;
                nu++;
            }
        root = yaml_document_get_root_node(c->doc);
        point[0] = '\0';
        for (int a = 0; a < job->n_axes; a++) /* the grid point's name, for messages */
            for (int i = 0; i < axes[a].n_cols; i++) {
                node *vals = sym_yaml_node(c, axes[a].cols[i].values_id);
                size_t u = strlen(point);

                snprintf(point + u, sizeof(point) - u, "%s%s=", u ? ", " : "", axes[a].cols[i].path);
                sym_yaml_label(c, sym_yaml_node(c, vals->data.sequence.items.start[config_index(job, k, a)]),
                               point, sizeof(point), 0);
            }
        c->point = job->n_axes > 0 ? point : NULL; /* collect mode names it too */
        rc = sym_job_keep(c, sym_job_probe_point_opts(c, job, root, k));
        if (rc == 0)
            rc = sym_job_parse_point(c, job, root, cfg);
        else if (rc > 0) /* collect mode: kept; the point's other sections are not read */
            rc = 0;
        c->point = NULL;
        if (rc < 0 && job->n_axes > 0) {
            /* name the grid point, so a clash between axes is clear */
            char msg[2048];

            snprintf(msg, sizeof(msg), "%s", sym_err_message());
            rc = sym_err_set(SYM_EJOB, __FILE__, __LINE__, "%s (sweep point %s)", msg, point);
        }
undo_all:
        while (nu > 0)
            restore(c, &undos[--nu]);
        if (rc < 0)
            goto cleanup;
    }
cleanup:
    return rc;
}

static int add_grid_column(sym_job *job, const char *name, int a, int len)
{
    sym_grid_column *g;
    int rc = 0;

    g = realloc(job->columns, sizeof(*g) * (size_t)(job->n_columns + 1));
    if (!g)
        return sym_err_set(SYM_ENOMEM, __FILE__, __LINE__, "out of memory");
    job->columns = g;
    g = &job->columns[job->n_columns++];
    memset(g, 0, sizeof(*g));
    snprintf(g->name, sizeof(g->name), "%s", name);
    g->axis = a;
    SYM_TRY(sym_alloc(&g->num, sizeof(double) * (size_t)len));
    SYM_TRY(sym_alloc(&g->str, sizeof(char *) * (size_t)len));
cleanup:
    return rc;
}

/* a plain scalar written as a whole number >= 0 (YAML's int, no sign, below 2^53) */
static int yaml_whole(const node *x)
{
    const char *s = sym_yaml_scalar(x);

    if (!s || !sym_yaml_is_plain(x) || !*s || strlen(s) > 15)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* the /grid columns: one per swept setting, plus one per scalar key of mapping values */
int sym_grid_build_columns(ctx *c, sym_job *job, const axis *axes)
{
    int rc = 0;

    for (int a = 0; a < job->n_axes; a++) {
        char *names = NULL;
        size_t cap = 256;

        SYM_TRY(sym_alloc(&names, cap));
        for (int i = 0; i < axes[a].n_cols; i++) {
            const axis_col *col = &axes[a].cols[i];
            node *vals = sym_yaml_node(c, col->values_id);
            int len = axes[a].len, numeric = 1, integer = 1, all_maps = 1;
            sym_grid_column *g;

            if (i)
                strncat(names, ", ", cap - strlen(names) - 1);
            strncat(names, col->path, cap - strlen(names) - 1);
            SYM_TRY(add_grid_column(job, col->path, a, len));
            g = &job->columns[job->n_columns - 1];
            for (int v = 0; v < len; v++) {
                node *x = sym_yaml_node(c, vals->data.sequence.items.start[v]);
                char buf[512] = "";

                sym_yaml_label(c, x, buf, sizeof(buf), 0);
                SYM_TRY(sym_strdup(&g->str[v], buf));
                if (sym_yaml_parse_double(x, &g->num[v]) < 0)
                    numeric = 0;
                integer &= yaml_whole(x);
                all_maps &= x->type == YAML_MAPPING_NODE;
            }
            g->numeric = numeric;
            g->integer = numeric && integer;
            if (!all_maps)
                continue;
            /* scalar keys of the mapping values, in order of first appearance */
            for (int v = 0; v < len; v++) {
                node *x = sym_yaml_node(c, vals->data.sequence.items.start[v]);

                for (yaml_node_pair_t *p = x->data.mapping.pairs.start; p < x->data.mapping.pairs.top; p++) {
                    const char *k = sym_yaml_scalar(sym_yaml_node(c, p->key));
                    char sub[300];
                    int seen = 0;

                    if (!k)
                        continue;
                    snprintf(sub, sizeof(sub), "%s.%s", col->path, k);
                    for (int j = 0; j < job->n_columns; j++)
                        seen |= strcmp(job->columns[j].name, sub) == 0;
                    if (seen)
                        continue;
                    SYM_TRY(add_grid_column(job, sub, a, len));
                    g = &job->columns[job->n_columns - 1];
                    g->numeric = g->integer = 1;
                    for (int w = 0; w < len; w++) {
                        node *y = sym_yaml_node(c, vals->data.sequence.items.start[w]);
                        node *val = sym_yaml_lookup(c, y, k);
                        char buf[512] = "";

                        if (val)
                            sym_yaml_label(c, val, buf, sizeof(buf), 0);
                        SYM_TRY(sym_strdup(&g->str[w], buf));
                        if (!val)
                            g->num[w] = NAN;
                        else if (sym_yaml_parse_double(val, &g->num[w]) < 0)
                            g->numeric = 0;
                        g->integer &= val && yaml_whole(val);
                    }
                    g->integer &= g->numeric;
                }
            }
        }
        snprintf(job->axis_name[a], sizeof(job->axis_name[a]), axes[a].n_cols > 1 ? "zip(%s)" : "%s",
                 names);
        free(names);
    }
cleanup:
    return rc;
}

int sym_job_axis_index(const sym_job *job, int i, int a)
{
    return config_index(job, i / job->n_seeds, a);
}
