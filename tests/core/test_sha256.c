#include "check.h"

#include <stdlib.h>
#include <string.h>

#include "symsweep/core.h"

static void test_core_sha256_fips_vectors(void **state)
{
    char hex[65];
    char *mil;

    (void)state;
    sym_sha256_hex(hex, "", 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sym_sha256_hex(hex, "abc", 3);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sym_sha256_hex(hex, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    mil = malloc(1000000);
    memset(mil, 'a', 1000000);
    sym_sha256_hex(hex, mil, 1000000);
    free(mil);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* piece by piece (a file read in blocks): every split of the input gives the one-shot digest */
static void test_core_sha256_pieces(void **state)
{
    static const size_t lens[] = {0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000};
    unsigned char data[1000];
    uint8_t one[32], got[32];

    (void)state;
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 131 + 7);
    for (size_t l = 0; l < sizeof(lens) / sizeof(*lens); l++) {
        size_t n = lens[l];

        sym_sha256(one, data, n);
        for (size_t step = 1; step <= 130; step += step < 8 ? 1 : 17) {
            sym_sha256_ctx c;

            sym_sha256_init(&c);
            for (size_t at = 0; at < n; at += step)
                sym_sha256_update(&c, data + at, n - at < step ? n - at : step);
            sym_sha256_final(&c, got);
            assert_memory_equal(got, one, 32);
        }
    }
    {   /* and a FIPS vector through the pieces: "abc" as "a", "bc" */
        sym_sha256_ctx c;
        static const uint8_t want[4] = {0xba, 0x78, 0x16, 0xbf};

        sym_sha256_init(&c);
        sym_sha256_update(&c, "a", 1);
        sym_sha256_update(&c, "bc", 2);
        sym_sha256_final(&c, got);
        assert_memory_equal(got, want, 4);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_core_sha256_fips_vectors),
                                       cmocka_unit_test(test_core_sha256_pieces)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
