/* IDX files (MNIST format): read plain and gzip-compressed alike; every malformed file refused
 * with a one-line message naming it. */
#include "check.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "symsweep/io.h"

static char path[128];

/* a file of the bytes given, gzip-compressed with gz */
static void write_file(const unsigned char *b, size_t n, int gz)
{
    if (gz) {
        gzFile g = gzopen(path, "wb");

        assert_non_null(g);
        assert_int_equal(gzwrite(g, b, (unsigned)n), (int)n);
        assert_int_equal(gzclose(g), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");

        assert_non_null(f);
        assert_int_equal(fwrite(b, 1, n, f), n);
        assert_int_equal(fclose(f), 0);
    }
}

/* images [2, 2, 3]: the header, then 12 pixels 0, 10, ..., 110 (and a spare byte) */
static const unsigned char images[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3,
                                       0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 255};
#define IMAGES_LEN (sizeof images - 1)

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/symsweep-test-idx-%d", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void test_io_idx_plain_and_gzip(void **state)
{
    (void)state;
    for (int gz = 0; gz < 2; gz++) {
        sym_idx x;

        write_file(images, IMAGES_LEN, gz);
        check_ok(sym_idx_read(&x, path, 3));
        assert_int_equal(x.ndim, 3);
        assert_int_equal(x.dims[0], 2);
        assert_int_equal(x.dims[1], 2);
        assert_int_equal(x.dims[2], 3);
        assert_int_equal(x.count, 12);
        assert_memory_equal(x.data, images + 16, 12);
        sym_idx_dispose(&x);
        check_ok(sym_idx_read_header(&x, path, 3));
        assert_int_equal(x.dims[2], 3);
        assert_null(x.data);
    }
}

/* the message of reading a file of bytes b[0..n) (gzip or not) as ndim dimensions */
static void expect_error(const unsigned char *b, size_t n, int gz, int ndim, const char *want)
{
    sym_idx x;
    char full[512];

    write_file(b, n, gz);
    assert_int_equal(sym_idx_read(&x, path, ndim), SYM_EIO);
    snprintf(full, sizeof full, "%s: %s", path, want);
    assert_string_equal(sym_err_message(), full);
    assert_null(x.data);
}

static void test_io_idx_malformed(void **state)
{
    unsigned char b[sizeof images];

    (void)state;
    for (int gz = 0; gz < 2; gz++) {
        expect_error(images, IMAGES_LEN - 1, gz, 3, "truncated: its header says 12 values, the file holds 11");
        expect_error(images, 10, gz, 3, "truncated: the header ends after 1 of its 3 sizes");
        expect_error(images, 3, gz, 3, "truncated: 3 bytes, shorter than an IDX header");
        expect_error(images, IMAGES_LEN + 1, gz, 3,
                     "longer than its header says (12 values): not an IDX file of these sizes");
        expect_error(images, IMAGES_LEN, gz, 1, "expected 1 dimensions (labels [n]), found 3");
        memcpy(b, images, sizeof b);
        b[0] = 0x50; /* "PK": a zip file, say */
        b[1] = 0x4b;
        expect_error(b, IMAGES_LEN, gz, 3, "not an IDX file: its magic number is 50 4b 08 03, expected "
                     "00 00 08 03 (unsigned bytes, 3 dimensions)");
        memcpy(b, images, sizeof b);
        b[2] = 0x0D;
        expect_error(b, IMAGES_LEN, gz, 3, "IDX type code 0x0d (float): expected 0x08 (unsigned bytes)");
        memcpy(b, images, sizeof b);
        b[11] = 0; /* rows 0 */
        expect_error(b, IMAGES_LEN, gz, 3, "dimension 1 has size 0: expected 1 to 2147483647");
    }
}

/* a gzip stream cut short: what it holds is a truncated file, whatever zlib says */
static void test_io_idx_cut_gzip(void **state)
{
    sym_idx x;
    FILE *f;
    long n;

    (void)state;
    write_file(images, IMAGES_LEN, 1);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fclose(f);
    assert_int_equal(truncate(path, n - 12), 0); /* the trailer and the last deflate bytes */
    assert_int_equal(sym_idx_read(&x, path, 3), SYM_EIO);
    assert_non_null(strstr(sym_err_message(), path));
    assert_non_null(strstr(sym_err_message(), "truncated"));
}

static void test_io_idx_missing_file(void **state)
{
    sym_idx x;

    (void)state;
    unlink(path);
    assert_int_equal(sym_idx_read(&x, path, 1), SYM_EIO);
    assert_non_null(strstr(sym_err_message(), path));
    assert_non_null(strstr(sym_err_message(), "No such file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_io_idx_plain_and_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_idx_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_idx_cut_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_idx_missing_file, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
