/* LD_PRELOAD shim for tests/cli/outputs.sh: a file system without locks (fcntl's lock
 * commands fail with ENOLCK, as on NFS without a lock manager or Lustre mounted noflock) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

static int call(const char *name, int fd, int cmd, void *arg)
{
    int (*real)(int, int, ...) = (int (*)(int, int, ...))dlsym(RTLD_NEXT, name);

    return real(fd, cmd, arg);
}

static int nolock(const char *name, int fd, int cmd, va_list ap)
{
    void *arg = va_arg(ap, void *);

    if (cmd == F_SETLK || cmd == F_SETLKW || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW) {
        errno = ENOLCK;
        return -1;
    }
    return call(name, fd, cmd, arg);
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    int r;

    va_start(ap, cmd);
    r = nolock("fcntl", fd, cmd, ap);
    va_end(ap);
    return r;
}

int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    int r;

    va_start(ap, cmd);
    r = nolock("fcntl64", fd, cmd, ap);
    va_end(ap);
    return r;
}
