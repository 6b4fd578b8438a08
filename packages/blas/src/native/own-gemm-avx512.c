// The own GEMM's AVX-512 path (x86-64): a 12×32 micro-tile, twenty-four 16-float accumulators in zmm registers, each
// k step two loads of packed B, twelve broadcasts of packed A (folded into the FMAs as embedded broadcasts) and
// twenty-four FMAs. On a core with two 512-bit FMA pipes that is twice the AVX2 path's work per instruction (the
// issue's probe: 197 GFLOP/s per core with 512-bit FMAs against 97 with 256-bit ones). Compiled for AVX-512F by
// function attribute (the rest of the addon keeps its flags, so a compiler or CPU without AVX-512 builds and runs as
// before) and chosen at load only where the CPU and the OS support it (src/native/addon.c).
#if defined(__x86_64__)
#include <immintrin.h>
#include "own-gemm.h"
#include "transpose8.h"

#define OG_NAME(x) x##_avx512
#define OG_ATTR __attribute__((target("avx512f,avx2,fma")))
#define OG_MR 12
#define OG_NR 32
// Cache blocks measured on a Zen 5 core (48 KiB L1, 1 MiB L2), interleaved with the previous 192/240/768 in one
// process (node scripts/bench/gemm-blocks.mjs): KC 768 covers a GPT-2 product's whole k = 768, so each tile of C is
// loaded and stored once instead of four times. The KC×NR
// sliver of packed B (768·32·4 = 96 KiB) then streams from L2 while the MR×KC sliver of A (36 KiB) sits in L1; the
// MC×KC block of A (96·768·4 = 288 KiB) and the KC×NC block of B (2.25 MiB) share L2 and L3. On one core: x·W
// [1024×768]·[768×3072] +11–15 %, the head's h·Eᵀ +6–10 %, the transposed forms unchanged.
#ifndef OG_KC
#define OG_KC 768
#endif
#ifndef OG_MC
#define OG_MC 96
#endif
#ifndef OG_NC
#define OG_NC 768
#endif
#ifndef OG_PREFETCH_C
#define OG_PREFETCH_C 1
#endif

OG_ATTR static inline __attribute__((always_inline)) void kernel_avx512(int64_t kc, const float *restrict a,
                                                                        int64_t rsa, int64_t csa,
                                                                        const float *restrict b, int64_t rsb,
                                                                        float *restrict c, int64_t ldc, int accumulate) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
  __m512 c80 = _mm512_setzero_ps(), c81 = _mm512_setzero_ps(), c90 = _mm512_setzero_ps(), c91 = _mm512_setzero_ps();
  __m512 cA0 = _mm512_setzero_ps(), cA1 = _mm512_setzero_ps(), cB0 = _mm512_setzero_ps(), cB1 = _mm512_setzero_ps();
#define OG_ROW(i, lo, hi)                      \
  do {                                         \
    const __m512 x = _mm512_set1_ps(a[(i) * rsa]); \
    lo = _mm512_fmadd_ps(x, b0, lo);           \
    hi = _mm512_fmadd_ps(x, b1, hi);           \
  } while (0)
  // C's tile is read (accumulate) or written only after the k loop: fetch its lines meanwhile. Rows of a wide C lie
  // a multiple of 4 KiB apart (x·W's n = 3072: 12 KiB), all in one L1 set, and missed there (+10 % on that form).
#if OG_PREFETCH_C
  for (int i = 0; i < OG_MR; i++) {
    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
  }
#endif
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    OG_ROW(0, c00, c01);
    OG_ROW(1, c10, c11);
    OG_ROW(2, c20, c21);
    OG_ROW(3, c30, c31);
    OG_ROW(4, c40, c41);
    OG_ROW(5, c50, c51);
    OG_ROW(6, c60, c61);
    OG_ROW(7, c70, c71);
    OG_ROW(8, c80, c81);
    OG_ROW(9, c90, c91);
    OG_ROW(10, cA0, cA1);
    OG_ROW(11, cB0, cB1);
    a += csa;
    b += rsb;
  }
#undef OG_ROW
#define OG_STORE_ROW(i, lo, hi)                                                                     \
  do {                                                                                              \
    float *row = c + (i) * ldc;                                                                     \
    if (accumulate) {                                                                               \
      lo = _mm512_add_ps(lo, _mm512_loadu_ps(row));                                                 \
      hi = _mm512_add_ps(hi, _mm512_loadu_ps(row + 16));                                            \
    }                                                                                               \
    _mm512_storeu_ps(row, lo);                                                                      \
    _mm512_storeu_ps(row + 16, hi);                                                                 \
  } while (0)
  OG_STORE_ROW(0, c00, c01);
  OG_STORE_ROW(1, c10, c11);
  OG_STORE_ROW(2, c20, c21);
  OG_STORE_ROW(3, c30, c31);
  OG_STORE_ROW(4, c40, c41);
  OG_STORE_ROW(5, c50, c51);
  OG_STORE_ROW(6, c60, c61);
  OG_STORE_ROW(7, c70, c71);
  OG_STORE_ROW(8, c80, c81);
  OG_STORE_ROW(9, c90, c91);
  OG_STORE_ROW(10, cA0, cA1);
  OG_STORE_ROW(11, cB0, cB1);
#undef OG_STORE_ROW
}

// A full sliver of transposed B: 32 stored rows of kc floats (ldb apart) into kc rows of 32, eight k steps at a time
// as four 8×8 register transposes.
OG_ATTR static void pack_b_trans_avx512(const float *restrict src, int64_t ldb, int64_t kc, float *restrict dst) {
  int64_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    for (int quarter = 0; quarter < OG_NR / 8; quarter++) {
      __m256 r[8];
      for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(src + (quarter * 8 + j) * ldb + p);
      TRANSPOSE8_PS(r);
      for (int q = 0; q < 8; q++) _mm256_store_ps(dst + (p + q) * OG_NR + quarter * 8, r[q]);
    }
  }
  for (; p < kc; p++)
    for (int j = 0; j < OG_NR; j++) dst[p * OG_NR + j] = src[j * ldb + p];
}
#define OG_PACK_B_TRANS

// A full sliver of A as stored (12 rows of kc floats, lda apart) into kc groups of 12, eight k steps at a time: rows
// 0–7 as one 8×8 register transpose, rows 8–11 as another with four zero rows.
OG_ATTR static void pack_a_rows_avx512(const float *restrict src, int64_t lda, int64_t kc, float *restrict dst) {
  int64_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    __m256 r[8], s[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * lda + p);
    for (int i = 0; i < 4; i++) s[i] = _mm256_loadu_ps(src + (8 + i) * lda + p);
    for (int i = 4; i < 8; i++) s[i] = _mm256_setzero_ps();
    TRANSPOSE8_PS(r);
    TRANSPOSE8_PS(s);
    for (int q = 0; q < 8; q++) {
      _mm256_storeu_ps(dst + (p + q) * OG_MR, r[q]);
      _mm_storeu_ps(dst + (p + q) * OG_MR + 8, _mm256_castps256_ps128(s[q]));
    }
  }
  for (; p < kc; p++)
    for (int i = 0; i < OG_MR; i++) dst[p * OG_MR + i] = src[i * lda + p];
}
#define OG_PACK_A_ROWS

#include "own-gemm-driver.h"

const own_gemm own_gemm_avx512 = {sgemm_avx512, sgemm_threads_avx512, "avx512", "AVX-512 12x32 micro-kernel"};
#endif
