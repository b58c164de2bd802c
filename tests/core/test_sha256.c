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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_core_sha256_fips_vectors)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
