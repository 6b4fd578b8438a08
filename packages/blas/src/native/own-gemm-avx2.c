// The own GEMM's AVX2+FMA path (x86-64): a 6×16 micro-tile, twelve 8-float accumulators in ymm registers, each k step
// two loads of packed B, six broadcasts of packed A and twelve FMAs. Compiled for AVX2+FMA by function attribute and
// chosen at load only where the CPU has both (src/native/gemm.c).
#if defined(__x86_64__)
#include <immintrin.h>
#include "own-gemm.h"
#include "transpose8.h"

#define OG_NAME(x) x##_avx2
#define OG_ATTR __attribute__((target("avx2,fma")))
#define OG_MR 6
#define OG_NR 16
#ifndef OG_KC
#define OG_KC 256
#endif
#ifndef OG_MC
#define OG_MC 144
#endif
#ifndef OG_NC
#define OG_NC 3072
#endif

OG_ATTR static inline __attribute__((always_inline)) void kernel_avx2(int64_t kc, const float *restrict a, int64_t rsa,
                                                                      int64_t csa, const float *restrict b, int64_t rsb,
                                                                      float *restrict c, int64_t ldc, int accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 x = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(x, b0, c00);
    c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + rsa);
    c10 = _mm256_fmadd_ps(x, b0, c10);
    c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2 * rsa);
    c20 = _mm256_fmadd_ps(x, b0, c20);
    c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3 * rsa);
    c30 = _mm256_fmadd_ps(x, b0, c30);
    c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4 * rsa);
    c40 = _mm256_fmadd_ps(x, b0, c40);
    c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5 * rsa);
    c50 = _mm256_fmadd_ps(x, b0, c50);
    c51 = _mm256_fmadd_ps(x, b1, c51);
    a += csa;
    b += rsb;
  }
#define OG_STORE_ROW(i, lo, hi)                                                                     \
  do {                                                                                              \
    float *row = c + (i) * ldc;                                                                     \
    if (accumulate) {                                                                               \
      lo = _mm256_add_ps(lo, _mm256_loadu_ps(row));                                                 \
      hi = _mm256_add_ps(hi, _mm256_loadu_ps(row + 8));                                             \
    }                                                                                               \
    _mm256_storeu_ps(row, lo);                                                                      \
    _mm256_storeu_ps(row + 8, hi);                                                                  \
  } while (0)
  OG_STORE_ROW(0, c00, c01);
  OG_STORE_ROW(1, c10, c11);
  OG_STORE_ROW(2, c20, c21);
  OG_STORE_ROW(3, c30, c31);
  OG_STORE_ROW(4, c40, c41);
  OG_STORE_ROW(5, c50, c51);
#undef OG_STORE_ROW
}

// A full sliver of transposed B: 16 stored rows of kc floats (ldb apart) into kc rows of 16, eight k steps at a time
// as two 8×8 register transposes (the scalar gather was ~10 % of a batched attention product).
OG_ATTR static void pack_b_trans_avx2(const float *restrict src, int64_t ldb, int64_t kc, float *restrict dst) {
  int64_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    for (int half = 0; half < 2; half++) {
      __m256 r[8];
      for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(src + (half * 8 + j) * ldb + p);
      TRANSPOSE8_PS(r);
      for (int q = 0; q < 8; q++) _mm256_store_ps(dst + (p + q) * OG_NR + half * 8, r[q]);
    }
  }
  for (; p < kc; p++)
    for (int j = 0; j < OG_NR; j++) dst[p * OG_NR + j] = src[j * ldb + p];
}
#define OG_PACK_B_TRANS

#include "own-gemm-driver.h"

const own_gemm own_gemm_avx2 = {sgemm_avx2, sgemm_threads_avx2, "avx2", "AVX2+FMA 6x16 micro-kernel"};
#endif
