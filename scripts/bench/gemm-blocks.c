// Two builds of the own GEMM's AVX-512 path side by side in one process: `own_gemm_avx512` as the addon builds it, and
// `own_gemm_avx512_alt`, the same source compiled with other cache blocks or without the C-tile prefetch (see
// scripts/bench/gemm-blocks.mjs, which compiles and runs this). Each product of a GPT-2-small step is run by both
// builds alternately (the order flipping rep by rep), split over `threads` as the addon splits it; median GFLOP/s.
// Batched forms (the inducer's per-head MLP products, 96 = B 8 × H 12 items) run their items one after the other on
// one thread, as the addon gives each thread whole items.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "own-gemm.h"

extern const own_gemm own_gemm_avx512_alt;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
static int by_value(const void *x, const void *y) {
  const double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

// as src/native/gemm.c runs one large product: the driver whose threads share the packed blocks (sgemm_threads), and
// where that declines, the rows or columns (whichever are more) split in one block per thread
static void split(const own_gemm *g, int threads, int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a,
                  const float *b, float *c) {
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  if (threads > 1 && g->sgemm_threads(ta, tb, m, n, k, a, lda, b, ldb, c, n, threads) == 0) return;
  const int rows = m >= n;
  const int64_t extent = rows ? m : n;
#pragma omp parallel num_threads(threads)
  {
    const int64_t per = (extent + threads - 1) / threads, lo = omp_get_thread_num() * per;
    const int64_t hi = lo + per < extent ? lo + per : extent;
    if (hi > lo) {
      if (rows) g->sgemm(ta, tb, hi - lo, n, k, ta ? a + lo : a + lo * lda, lda, b, ldb, c + lo * n, n);
      else g->sgemm(ta, tb, m, hi - lo, k, a, lda, tb ? b + lo * ldb : b + lo, ldb, c + lo, n);
    }
  }
}

// cold: each timed call finds its operands out of cache, as a step's products mostly do (64 MiB written between calls)
static int cold = 0;
static float *junk;
static void evict(void) {
  if (!cold) return;
  for (int64_t i = 0; i < (64 << 20) / 4; i += 16) junk[i] += 1.0f;
}

#define REPS 15
static void compare_batched(const char *form, int threads, int batch, int ta, int tb, int64_t m, int64_t n, int64_t k) {
  float *a = aligned_alloc(64, (size_t)(batch * m * k * 4 + 64)), *b = aligned_alloc(64, (size_t)(k * n * 4 + 64));
  float *c = aligned_alloc(64, (size_t)(batch * m * n * 4 + 64));
  for (int64_t i = 0; i < batch * m * k; i++) a[i] = (float)(i % 7) * 0.1f;
  for (int64_t i = 0; i < k * n; i++) b[i] = (float)(i % 5) * 0.1f;
  const own_gemm *g[2] = {&own_gemm_avx512, &own_gemm_avx512_alt};
  double t[2][REPS];
  for (int r = 0; r <= REPS; r++)
    for (int i = 0; i < 2; i++) {
      const int v = r & 1 ? 1 - i : i;
      evict();
      const double t0 = now();
      if (batch == 1) split(g[v], threads, ta, tb, m, n, k, a, b, c);
      else
        for (int i = 0; i < batch; i++) g[v]->sgemm(ta, tb, m, n, k, a + i * m * k, ta ? m : k, b, tb ? k : n, c + i * m * n, n);
      if (r > 0) t[v][r - 1] = now() - t0; // rep 0 warms each build's scratch up
    }
  qsort(t[0], REPS, sizeof(double), by_value);
  qsort(t[1], REPS, sizeof(double), by_value);
  const double flop = 2.0 * batch * m * n * k, built = flop / t[0][REPS / 2] / 1e9, alt = flop / t[1][REPS / 2] / 1e9;
  printf("{\"form\":\"%s\",\"threads\":%d,\"cold\":%d,\"built_gflops\":%.1f,\"alt_gflops\":%.1f,\"built_over_alt\":%.3f}\n",
         form, threads, cold, built, alt, built / alt);
  free(a);
  free(b);
  free(c);
}

static void compare(const char *form, int threads, int ta, int tb, int64_t m, int64_t n, int64_t k) {
  compare_batched(form, threads, 1, ta, tb, m, n, k);
}

int main(int argc, char **argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 1;
  cold = argc > 2 ? atoi(argv[2]) : 0;
  junk = calloc((64 << 20) / 4, sizeof(float));
  compare("x·W [1024×768]·[768×3072]", threads, 0, 0, 1024, 3072, 768);
  compare("dy·Wᵀ [1024×3072]·[768×3072]ᵀ", threads, 0, 1, 1024, 768, 3072);
  compare("dx·W_projᵀ [1024×768]·[3072×768]ᵀ", threads, 0, 1, 1024, 3072, 768);
  compare("x·Wqkv [1024×768]·[768×2304]", threads, 0, 0, 1024, 2304, 768);
  compare("dqkv·Wqkvᵀ [1024×2304]·[768×2304]ᵀ", threads, 0, 1, 1024, 768, 2304);
  compare("x·Wo [1024×768]·[768×768]", threads, 0, 0, 1024, 768, 768);
  compare("head h·Eᵀ [339×768]·[50257×768]ᵀ", threads, 0, 1, 339, 50257, 768);
  compare("head dz·E [339×50257]·[50257×768]", threads, 0, 0, 339, 768, 50257);
  compare("LoRA x·A [1024×768]·[768×24]", threads, 0, 0, 1024, 24, 768);
  compare_batched("inducer 96× Q·A [128×64]·[64×5]", threads, 96, 0, 0, 128, 5, 64);
  compare_batched("inducer 96× dH·Aᵀ [128×64]·[5×64]ᵀ", threads, 96, 0, 1, 128, 5, 64);
  compare_batched("inducer 96× Qᵀ·dH [128×64]ᵀ·[128×5]", threads, 96, 1, 0, 64, 5, 128);
  compare_batched("inducer 96× Q·A [128×64]·[64×12]", threads, 96, 0, 0, 128, 12, 64);
  compare_batched("inducer 96× Qᵀ·dH [128×64]ᵀ·[128×12]", threads, 96, 1, 0, 64, 12, 128);
  return 0;
}
