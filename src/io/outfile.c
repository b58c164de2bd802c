/*
 * Output files are made under a temporary name beside their final path and
 * renamed over it only once complete, so that nothing the user has (a file a
 * running sweep writes, a shard being merged) is truncated or removed before
 * the new file is whole.  A file another process holds locked is refused
 * before anything is made.
 */
#include "symsweep/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void sym_path_dir(char *dir, size_t n, const char *path)
{
    const char *slash = strrchr(path, '/');

    /* "a/b.h5" -> "a", "/b.h5" -> "/", "b.h5" -> "." */
    snprintf(dir, n, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1, slash ? path : ".");
}

int sym_outfile_locked(const char *path)
{
    int fd = open(path, O_RDONLY), locked = 0;

    /* HDF5 holds an exclusive flock on a file open for writing; ours is
     * released at close */
    if (fd >= 0) {
        locked = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
        close(fd);
    }
    return locked;
}

int sym_outfile_prepare(char *tmp, size_t n, const char *path, int force, const char *replace_hint)
{
    struct stat sb;
    const char *slash = strrchr(path, '/');
    int rc = 0;

    if (!path[0])
        SYM_FAIL(SYM_EUSAGE, "the output file name is empty");
    if (stat(path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            SYM_FAIL(SYM_EUSAGE, "%s: is a directory, not an output file", path);
        if (!force)
            SYM_FAIL(SYM_EEXIST, "%s: output file exists (%s)", path, replace_hint);
        if (sym_outfile_locked(path))
            SYM_FAIL(SYM_EEXIST,
                     "%s: another process has the file open for writing (a sweep still "
                     "running?): not replacing it",
                     path);
    }
    {
        char dir[1024];

        sym_path_dir(dir, sizeof(dir), path);
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
            SYM_FAIL(SYM_EUSAGE, "%s: the directory %s does not exist", path, dir);
        if (access(dir, W_OK | X_OK) != 0)
            SYM_FAIL(SYM_EUSAGE, "%s: the directory %s is not writable", path, dir);
    }
    if (snprintf(tmp, n, "%.*s.%s.%ld.tmp", slash ? (int)(slash - path + 1) : 0, path,
                 slash ? slash + 1 : path, (long)getpid()) >= (int)n)
        SYM_FAIL(SYM_EUSAGE, "%s: output path too long", path);
cleanup:
    return rc;
}

int sym_outfile_commit(const char *tmp, const char *path)
{
    int rc = 0;

    if (rename(tmp, path) != 0)
        SYM_FAIL(SYM_EIO, "%s: cannot rename the new file %s to it: %s", path, tmp, strerror(errno));
cleanup:
    return rc;
}

int sym_same_file(const char *a, const char *b)
{
    struct stat sa, sb;

    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
