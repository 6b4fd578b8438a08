// Alea's arithmetic checked without Node (test/alea-native.test.ts builds and runs this; test/alea-arm64.e2e.test.ts
// cross-compiles it for arm64 under qemu): the jump-ahead's modular product against a bit-serial double-and-add (the
// form it replaced) on edge values and a million random pairs; jumps of k draws against drawing k values, for k
// around the lanes' and threads' splits; and the mask lanes (alea-lanes.c) on every path this CPU has against
// alea_next one value at a time, bit for bit, writing nothing between their strided runs.
// Build: cc -O2 -std=gnu11 -I<node's include/node> -I../../src/native alea-check.c ../../src/native/alea-lanes.c -lm
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "alea-lanes.h"

// the globals addon.c defines, which alea_mask_lanes reads
int max_threads = 1, use_avx2 = 0, use_avx512 = 0, use_neon = 0;

// 8 lanes from states far apart, `steps` steps each at stride steps + 5, against alea_next; returns the failures
static long check_lanes(const char *path, long *values) {
  enum { STEPS = 1000, STRIDE = STEPS + 5 };
  static float out[ALEA_LANES * STRIDE];
  long failed = 0;
  const float keeps[] = {0.9f, 0.5f, 1.0f, 0.25f};
  for (int q = 0; q < 4; q++) {
    const float k = keeps[q], s = 1.0f / k;
    alea_state a, start[ALEA_LANES];
    alea_seed(&a, "lanes", 5);
    alea_lane lanes[ALEA_LANES];
    for (int j = 0; j < ALEA_LANES; j++) {
      for (int t = 0; t < 777 * (j + q); t++) alea_next(&a);
      start[j] = a;
      lanes[j] = alea_lane_of(&a);
    }
    for (int i = 0; i < ALEA_LANES * STRIDE; i++) out[i] = -7.0f;
    alea_mask_lanes()(lanes, out, STRIDE, STEPS, k, s);
    for (int j = 0; j < ALEA_LANES; j++) {
      alea_state b = start[j];
      for (int i = 0; i < STEPS; i++, (*values)++) {
        const float want = floorf((float)alea_next(&b) + k) * s;
        if (memcmp(&want, &out[j * STRIDE + i], sizeof want) != 0 && failed++ < 4)
          printf("FAIL lanes %s keep %g lane %d value %d: %g, expected %g\n", path, k, j, i, out[j * STRIDE + i], want);
      }
      for (int i = STEPS; i < STRIDE; i++) failed += out[j * STRIDE + i] != -7.0f;
      // the lane's state after: the next value of both agrees
      alea_state c;
      alea_state_of(&c, &lanes[j]);
      failed += alea_next(&b) != alea_next(&c);
    }
  }
  return failed;
}

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
  long lanes_failed = 0;
  const char *paths[] = {"baseline", "avx2", "avx512"};
  for (int p = 0; p < 3; p++) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (p >= 1 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) continue;
    if (p == 2 && !__builtin_cpu_supports("avx512f")) continue;
#else
    if (p >= 1) continue;
#endif
    use_avx2 = p >= 1, use_avx512 = p == 2;
    long values = 0;
    const long f = check_lanes(paths[p], &values);
    printf("lanes %s: %ld values, %ld failed\n", paths[p], values, f);
    lanes_failed += f;
  }
  return failed || jumps_failed || lanes_failed;
}
