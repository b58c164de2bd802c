/*
 * symsweep merge: shards of one sweep (files made with run --shard, each
 * holding every run's row but computing only its own) into one file.  The
 * first shard is copied byte for byte; every other shard's computed rows are
 * patched in, dataset by dataset, a block of rows at a time.  Refuses shards
 * of different jobs and shards that computed the same run.
 */
#include "symsweep/io.h"
#include "symsweep/version.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

static int copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = NULL;
    char buf[1 << 16];
    size_t n;
    int rc = 0;

    if (!a)
        SYM_FAIL(SYM_EIO, "%s: cannot read: %s", from, strerror(errno));
    b = fopen(to, "wb");
    if (!b)
        SYM_FAIL(SYM_EIO, "%s: cannot create: %s", to, strerror(errno));
    while ((n = fread(buf, 1, sizeof(buf), a)) > 0)
        if (fwrite(buf, 1, n, b) != n)
            SYM_FAIL(SYM_EIO, "%s: write failed: %s", to, strerror(errno));
    if (ferror(a))
        SYM_FAIL(SYM_EIO, "%s: read failed", from);
cleanup:
    if (a)
        fclose(a);
    if (b && fclose(b) != 0 && rc == 0)
        rc = sym_err_set(SYM_EIO, __FILE__, __LINE__, "%s: close failed", to);
    return rc;
}

/* every per-run dataset of the merged file: /runs and /probes */
static int run_datasets(char ***out_paths, int *out_n, sym_h5 *out)
{
    char **paths = NULL;
    int npaths = 0, rc = 0;

    SYM_TRY(sym_h5_list_datasets(&paths, &npaths, out, SYM_PATH_RUNS));
    if (sym_h5_exists(out, SYM_PATH_PROBES)) {
        char **more = NULL;
        int nm = 0;
        char **all;

        SYM_TRY(sym_h5_list_datasets(&more, &nm, out, SYM_PATH_PROBES));
        all = realloc(paths, sizeof(char *) * (size_t)(npaths + nm));
        if (!all) {
            sym_h5_list_free(more, nm);
            SYM_FAIL(SYM_ENOMEM, "out of memory");
        }
        paths = all;
        memcpy(paths + npaths, more, sizeof(char *) * (size_t)nm);
        npaths += nm;
        free(more);
    }
cleanup:
    *out_paths = paths;
    *out_n = npaths;
    return rc;
}

/* the rows of @p path that shard @p in computed (status st != pending), into @p out */
static int copy_rows(sym_h5 *out, sym_h5 *in, const char *path, const int64_t *st, long long n_runs)
{
    char *block = NULL, *oblock = NULL;
    int rc = 0, rank;
    long long dims[8];
    size_t elem, row = 1;

    SYM_TRY(sym_h5_dataset_shape(&rank, dims, &elem, out, path));
    if (dims[0] != n_runs)
        goto cleanup; /* scales (/runs/curves/epoch, /probes/.../t) */
    for (int d = 1; d < rank; d++)
        row *= (size_t)dims[d];
    row *= elem;
    SYM_TRY(sym_alloc(&block, row * BLOCK));
    SYM_TRY(sym_alloc(&oblock, row * BLOCK));
    for (long long r0 = 0; r0 < n_runs; r0 += BLOCK) {
        long long m = n_runs - r0 < BLOCK ? n_runs - r0 : BLOCK;
        int any = 0;

        for (long long i = 0; i < m && !any; i++)
            any = st[r0 + i] != 0;
        if (!any)
            continue;
        SYM_TRY(sym_h5_read_block(block, in, path, r0, m));
        SYM_TRY(sym_h5_read_block(oblock, out, path, r0, m));
        for (long long i = 0; i < m; i++)
            if (st[r0 + i] != 0)
                memcpy(oblock + (size_t)i * row, block + (size_t)i * row, row);
        SYM_TRY(sym_h5_write_block(out, path, r0, m, oblock));
    }
cleanup:
    free(block);
    free(oblock);
    return rc;
}

/*
 * Every shard whole and from the same job, with the same number of runs (*n_runs); status[k]
 * (allocated here, n_runs + 1 values) the runs' statuses in shard k.
 */
static int read_shards(int64_t **status, long long *n_runs, const char *const *shards, int n_shards)
{
    sym_h5 *in = NULL;
    char *hash0 = NULL, *hash = NULL;
    long long n = 0;
    int rc = 0;

    for (int k = 0; k < n_shards; k++) {
        int checked;

        SYM_TRY(sym_h5_open_read(&in, shards[k]));
        /* a shard that is not whole, or changed, is not merged into anything */
        SYM_TRY(sym_h5_check_layout(&n, in, SYM_FORMAT_VERSION));
        SYM_TRY(sym_h5_verify(&checked, in));
        if (sym_h5_attr_read_string(&hash, in, "/", "job_sha256") < 0) /* the layout has it */
            SYM_FAIL(SYM_EIO, "%s: not a symsweep output file", shards[k]);
        if (k == 0) {
            hash0 = hash;
            hash = NULL;
        } else if (strcmp(hash, hash0) != 0) {
            SYM_FAIL(SYM_EJOB, "%s and %s come from different jobs (job_sha256 %.12s... vs %.12s...)",
                     shards[0], shards[k], hash0, hash);
        }
        free(hash);
        hash = NULL;
        if (k == 0) /* n: the run count sym_h5_check_layout read */
            *n_runs = n;
        else if (n != *n_runs)
            SYM_FAIL(SYM_EJOB, "%s has %lld runs, %s has %lld", shards[k], n, shards[0], *n_runs);
        SYM_TRY(sym_alloc(&status[k], sizeof(int64_t) * (size_t)(*n_runs + 1)));
        SYM_TRY(sym_h5_read_status(status[k], in, *n_runs));
        sym_h5_close(in);
        in = NULL;
    }
cleanup:
    sym_h5_close(in);
    free(hash0);
    free(hash);
    return rc;
}

/* the merged file's root: no shard any more, finished when no run is pending, and from how many */
static int mark_merged(sym_h5 *out, int n_shards, int pending)
{
    char now[64] = "";
    time_t t = time(NULL);
    struct tm tm;
    int rc = 0;

    gmtime_r(&t, &tm);
    if (pending == 0)
        strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    SYM_TRY(sym_h5_attr_string(out, "/", "shard", ""));
    SYM_TRY(sym_h5_attr_string(out, "/", "finished", now));
    SYM_TRY(sym_h5_attr_int(out, "/", "merged_shards", n_shards));
cleanup:
    return rc;
}

int sym_merge(FILE *report, const char *out_path, const char *const *shards, int n_shards, int force)
{
    sym_h5 *in = NULL, *out = NULL;
    sym_outlock *lock = NULL;
    char **paths = NULL;
    int64_t **status = NULL;
    long long n_runs = 0;
    int rc = 0, npaths = 0, counts[4] = {0};
    char tmp[1200] = "";

    if (n_shards < 1)
        SYM_FAIL(SYM_EUSAGE, "merge needs at least one shard file");
    /* before anything is touched: the output must not be one of the inputs */
    for (int k = 0; k < n_shards; k++)
        if (sym_same_file(out_path, shards[k]))
            SYM_FAIL(SYM_EUSAGE, "merge: the output %s is the shard %s: name a new output file",
                     out_path, shards[k]);
    /* no other merge or sweep writes OUT meanwhile (whether HDF5 locks or not) */
    SYM_TRY(sym_outlock_acquire(&lock, out_path));
    /* built under a temporary name, renamed over OUT only when complete */
    SYM_TRY(sym_outfile_prepare(tmp, sizeof(tmp), out_path, force, "use --force to replace it"));
    SYM_TRY(sym_alloc(&status, sizeof(int64_t *) * (size_t)n_shards));
    /* the same job, the same grid, and no run computed twice */
    SYM_TRY(read_shards(status, &n_runs, shards, n_shards));
    for (long long i = 0; i < n_runs; i++) {
        int owner = -1;

        for (int k = 0; k < n_shards; k++) {
            if (status[k][i] == 0)
                continue;
            if (owner >= 0)
                SYM_FAIL(SYM_EJOB, "run %lld is computed in both %s and %s: overlapping shards", i,
                         shards[owner], shards[k]);
            owner = k;
        }
        counts[owner >= 0 ? status[owner][i] : 0]++;
    }

    SYM_TRY(copy_file(shards[0], tmp));
    SYM_TRY(sym_h5_open_rw(&out, tmp));
    SYM_TRY(run_datasets(&paths, &npaths, out));
    for (int k = 1; k < n_shards; k++) {
        SYM_TRY(sym_h5_open_read(&in, shards[k]));
        for (int p = 0; p < npaths; p++)
            SYM_TRY(copy_rows(out, in, paths[p], status[k], n_runs));
        sym_h5_close(in);
        in = NULL;
    }
    SYM_TRY(mark_merged(out, n_shards, counts[0]));
    SYM_TRY(sym_h5_sync(out));
    rc = sym_h5_close(out);
    out = NULL;
    if (rc == 0)
        rc = sym_outfile_commit(tmp, out_path, force);
    if (rc < 0)
        goto cleanup;
    tmp[0] = '\0'; /* it is OUT now */
    fprintf(report, "%s: merged %d shard%s: %lld runs: %d done, %d diverged, %d failed, %d pending%s\n",
            out_path, n_shards, n_shards == 1 ? "" : "s", n_runs, counts[1], counts[2], counts[3],
            counts[0], counts[0] ? " (shards missing or unfinished)" : "");
cleanup:
    sym_h5_close(in);
    if (out) {
        int rc2 = sym_h5_close(out);

        rc = rc ? rc : rc2;
    }
    sym_outfile_discard(tmp); /* on failure: the old OUT, if any, is untouched */
    sym_outlock_release(lock);
    for (int k = 0; status && k < n_shards; k++)
        free(status[k]);
    free(status);
    sym_h5_list_free(paths, npaths);
    return rc < 0 ? rc : counts[0];
}
