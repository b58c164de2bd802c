/*
 * The input files a job's runs read (data files, model.init files, plug-ins) and their
 * SHA-256 digests: recorded in the output when it is created, compared by --resume, so that a
 * sweep never mixes runs made from two versions of an input.
 */
#include "job_impl.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


static int hash_file(char hex[65], const char *path)
{
    sym_sha256_ctx h;
    uint8_t d[32];
    unsigned char *buf = NULL;
    struct stat sb;
    FILE *f = NULL;
    size_t n;
    int rc = 0;

    /* before opening, as for the job file: a FIFO put there since the job was read would wait */
    if (stat(path, &sb) != 0)
        SYM_FAIL(SYM_EIO, "%s: input file: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        SYM_FAIL(SYM_EIO, "%s: input file: expected a regular file", path);
    f = fopen(path, "rb");
    if (!f)
        SYM_FAIL(SYM_EIO, "%s: input file: cannot read it: %s", path, strerror(errno));
    SYM_TRY(sym_alloc(&buf, 1u << 20));
    sym_sha256_init(&h);
    while ((n = fread(buf, 1, 1u << 20, f)) > 0)
        sym_sha256_update(&h, buf, n);
    if (ferror(f))
        SYM_FAIL(SYM_EIO, "%s: input file: read error: %s", path, strerror(errno));
    sym_sha256_final(&h, d);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
cleanup:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

/* append "HEX  PATH\n" unless PATH is listed already */
static int add_input(char **list, size_t *len, const char *path)
{
    size_t pl = strlen(path), need;
    char hex[65], *grown;
    int rc = 0;

    for (const char *q = *list; q && *q;) { /* "HEX  PATH\n" lines */
        const char *e = strchr(q, '\n');

        if ((size_t)(e - (q + 66)) == pl && memcmp(q + 66, path, pl) == 0)
            return 0;
        q = e + 1;
    }
    SYM_TRY(hash_file(hex, path));
    need = *len + 64 + 2 + pl + 2;
    grown = realloc(*list, need);
    if (!grown)
        SYM_FAIL(SYM_ENOMEM, "out of memory for the input digests");
    *list = grown;
    *len += (size_t)snprintf(*list + *len, need - *len, "%s  %s\n", hex, path);
cleanup:
    return rc;
}

int sym_job_input_digests(char **out, const sym_job *job)
{
    char *list = NULL;
    size_t len = 0;
    int rc = 0;

    *out = NULL;
    for (int k = 0; k < job->n_configs; k++) {
        const sym_job_config *cfg = &job->configs[k];

        if (sym_data_from_file(cfg->data.kind))
            SYM_TRY(add_input(&list, &len, cfg->data.file));
        if (cfg->data.kind == SYM_DATA_IDX) /* and the test split's files */
            for (int f = 0; f < 3; f++) {
                const char *path = f == 0 ? cfg->data.labels : f == 1 ? cfg->data.test_x : cfg->data.test_y;

                if (path[0])
                    SYM_TRY(add_input(&list, &len, path));
            }
        if (cfg->init.on)
            SYM_TRY(add_input(&list, &len, cfg->init.file));
    }
    for (int p = 0; p < job->n_probes; p++)
        if (job->probes[p].plugin_path[0])
            SYM_TRY(add_input(&list, &len, job->probes[p].plugin_path));
    *out = list;
    list = NULL;
cleanup:
    free(list);
    return rc;
}

int sym_job_inputs_unchanged(const char *out_path, const char *then, const char *now)
{
    const char *a = then, *b = now ? now : "";
    int rc = 0, k = 0;

    if (!then) /* written before symsweep recorded digests: nothing to compare with */
        return 0;
    for (; *a && *b; k++) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');

        if (!ea || !eb || ea - a < 66 || eb - b < 66)
            break;
        if (memcmp(a, b, 64) != 0) {
            int same = ea - a == eb - b && memcmp(a + 66, b + 66, (size_t)(ea - a - 66)) == 0;

            SYM_FAIL(SYM_EJOB, "%s: cannot resume: the input file %.*s changed since the sweep "
                     "started (SHA-256 %.12s... then%s%.*s, %.12s... now): the runs done read "
                     "the old one; restore it, or start again with --force", out_path,
                     (int)(eb - b - 66), b + 66, a, same ? "" : " as ", same ? 0 : (int)(ea - a - 66),
                     a + 66, b);
        }
        a = ea + 1;
        b = eb + 1;
    }
    if (*a || *b) {
        int n_then = 0, n_now = 0;

        for (const char *q = then; *q; q++)
            n_then += *q == '\n';
        for (const char *q = now ? now : ""; *q; q++)
            n_now += *q == '\n';
        SYM_FAIL(SYM_EJOB, "%s: cannot resume: the file recorded %d input files, the job reads %d "
                 "now", out_path, n_then, n_now);
    }
cleanup:
    return rc;
}
