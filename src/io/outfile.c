/*
 * Output files are made under a temporary name beside their final path and
 * renamed over it only once complete, so that nothing the user has (a file a
 * running sweep writes, a shard being merged) is truncated or removed before
 * the new file is whole.  A new file never replaces one that appeared in the
 * meantime: without --force the final step is a rename that refuses to
 * replace (or a hard link), not a check followed by a rename.
 *
 * A writer also holds a lock of its own, OUT.lock, for as long as it writes:
 * HDF5's lock is off where HDF5_USE_FILE_LOCKING=FALSE (common on Lustre and
 * NFS), and it is taken on the temporary file, not on OUT, while a new file
 * is being made.  The lock is an open-file-description (or POSIX) fcntl lock,
 * which NFS (through its lock manager) and Lustre (mounted with flock) keep
 * across nodes.
 */
#define _GNU_SOURCE /* F_OFD_SETLK, renameat2 */
#include "symsweep/io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- files to remove if a signal ends the process (merge) ---- */

#define N_DEBRIS 4
static char debris[N_DEBRIS][1200];
static volatile sig_atomic_t debris_used[N_DEBRIS];

static void debris_add(const char *path)
{
    for (int k = 0; k < N_DEBRIS; k++)
        if (!debris_used[k]) {
            snprintf(debris[k], sizeof(debris[k]), "%s", path);
            debris_used[k] = 1;
            return;
        }
}

static void debris_forget(const char *path)
{
    for (int k = 0; k < N_DEBRIS; k++)
        if (debris_used[k] && !strcmp(debris[k], path))
            debris_used[k] = 0;
}

/* signals held off while a file is made and recorded (or removed and forgotten), so
 * that a handler calling sym_outfile_remove_debris never sees one without the other */
static void hold_signals(sigset_t *old)
{
    sigset_t all;

    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, old);
}

static void release_signals(const sigset_t *old) { sigprocmask(SIG_SETMASK, old, NULL); }

void sym_outfile_remove_debris(void)
{
    /* from a signal handler: unlink is async-signal-safe */
    for (int k = 0; k < N_DEBRIS; k++)
        if (debris_used[k]) {
            debris_used[k] = 0;
            unlink(debris[k]);
        }
}

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

/* the directory of @p path exists and is writable */
static int check_dir(const char *path)
{
    struct stat sb;
    char dir[1024];
    int rc = 0;

    sym_path_dir(dir, sizeof(dir), path);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        SYM_FAIL(SYM_EUSAGE, "%s: the directory %s does not exist", path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        SYM_FAIL(SYM_EUSAGE, "%s: the directory %s is not writable", path, dir);
cleanup:
    return rc;
}

/* ---- our own lock: OUT.lock ---- */

struct sym_outlock {
    int fd;
    char path[1200];
};

/* an exclusive lock on the whole of @p fd without waiting: 0, or errno */
static int lock_fd(int fd)
{
    struct flock fl;

    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
#ifdef F_OFD_SETLK
    /* an open file description's lock: not dropped when this process closes
     * another descriptor of the file, and it excludes this process's other
     * descriptions too */
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
        return 0;
    if (errno != EINVAL)
        return errno == EACCES ? EAGAIN : errno;
#endif
    if (fcntl(fd, F_SETLK, &fl) == 0)
        return 0;
    return errno == EACCES ? EAGAIN : errno;
}

/* the holder's record ("pid 12 on node7"), or "" */
static void read_holder(char *who, size_t n, int fd)
{
    char buf[512];
    ssize_t got = pread(fd, buf, sizeof(buf) - 1, 0);
    long pid = 0;
    char host[256] = "";

    who[0] = '\0';
    if (got <= 0)
        return;
    buf[got] = '\0';
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        sscanf(line, "pid=%ld", &pid);
        sscanf(line, "host=%255s", host);
    }
    if (pid > 0)
        snprintf(who, n, "pid %ld on %s", pid, host[0] ? host : "an unknown host");
}

static int locking_off(void)
{
    const char *v = getenv("SYMSWEEP_FILE_LOCKING");

    return v && (!strcmp(v, "FALSE") || !strcmp(v, "false") || !strcmp(v, "0"));
}

int sym_outlock_acquire(sym_outlock **out, const char *path)
{
    sym_outlock *l = NULL;
    int rc = 0, err = 0, made = 0, held = 0;
    sigset_t old;

    *out = NULL;
    if (locking_off())
        return 0;
    SYM_TRY(sym_alloc(&l, sizeof(*l)));
    l->fd = -1;
    if (snprintf(l->path, sizeof(l->path), "%s.lock", path) >= (int)sizeof(l->path))
        SYM_FAIL(SYM_EUSAGE, "%s: output path too long", path);
    /* the lock file is made beside the output (a resume needs that too) */
    SYM_TRY(check_dir(path));
    hold_signals(&old);
    held = 1;
    /* the holder removes the lock file while it still holds it, so a lock
     * taken on a file that is no longer at the path is no lock: try again */
    for (int tries = 0; tries < 100; tries++) {
        struct stat a, b;

        /* made by us (removed again if it cannot be locked), or another's */
        l->fd = open(l->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
        made = l->fd >= 0;
        if (l->fd < 0 && errno == EEXIST) {
            l->fd = open(l->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
            if (l->fd < 0 && errno == ENOENT)
                continue; /* removed between the two opens */
        }
        if (l->fd < 0)
            SYM_FAIL(SYM_EUSAGE,
                     "%s: cannot make the lock file %s (which keeps a second sweep from writing "
                     "the file): %s",
                     path, l->path, strerror(errno));
        if (fstat(l->fd, &a) != 0 || !S_ISREG(a.st_mode))
            SYM_FAIL(SYM_EUSAGE, "%s: %s is not a regular file: remove it", path, l->path);
        err = lock_fd(l->fd);
        if (err == EAGAIN) {
            char who[300];

            read_holder(who, sizeof(who), l->fd);
            SYM_FAIL(SYM_EEXIST,
                     "%s: another process has the file open for writing (a symsweep%s%s%s holds "
                     "%s): not touching it; 'symsweep status %s' tells how far it is",
                     path, who[0] ? ", " : "", who, who[0] ? "," : "", l->path, path);
        }
        if (err && made)
            unlink(l->path);
        if (err)
            SYM_FAIL(SYM_EUSAGE,
                     "%s: cannot lock %s: %s: this file system keeps no locks, so symsweep cannot "
                     "make sure that no other sweep writes the file; mount it with locking (NFS: "
                     "lockd or NFSv4; Lustre: -o flock) or, knowing the risk, set "
                     "SYMSWEEP_FILE_LOCKING=FALSE",
                     path, l->path, strerror(err));
        if (stat(l->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            break;
        close(l->fd); /* a removed lock file: its lock guards nothing */
        l->fd = -1;
    }
    if (l->fd < 0)
        SYM_FAIL(SYM_EIO, "%s: cannot lock %s: it keeps being replaced", path, l->path);
    {
        /* who holds it, for the message of a sweep refused */
        char rec[400], host[256] = "";
        int len;

        gethostname(host, sizeof(host) - 1);
        len = snprintf(rec, sizeof(rec), "pid=%ld\nhost=%s\n", (long)getpid(), host);
        if (ftruncate(l->fd, 0) != 0 || pwrite(l->fd, rec, (size_t)len, 0) != len) {
            /* a full disk: the lock holds without its record */
        }
    }
    debris_add(l->path);
    *out = l;
    l = NULL;
cleanup:
    if (l && l->fd >= 0)
        close(l->fd);
    if (held)
        release_signals(&old);
    free(l);
    return rc;
}

void sym_outlock_release(sym_outlock *l)
{
    sigset_t old;

    if (!l)
        return;
    hold_signals(&old);
    unlink(l->path); /* while held: see sym_outlock_acquire */
    debris_forget(l->path);
    release_signals(&old);
    close(l->fd);
    free(l);
}

/* ---- temporary files ---- */

int sym_outfile_prepare(char *tmp, size_t n, const char *path, int force, const char *replace_hint)
{
    struct stat sb;
    const char *slash = strrchr(path, '/');
    int rc = 0, fd;
    sigset_t old;

    tmp[0] = '\0';
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
    SYM_TRY(check_dir(path));
    if (snprintf(tmp, n, "%.*s.%s.%ld.tmp", slash ? (int)(slash - path + 1) : 0, path,
                 slash ? slash + 1 : path, (long)getpid()) >= (int)n) {
        tmp[0] = '\0';
        SYM_FAIL(SYM_EUSAGE, "%s: output path too long", path);
    }
    /* made here, empty, so that it is ours to remove whatever fails later
     * (a full disk can fail HDF5 after it created the file) */
    hold_signals(&old);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0)
        debris_add(tmp);
    release_signals(&old);
    if (fd < 0) {
        int e = errno;

        SYM_FAIL(SYM_EIO, "%s: cannot create the temporary file %s: %s", path, tmp, strerror(e));
    }
    close(fd);
cleanup:
    if (rc < 0)
        tmp[0] = '\0'; /* nothing of ours to remove */
    return rc;
}

void sym_outfile_discard(const char *tmp)
{
    sigset_t old;

    if (!tmp || !tmp[0])
        return;
    hold_signals(&old);
    unlink(tmp);
    debris_forget(tmp);
    release_signals(&old);
}

/* @p tmp becomes @p path unless @p path exists: 0, or errno (EEXIST: it does) */
static int rename_noreplace(const char *tmp, const char *path)
{
    struct stat sb;

#ifdef RENAME_NOREPLACE
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP && errno != EOPNOTSUPP)
        return errno;
#endif
    /* file systems without it (NFS, older kernels): a hard link fails on an existing name */
    if (link(tmp, path) == 0) {
        unlink(tmp);
        return 0;
    }
    if (errno == EEXIST) {
        /* NFS may answer EEXIST to a retransmitted link that succeeded */
        struct stat a, b;

        if (stat(tmp, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            unlink(tmp);
            return 0;
        }
        return EEXIST;
    }
    if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != EMLINK)
        return errno;
    /* no hard links either (some FUSE and FAT file systems): our lock keeps
     * other symsweeps out; a check is all that is left against the rest */
    if (lstat(path, &sb) == 0)
        return EEXIST;
    return rename(tmp, path) == 0 ? 0 : errno;
}

int sym_outfile_commit(const char *tmp, const char *path, int replace)
{
    int rc = 0, err;

    err = replace ? (rename(tmp, path) == 0 ? 0 : errno) : rename_noreplace(tmp, path);
    if (err == EEXIST)
        SYM_FAIL(SYM_EEXIST,
                 "%s: output file exists: another process made it while this one was making its "
                 "own; not replacing it (use another name, or --force)",
                 path);
    if (err)
        SYM_FAIL(SYM_EIO, "%s: cannot rename the new file %s to it: %s", path, tmp, strerror(err));
    debris_forget(tmp);
cleanup:
    return rc;
}

int sym_same_file(const char *a, const char *b)
{
    struct stat sa, sb;

    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int sym_outfile_temporary(char *final, size_t n, long *pid, const char *path)
{
    const char *base = strrchr(path, '/'), *end, *dot;
    size_t len;
    char *stop;
    long p;

    base = base ? base + 1 : path;
    len = strlen(base);
    /* ".NAME.PID.tmp" */
    if (base[0] != '.' || len < 8 || strcmp(base + len - 4, ".tmp") != 0)
        return 0;
    end = base + len - 4;
    dot = end - 1;
    while (dot > base && *dot != '.')
        dot--;
    if (dot <= base + 1 || dot + 1 == end)
        return 0;
    p = strtol(dot + 1, &stop, 10);
    if (stop != end || p <= 0)
        return 0;
    *pid = p;
    snprintf(final, n, "%.*s%.*s", (int)(base - path), path, (int)(dot - base - 1), base + 1);
    return 1;
}
