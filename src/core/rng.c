/* Philox4x32-10 counter-based generator and the streams built on it. */
#include "symsweep/core.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void sym_philox4x32_10(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];

    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;

        c0 = n0;
        c1 = n1;
        c2 = n2;
        c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

void sym_rng_init(sym_rng *r, uint64_t seed, uint32_t purpose, uint32_t sub)
{
    r->key[0] = (uint32_t)seed;
    r->key[1] = (uint32_t)(seed >> 32);
    r->purpose = purpose;
    r->sub = sub;
    r->block = 0;
    r->pos = 4;
}

uint32_t sym_rng_u32(sym_rng *r)
{
    if (r->pos == 4) {
        /* counter = (block lo, block hi, purpose, sub): distinct streams never meet */
        uint32_t ctr[4] = {(uint32_t)r->block, (uint32_t)(r->block >> 32), r->purpose, r->sub};

        sym_philox4x32_10(r->buf, ctr, r->key);
        r->block++;
        r->pos = 0;
    }
    return r->buf[r->pos++];
}

double sym_rng_uniform(sym_rng *r)
{
    /* 53 bits, shifted by half an ulp so that 0 and 1 are never returned */
    uint64_t hi = sym_rng_u32(r) >> 5; /* 27 bits */
    uint64_t lo = sym_rng_u32(r) >> 6; /* 26 bits */

    return ((double)((hi << 26) | lo) + 0.5) * (1.0 / 9007199254740992.0);
}

double sym_rng_normal(sym_rng *r)
{
    double u1 = sym_rng_uniform(r);
    double u2 = sym_rng_uniform(r);

    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

uint32_t sym_rng_below(sym_rng *r, uint32_t n)
{
    /* Lemire's multiply-shift with rejection: unbiased */
    uint32_t x = sym_rng_u32(r);
    uint64_t m = (uint64_t)x * n;
    uint32_t l = (uint32_t)m;

    SYM_ASSERT(n > 0);
    if (l < n) {
        uint32_t t = (uint32_t)(-n) % n;

        while (l < t) {
            x = sym_rng_u32(r);
            m = (uint64_t)x * n;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}
