/*
 * HDF5 wrapper, attributes the declarations (schema.h) add beyond h5.c's scalars: arrays of
 * int64, float64 and strings, and the group an attribute is for when no dataset made it
 * (a probe whose datasets all lie under /runs/metrics still has its /probes/NAME).
 */
#include "h5_impl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sym_h5_ensure_group(sym_h5 *f, const char *path)
{
    hid_t lcpl = -1, g = -1;
    htri_t have = 1;
    char part[1024];
    int rc = 0;

    /* H5Lexists wants every link before the last: look one component at a time */
    for (const char *q = path + (path[0] == '/'); have > 0; q++) {
        q += strcspn(q, "/");
        snprintf(part, sizeof(part), "%.*s", (int)(q - path), path);
        H5CHK(have = H5Lexists(f->file, part, H5P_DEFAULT));
        if (!*q)
            break;
    }
    if (have > 0)
        return 0;
    f->seal_dirty = 1;
    H5CHK(lcpl = H5Pcreate(H5P_LINK_CREATE));
    H5CHK(H5Pset_create_intermediate_group(lcpl, 1));
    H5CHK(g = H5Gcreate2(f->file, path, lcpl, H5P_DEFAULT, H5P_DEFAULT));
cleanup:
    if (g >= 0) H5Gclose(g);
    if (lcpl >= 0) H5Pclose(lcpl);
    return rc;
}

int sym_h5_attr_array(sym_h5 *f, const char *obj, const char *name, sym_h5_type type, int n,
                      const void *values)
{
    hsize_t dim = (hsize_t)n;
    hid_t o = -1, sp = -1, a = -1, t = -1;
    int rc = 0;

    SYM_ASSERT(type == SYM_H5_INT64 || type == SYM_H5_DOUBLE || type == SYM_H5_STRING);
    f->seal_dirty = 1;
    H5CHK(o = H5Oopen(f->file, obj, H5P_DEFAULT));
    if (H5Aexists(o, name) > 0)
        H5CHK(H5Adelete(o, name));
    H5CHK(t = type == SYM_H5_STRING ? sym_h5i_str_type()
                                    : H5Tcopy(type == SYM_H5_INT64 ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE));
    H5CHK(sp = H5Screate_simple(1, &dim, NULL));
    H5CHK(a = H5Acreate2(o, name, t, sp, H5P_DEFAULT, H5P_DEFAULT));
    if (n > 0)
        H5CHK(H5Awrite(a, t, values));
cleanup:
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (o >= 0) H5Oclose(o);
    return rc;
}
