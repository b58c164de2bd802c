/*
 * symsweep summary: status counts and, for every metric, the mean, standard
 * deviation and 95% t confidence interval over the done runs of each group
 * (by default one group per configuration, i.e. over seeds).  Reads only the
 * small datasets (/grid, /runs/status, /runs/metrics), never weights.
 */
#include "symsweep/io.h"
#include "symsweep/version.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct column {
    char name[160];
    int is_string;
    double *num;
    char **str;
} column;

static void value_text(char *buf, size_t cap, const column *c, long long i)
{
    if (c->is_string)
        snprintf(buf, cap, "%s", c->str[i] ? c->str[i] : "");
    else
        snprintf(buf, cap, "%.6g", c->num[i]);
}

/* default grouping: the columns of the sweep axes (root attribute "axes") */
static int default_by(char *out, size_t cap, sym_h5 *f)
{
    char *axes = NULL;
    int rc = 0;

    out[0] = '\0';
    if (sym_h5_attr_read_string(&axes, f, "/", "axes") < 0) {
        sym_err_clear(); /* files without axes: one group */
        return 0;
    }
    /* "a; zip(b, c)" -> "a,b,c" */
    for (char *p = axes; *p; p++) {
        if (*p == ';' || *p == ',')
            strncat(out, ",", cap - strlen(out) - 1);
        else if (*p != ' ' && strncmp(p, "zip(", 4) != 0 && *p != ')')
            strncat(out, (char[]){*p, 0}, cap - strlen(out) - 1);
        else if (strncmp(p, "zip(", 4) == 0)
            p += 3;
    }
    free(axes);
    return rc;
}

/* whether a sweep may be writing @p path now: a lock on it, or its record
 * (PATH.progress) saying running */
static int writer_may_be_active(const char *path)
{
    char side[1200], line[256];
    int running = 0;
    FILE *pf;

    if (sym_outfile_locked(path))
        return 1;
    snprintf(side, sizeof(side), "%s.progress", path);
    pf = fopen(side, "r");
    while (pf && fgets(line, sizeof(line), pf))
        if (!strncmp(line, "state=running", 13))
            running = 1;
    if (pf)
        fclose(pf);
    return running;
}

/* open a symsweep output file and read /runs/status: n runs, the count per status */
static int open_status(sym_h5 **f, int64_t **status, long long *n, int counts[4], const char *path,
                       int verify)
{
    int rc = 0, checked = 0;

    /* every chunk's checksum and the seal, whoever holds a lock on the file: a
     * lock proves nothing (any process may take one).  A sweep writing the file
     * now may be caught rewriting a chunk (or, at its start and end, its
     * attributes and seal): then a mismatch is read again, and only one that
     * stays over 0.7 s is corruption */
    for (int attempt = 0;; attempt++) {
        rc = sym_h5_open_read(f, path);
        if (rc == 0)
            rc = sym_h5_check_layout(n, *f, SYM_FORMAT_VERSION);
        if (rc == 0 && verify)
            rc = sym_h5_verify(&checked, *f);
        if (rc != SYM_ECORRUPT || attempt == 3 || !writer_may_be_active(path))
            break;
        sym_h5_close(*f);
        *f = NULL;
        sym_err_clear();
        usleep(100000u << attempt); /* 0.1, 0.2, 0.4 s */
    }
    if (rc < 0)
        goto cleanup;
    SYM_TRY(sym_alloc(status, sizeof(int64_t) * (size_t)(*n + 1)));
    SYM_TRY(sym_h5_read_status(*status, *f, *n));
    for (long long i = 0; i < *n; i++)
        counts[(*status)[i]]++;
cleanup:
    return rc;
}

/* the --by columns (comma-separated /grid names) of @p n runs */
static int read_columns(column **out, int *n_out, sym_h5 *f, const char *path, char *bybuf, long long n)
{
    column *cols = NULL;
    int ncols = 0, rc = 0;

    for (char *tok = strtok(bybuf, ","); tok; tok = strtok(NULL, ",")) {
        char dpath[200];
        column *c;

        if (!*tok)
            continue;
        snprintf(dpath, sizeof(dpath), SYM_PATH_GRID "/%s", tok);
        if (!sym_h5_exists(f, dpath)) {
            char **names = NULL, list[1024] = "";
            int nn = 0;

            if (sym_h5_exists(f, SYM_PATH_GRID) && sym_h5_list(&names, &nn, f, SYM_PATH_GRID) == 0) {
                for (int i = 0; i < nn; i++) {
                    strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
                    strncat(list, names[i], sizeof(list) - strlen(list) - 1);
                    free(names[i]);
                }
                free(names);
            }
            SYM_FAIL(SYM_EUSAGE, "--by %s: %s has no grid column %s; it has: %s", tok, path, tok,
                     list);
        }
        c = realloc(cols, sizeof(*cols) * (size_t)(ncols + 1));
        if (!c)
            SYM_FAIL(SYM_ENOMEM, "out of memory");
        cols = c;
        c = &cols[ncols++];
        memset(c, 0, sizeof(*c));
        snprintf(c->name, sizeof(c->name), "%s", tok);
        c->is_string = sym_h5_is_string(f, dpath);
        if (c->is_string) {
            SYM_TRY(sym_alloc(&c->str, sizeof(char *) * (size_t)(n + 1)));
            SYM_TRY(sym_h5_read_strings(c->str, f, dpath, n));
        } else {
            SYM_TRY(sym_alloc(&c->num, sizeof(double) * (size_t)(n + 1)));
            SYM_TRY(sym_h5_read_doubles(c->num, f, dpath, n));
        }
    }

cleanup:
    *out = cols;
    *n_out = ncols;
    return rc;
}

/* runs into groups of equal column values, in order of first appearance (the grid order) */
static int assign_groups(int *group, char **keys, int *n_groups, const column *cols, int ncols,
                         long long n)
{
    int ngroups = 0, rc = 0;

    for (long long i = 0; i < n; i++) {
        char key[2048] = "", v[512];
        int g = 0;

        for (int k = 0; k < ncols; k++) {
            value_text(v, sizeof(v), &cols[k], i);
            strncat(key, k ? "\x1f" : "", sizeof(key) - strlen(key) - 1);
            strncat(key, v, sizeof(key) - strlen(key) - 1);
        }
        /* runs of one configuration are adjacent: compare with the last group first */
        for (g = ngroups - 1; g >= 0 && strcmp(keys[g], key) != 0; g--)
            ;
        if (g < 0) {
            g = ngroups++;
            SYM_TRY(sym_strdup(&keys[g], key));
        }
        group[i] = g;
    }

cleanup:
    *n_groups = ngroups;
    return rc;
}

/* one group's statistics of one metric: a CSV line or a table row */
static void print_row(FILE *out, int csv, const column *cols, int ncols, long long first,
                      const char *metric, int width, size_t cnt, double mean, double sd, double half)
{
    if (csv) {
        for (int k = 0; k < ncols; k++) {
            char v[512];

            value_text(v, sizeof(v), &cols[k], first);
            /* quote text: labels contain commas */
            if (cols[k].is_string) {
                fputc('"', out);
                for (char *p = v; *p; p++) {
                    if (*p == '"')
                        fputc('"', out);
                    fputc(*p, out);
                }
                fputs("\",", out);
            } else {
                fprintf(out, "%s,", v);
            }
        }
        fprintf(out, "%s,%zu,%.17g,%.17g,%.17g,%.17g\n", metric, cnt, mean, sd,
                mean - half, mean + half);
    } else {
        char label[1024] = "";

        for (int k = 0; k < ncols; k++) {
            char v[512];

            value_text(v, sizeof(v), &cols[k], first);
            snprintf(label + strlen(label), sizeof(label) - strlen(label), "%s%s=%s",
                     k ? " " : "", cols[k].name, v);
        }
        fprintf(out, "  %-*s n=%-5zu mean %-12.6g", width, ncols ? label : "all runs", cnt,
                mean);
        if (isnan(half))
            fprintf(out, "\n");
        else
            fprintf(out, " +- %-11.4g std %.4g\n", half, sd);
    }
}

/* the label column is as wide as the longest label (at least 8) */
static int label_width(const int *group, int ngroups, const column *cols, int ncols)
{
    int width = 8;

    for (int g = 0; g < ngroups; g++) {
        int w = 0;

        for (int k = 0; k < ncols; k++) {
            char v[512];
            long long first = 0;

            while (group[first] != g)
                first++;
            value_text(v, sizeof(v), &cols[k], first);
            w += (int)(strlen(cols[k].name) + strlen(v)) + 2;
        }
        width = w > width ? w : width;
    }
    return width;
}

int sym_summary_print(FILE *out, const char *path, const char *by, int csv, int verify)
{
    sym_h5 *f = NULL;
    long long n = 0;
    int64_t *status = NULL;
    column *cols = NULL;
    int ncols = 0, nmet = 0, ngroups = 0, rc = 0;
    char **metrics = NULL, **keys = NULL, bybuf[2048];
    int *group = NULL, counts[4] = {0}, width;
    double *vals = NULL, *buf = NULL;
    char *job_name = NULL;

    SYM_TRY(open_status(&f, &status, &n, counts, path, verify));
    if (sym_h5_attr_read_string(&job_name, f, "/", "job_name") < 0) {
        sym_err_clear();
        SYM_TRY(sym_strdup(&job_name, "?"));
    }

    /* grouping columns */
    if (!by)
        SYM_TRY(default_by(bybuf, sizeof(bybuf), f));
    else
        snprintf(bybuf, sizeof(bybuf), "%s", by);
    SYM_TRY(read_columns(&cols, &ncols, f, path, bybuf, n));

    /* groups in order of first appearance (the grid order) */
    SYM_TRY(sym_alloc(&group, sizeof(int) * (size_t)(n + 1)));
    SYM_TRY(sym_alloc(&keys, sizeof(char *) * (size_t)(n + 1)));
    SYM_TRY(assign_groups(group, keys, &ngroups, cols, ncols, n));

    if (sym_h5_exists(f, SYM_PATH_METRICS))
        SYM_TRY(sym_h5_list(&metrics, &nmet, f, SYM_PATH_METRICS));
    SYM_TRY(sym_alloc(&vals, sizeof(double) * (size_t)(n + 1)));
    SYM_TRY(sym_alloc(&buf, sizeof(double) * (size_t)(n + 1)));
    width = label_width(group, ngroups, cols, ncols);

    if (csv) {
        for (int k = 0; k < ncols; k++)
            fprintf(out, "%s,", cols[k].name);
        fprintf(out, "metric,n,mean,std,ci95_low,ci95_high\n");
    } else {
        fprintf(out, "%s: job '%s': %lld runs: %d done, %d diverged, %d failed, %d pending\n", path,
                job_name, n, counts[1], counts[2], counts[3], counts[0]);
        if (ncols)
            fprintf(out, "%d groups by %s; statistics over the done runs of each group (95%% CI: Student t)\n",
                    ngroups, bybuf[0] ? by ? by : "the sweep axes" : "-");
    }
    for (int m = 0; m < nmet; m++) {
        char mpath[256];

        snprintf(mpath, sizeof(mpath), SYM_PATH_METRICS "/%s", metrics[m]);
        SYM_TRY(sym_h5_read_doubles(vals, f, mpath, n));
        if (!csv)
            fprintf(out, "\n%s\n", metrics[m]);
        for (int g = 0; g < ngroups; g++) {
            size_t cnt = 0;
            double mean, sd, half;
            long long first = -1;

            for (long long i = 0; i < n; i++)
                if (group[i] == g) {
                    if (first < 0)
                        first = i;
                    if (status[i] == 1 && isfinite(vals[i]))
                        buf[cnt++] = vals[i];
                }
            sym_mean_ci(&mean, &sd, &half, buf, cnt);
            print_row(out, csv, cols, ncols, first, metrics[m], width, cnt, mean, sd, half);
        }
    }
cleanup:
    for (int k = 0; k < ncols; k++) {
        for (long long i = 0; cols[k].str && i < n; i++)
            free(cols[k].str[i]);
        free(cols[k].str);
        free(cols[k].num);
    }
    free(cols);
    sym_h5_list_free(metrics, nmet);
    for (int g = 0; g < ngroups; g++)
        free(keys[g]);
    free(keys);
    free(group);
    free(status);
    free(vals);
    free(buf);
    free(job_name);
    sym_h5_close(f);
    return rc;
}

/* ------------------------------------------------------------------ */
/* status of a (possibly running) sweep                               */
/* ------------------------------------------------------------------ */

/* ".OUT.PID.tmp": what a run or merge builds OUT in; not a shard, not a result */
static int refuse_temporary(const char *path)
{
    char final[1100];
    long maker;
    int rc = 0;

    if (sym_outfile_temporary(final, sizeof(final), &maker, path)) {
        int alive = kill((pid_t)maker, 0) == 0 || errno == EPERM;

        if (alive)
            SYM_FAIL(SYM_EUSAGE,
                     "%s: not a result file: the temporary file in which a symsweep run or "
                     "merge (pid %ld, running on this host) is making %s; it becomes %s "
                     "when complete: 'symsweep status %s' then",
                     path, maker, final, final, final);
        SYM_FAIL(SYM_EUSAGE,
                 "%s: not a result file: a temporary file left by a symsweep run or merge "
                 "(pid %ld, not running on this host) that was making %s and stopped before "
                 "it was complete; nothing in it counts as a result: remove it (unless "
                 "that process runs on another node)",
                 path, maker, final);
    }
cleanup:
    return rc;
}

/* the run's progress record (OUT.progress, written at every checkpoint) */
typedef struct progress {
    char state[64], host[256];
    long long updated, pid, launcher;
    double rate, eta, every;
    int s_runs, s_done;
} progress;

static void read_progress(progress *p, const char *side)
{
    char line[256];
    FILE *pf = fopen(side, "r");

    memset(p, 0, sizeof(*p));
    p->pid = -1;
    p->rate = p->eta = -1;
    p->every = 60;
    p->s_runs = p->s_done = -1;
    while (pf && fgets(line, sizeof(line), pf)) {
        sscanf(line, "state=%63s", p->state);
        sscanf(line, "updated=%lld", &p->updated);
        sscanf(line, "rate=%lf", &p->rate);
        sscanf(line, "eta_s=%lf", &p->eta);
        sscanf(line, "session_runs=%d", &p->s_runs);
        sscanf(line, "session_done=%d", &p->s_done);
        sscanf(line, "pid=%lld", &p->pid);
        sscanf(line, "launcher=%lld", &p->launcher);
        sscanf(line, "host=%255s", p->host);
        sscanf(line, "checkpoint_every=%lf", &p->every);
    }
    if (pf)
        fclose(pf);
}

/* what the record says of the writer, checked against this host's processes */
static void print_progress(FILE *out, const progress *p)
{
    char here[256] = "";
    long long ago = (long long)time(NULL) - p->updated;
    int running = !strcmp(p->state, "running"), dead = 0, stale = 0, orphan = 0;

    /* "running" is what the writer last said; a killed writer says no more */
    gethostname(here, sizeof(here) - 1);
    if (running && p->pid > 0 && !strcmp(p->host, here) && kill((pid_t)p->pid, 0) != 0 &&
        errno == ESRCH)
        dead = 1;
    /* rank 0 alive but its launcher gone: mpirun ended the job (a worker died) and rank 0
     * is being torn down; it will write no more */
    else if (running && p->launcher > 0 && !strcmp(p->host, here) &&
             kill((pid_t)p->launcher, 0) != 0 && errno == ESRCH)
        dead = orphan = 1;
    else if (running && ago > 3 * p->every + 60)
        stale = 1;
    fprintf(out, "  %s, last checkpoint %lld s ago",
            dead    ? "NOT RUNNING (the record says running)"
            : stale ? "STALE (the record says running)"
                    : p->state,
            ago);
    if (p->rate > 0)
        fprintf(out, "; this session %d/%d runs at %.3g runs/s", p->s_done, p->s_runs, p->rate);
    if (p->eta >= 0 && running && !dead && !stale)
        fprintf(out, ", ETA %d:%02d:%02d", (int)(p->eta / 3600), (int)(p->eta / 60) % 60,
                (int)p->eta % 60);
    fprintf(out, "\n");
    if (orphan)
        fprintf(out, "  its launcher (pid %lld on %s) is gone, so the sweep is ending without a "
                     "final checkpoint (a rank killed?): continue it with run --resume once "
                     "rank 0 (pid %lld) has exited\n", p->launcher, p->host, p->pid);
    else if (dead)
        fprintf(out, "  the sweep that wrote it (pid %lld on %s) is gone without a final "
                     "checkpoint (killed?): continue it with run --resume\n", p->pid, p->host);
    if (stale)
        fprintf(out, "  no checkpoint for %lld s although the sweep checkpoints every %.0f s: "
                     "it may be dead or hung (rank 0 was pid %lld on %s)\n",
                ago, p->every, p->pid, p->host[0] ? p->host : "an unknown host");
}

/* the first failed runs' errors */
static int print_failures(FILE *out, sym_h5 *f, const int64_t *st, long long n, int failed)
{
    long long dims[8];
    size_t elem;
    char *err = NULL;
    int rc = 0, rank, shown = 0;

    /* /runs/error is fixed-length text: read it as raw rows */
    SYM_TRY(sym_h5_dataset_shape(&rank, dims, &elem, f, SYM_PATH_ERROR));
    SYM_TRY(sym_alloc(&err, elem * (size_t)n + 1));
    SYM_TRY(sym_h5_read_block(err, f, SYM_PATH_ERROR, 0, n));
    for (long long i = 0; i < n && shown < 5; i++)
        if (st[i] == 3) {
            fprintf(out, "  failed run %lld: %.*s\n", i, (int)elem, err + (size_t)i * elem);
            shown++;
        }
    if (failed > shown)
        fprintf(out, "  ... and %d more failed runs (see /runs/error)\n", failed - shown);
cleanup:
    free(err);
    return rc;
}

int sym_status_print(FILE *out, const char *path)
{
    sym_h5 *f = NULL;
    int64_t *st = NULL;
    long long n = 0;
    int rc = 0, counts[4] = {0};
    char side[1200], *shard = NULL, *finished = NULL;
    progress pr;

    SYM_TRY(refuse_temporary(path));
    SYM_TRY(open_status(&f, &st, &n, counts, path, 1));
    if (sym_h5_attr_read_string(&shard, f, "/", "shard") < 0) {
        sym_err_clear();
        SYM_TRY(sym_strdup(&shard, ""));
    }
    if (sym_h5_attr_read_string(&finished, f, "/", "finished") < 0) {
        sym_err_clear();
        SYM_TRY(sym_strdup(&finished, ""));
    }
    snprintf(side, sizeof(side), "%s.progress", path);
    read_progress(&pr, side);
    if (finished[0] && strcmp(pr.state, "finished") != 0 && pr.state[0])
        snprintf(pr.state, sizeof(pr.state), "finished"); /* the file's own stamp outranks the record */
    fprintf(out, "%s%s%s: %d/%lld runs written (%.1f%%): %d done, %d diverged, %d failed, %d pending\n",
            path, shard[0] ? " shard " : "", shard, counts[1] + counts[2] + counts[3], n,
            n ? 100.0 * (counts[1] + counts[2] + counts[3]) / n : 100.0, counts[1], counts[2],
            counts[3], counts[0]);
    if (pr.state[0])
        print_progress(out, &pr);
    else
        fprintf(out, "  (no %s: rate and ETA unknown)\n", side);
    if (counts[3])
        SYM_TRY(print_failures(out, f, st, n, counts[3]));
cleanup:
    free(shard);
    free(finished);
    free(st);
    sym_h5_close(f);
    return rc;
}
