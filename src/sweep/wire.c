/* The wire format between rank 0 and the workers: packed results and work messages. */
#include "sweep_impl.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t wire_size(int64_t np, int n_curve, int has_params, int64_t nm)
{
    return sizeof(wire_header) +
           sizeof(double) * ((has_params ? 2 * (size_t)np : 0) + (size_t)n_curve + (size_t)nm);
}

int sym_wire_pack(char **buf, size_t *cap, size_t *len, const sym_run_result *r, size_t n_measures)
{
    int64_t np = (int64_t)r->n_params, nm = r->measures ? (int64_t)n_measures : 0;
    wire_header h;
    int has = r->params != NULL, rc = 0;
    size_t need = wire_size(np, has ? r->n_curve : 0, has, nm);
    char *p;

    memset(&h, 0, sizeof(h));
    h.index = r->index;
    h.status = r->status;
    h.rank = r->rank;
    h.epochs_done = r->epochs_done;
    h.n_curve = has ? r->n_curve : 0;
    h.has_params = has;
    h.n_params = np;
    h.n_measures = nm;
    h.wall_time = r->wall_time;
    h.data = r->final.data;
    h.penalty = r->final.penalty;
    h.total = r->final.total;
    memcpy(h.error, r->error, sizeof(h.error));
    if (need > *cap) {
        char *nb = realloc(*buf, need);

        if (!nb)
            SYM_FAIL(SYM_ENOMEM, "out of memory packing a result of %zu bytes", need);
        *buf = nb;
        *cap = need;
    }
    p = *buf;
    memcpy(p, &h, sizeof(h));
    p += sizeof(h);
    if (has) {
        memcpy(p, r->params, sizeof(double) * (size_t)np);
        p += sizeof(double) * (size_t)np;
        memcpy(p, r->initial, sizeof(double) * (size_t)np);
        p += sizeof(double) * (size_t)np;
        memcpy(p, r->curve, sizeof(double) * (size_t)r->n_curve);
        p += sizeof(double) * (size_t)r->n_curve;
    }
    if (nm)
        memcpy(p, r->measures, sizeof(double) * (size_t)nm);
    *len = need;
cleanup:
    return rc;
}

/* a borrowed view of a packed result (pointers into buf) */
void sym_wire_unpack(sym_run_result *r, const char *buf)
{
    wire_header h;
    const double *d = (const double *)(buf + sizeof(h));

    memcpy(&h, buf, sizeof(h));
    memset(r, 0, sizeof(*r));
    r->index = h.index;
    r->status = h.status;
    r->rank = h.rank;
    r->epochs_done = h.epochs_done;
    r->wall_time = h.wall_time;
    r->final.data = h.data;
    r->final.penalty = h.penalty;
    r->final.total = h.total;
    memcpy(r->error, h.error, sizeof(r->error));
    r->error[sizeof(r->error) - 1] = '\0';
    if (h.has_params) {
        r->params = (double *)d;
        r->initial = (double *)d + h.n_params;
        r->curve = (double *)d + 2 * h.n_params;
        r->n_curve = h.n_curve;
        r->n_params = (size_t)h.n_params;
        d += 2 * h.n_params + h.n_curve;
    }
    if (h.n_measures)
        r->measures = (double *)d;
}

/* bytes of a team message's member list: int32 each, padded so the doubles after it align */
size_t sym_wire_team_bytes(int n) { return 8 * (((size_t)n * sizeof(int32_t) + 7) / 8); }

/* bytes of the largest work message for this job */
size_t sym_wire_work_capacity(const sym_job *job)
{
    size_t maxp = 0;

    for (int c = 0; c < job->n_configs; c++) {
        sym_model *m = NULL;

        if (sym_model_create(&m, &job->configs[c].model) == 0) {
            size_t np = sym_model_n_params(m);

            maxp = np > maxp ? np : maxp;
        }
        sym_model_free(m);
    }
    return sizeof(work_header) + sym_wire_team_bytes(job->team_size) +
           (sizeof(double) * maxp > sizeof(int32_t) * MAX_CHUNK ? sizeof(double) * maxp
                                                                : sizeof(int32_t) * MAX_CHUNK);
}
