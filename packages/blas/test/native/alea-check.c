// alea.h's jump-ahead arithmetic checked without Node (test/alea-native.test.ts builds and runs this): the modular
// product against a bit-serial double-and-add (the form it replaced) on edge values and a million random pairs, and
// jumps of k draws against drawing k values, for k around the lanes' and threads' splits.
#include <stdio.h>
#include "alea.h"

static alea_u128 reference_mulmod(alea_u128 x, alea_u128 y) {
  alea_u128 r = 0;
  for (int bit = 117; bit >= 0; bit--) {
    r <<= 1;
    if (r >= ALEA_MODULUS) r -= ALEA_MODULUS;
    if ((y >> bit) & 1) {
      r += x;
      if (r >= ALEA_MODULUS) r -= ALEA_MODULUS;
    }
  }
  return r;
}

static uint64_t xs = 88172645463325252ull;
static uint64_t xorshift(void) {
  xs ^= xs << 13, xs ^= xs >> 7, xs ^= xs << 17;
  return xs;
}
// a value below m, of any bit length (so small and large operands both come up)
static alea_u128 below_m(void) {
  alea_u128 v = ((alea_u128)xorshift() << 64) | xorshift();
  return (v >> (xorshift() % 128)) % ALEA_MODULUS;
}

int main(void) {
  long products = 0, failed = 0;
  const alea_u128 edges[] = {0, 1, 2, 2091639, (alea_u128)1 << 64, (alea_u128)1 << 96, ((alea_u128)1 << 96) - 1,
                             (alea_u128)2091639 << 64, ((alea_u128)2091638 << 96) | (((alea_u128)1 << 96) - 1),
                             (alea_u128)1 << 116, ALEA_MODULUS - 2, ALEA_MODULUS - 1};
  const int ne = sizeof edges / sizeof edges[0];
  for (int i = 0; i < ne; i++)
    for (int j = 0; j < ne; j++, products++) failed += alea_mulmod(edges[i], edges[j]) != reference_mulmod(edges[i], edges[j]);
  for (int i = 0; i < 1000000; i++, products++) {
    const alea_u128 x = below_m(), y = below_m();
    failed += alea_mulmod(x, y) != reference_mulmod(x, y);
  }
  long jumps = 0, jumps_failed = 0;
  const uint64_t ks[] = {1, 2, 3, 7, 8, 9, 64, 2056, 2064, 16384, 100003, 1048577};
  for (int s = 0; s < 3; s++) {
    alea_state a;
    alea_seed(&a, s == 0 ? "7" : s == 1 ? "seed" : "-5", s == 1 ? 4 : s == 2 ? 2 : 1);
    const alea_u128 y = alea_to_int(&a);
    for (size_t q = 0; q < sizeof ks / sizeof ks[0]; q++, jumps++) {
      alea_state b = a, c;
      for (uint64_t t = 0; t < ks[q]; t++) alea_next(&b);
      alea_from_int(&c, alea_mulmod(y, alea_jump_multiplier(ks[q])));
      jumps_failed += b.s0 != c.s0 || b.s1 != c.s1 || b.s2 != c.s2 || b.c != c.c;
    }
  }
  printf("%ld products, %ld failed\n%ld jumps, %ld failed\n", products, failed, jumps, jumps_failed);
  return failed || jumps_failed;
}
