// The own GEMM alone, without Node: every path compiled for this architecture (baseline everywhere, AVX2+FMA and
// AVX-512 on x86-64 where the CPU has them, NEON on arm64) against a double-precision reference, all four transpose forms, odd
// sizes and sizes past every cache block. Integer-valued inputs, so the result must be exact. Built and run by
// test/own-gemm-arm64.e2e.test.ts for arm64 under qemu (the NEON path this machine cannot run natively) and by
// test/own-gemm-native.test.ts for this machine's own paths.
// Build: cc -O2 -std=gnu11 [-fopenmp] -I../../src/native own-gemm-check.c ../../src/native/own-gemm-*.c -o check
#include <stdio.h>
#include <stdlib.h>
#include "own-gemm.h"

static uint32_t state = 12345;
static float next_int(void) {
  state = state * 1664525u + 1013904223u;
  return (float)((int)(state >> 29) - 3); // -3 .. 4
}

// threads 0: the single-threaded driver; otherwise the driver whose threads share the packed blocks of B (where it
// declines, -1, the single-threaded one)
static int check(const own_gemm *g, int ta, int tb, int m, int n, int k, int threads) {
  float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = malloc(sizeof(float) * m * n);
  for (int i = 0; i < m * k; i++) a[i] = next_int();
  for (int i = 0; i < k * n; i++) b[i] = next_int();
  const int lda = ta ? m : k, ldb = tb ? k : n;
  if (!threads || g->sgemm_threads(ta, tb, m, n, k, a, lda, b, ldb, c, n, threads) != 0) g->sgemm(ta, tb, m, n, k, a, lda, b, ldb, c, n);
  int bad = 0;
  for (int i = 0; i < m && !bad; i++)
    for (int j = 0; j < n && !bad; j++) {
      double s = 0;
      for (int p = 0; p < k; p++) s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
      if ((double)c[i * n + j] != s) {
        printf("FAIL %s ta=%d tb=%d m=%d n=%d k=%d threads=%d at (%d, %d): %g, expected %g\n", g->name, ta, tb, m, n, k,
               threads, i, j, c[i * n + j], s);
        bad = 1;
      }
    }
  free(a);
  free(b);
  free(c);
  return bad;
}

int main(void) {
  const own_gemm *paths[4];
  int count = 0;
  paths[count++] = &own_gemm_baseline;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    paths[count++] = &own_gemm_avx2;
    if (__builtin_cpu_supports("avx512f")) paths[count++] = &own_gemm_avx512;
  }
#endif
#if defined(__aarch64__)
  paths[count++] = &own_gemm_neon;
#endif
  const int odd[] = {1, 7, 17, 63, 65, 127, 129};
  // past every cache block and in-place threshold of every path (KC ≤ 768, MC ≤ 240, NC ≥ 768, 512)
  const int big[][3] = {{513, 515, 257}, {1, 3100, 300}, {700, 1, 520}, {145, 600, 1}, {1000, 17, 513}, {100, 70, 1600}};
  // the threaded driver: B's blocks shared (m ≥ n; A packed, and A read in place), A's blocks shared (m < n, a thread's
  // columns in fewer blocks than its share; rows fewer than a tile a thread), and one it declines (n too narrow to pack A)
  const int shared[][3] = {{130, 800, 780}, {1031, 600, 300}, {700, 33, 520}, {20, 40, 900}, {513, 515, 257}, {40, 1100, 50}};
  int failures = 0, products = 0;
  for (int q = 0; q < count; q++) {
    for (int t = 0; t < 4; t++) {
      for (int x = 0; x < 7; x++)
        for (int y = 0; y < 7; y++) {
          failures += check(paths[q], t & 1, t >> 1, odd[x], odd[y], odd[(x + 2 * y) % 7] == 129 ? 1 : odd[(x + 2 * y) % 7], 0);
          products++;
        }
      for (int z = 0; z < 6; z++) {
        failures += check(paths[q], t & 1, t >> 1, big[z][0], big[z][1], big[z][2], 0);
        products++;
      }
      // the threaded driver: 3 threads where built with OpenMP (odd numbers of row tiles and slivers a thread), else 1
      for (int z = 0; z < 6; z++) {
        failures += check(paths[q], t & 1, t >> 1, shared[z][0], shared[z][1], shared[z][2], 3);
        products++;
      }
    }
    printf("%s: %s\n", paths[q]->name, paths[q]->about);
  }
  printf("%d products, %d failed\n", products, failures);
  return failures ? 1 : 0;
}
