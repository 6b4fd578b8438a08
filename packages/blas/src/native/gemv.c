// Products with a few rows, as decoding makes them (one new position per sequence): y = x·W or x·Wᵀ for x [m, k],
// m ≤ 8. They are bound by reading W once, which OpenBLAS's sgemm does poorly at m = 1 (it packs W first; the
// transposed form read GPT-2's [50,257 × 768] head at ~3 GB/s). Here W streams once, all rows of x at a time, split
// over the threads by output columns.
#include <string.h>
#include "common.h"

#define MAX_ROWS 8

// y[r, j] = Σ_i x[r, i]·W[i, j] for j in [lo, hi): W [k, n] row-major, rows of W streamed in order.
#define DEFINE_GEMV(SUFFIX, ATTR)                                                                                   \
  ATTR static void plain_##SUFFIX(const float *restrict x, const float *restrict w, float *restrict y, int64_t m,   \
                                  int64_t n, int64_t k, int64_t lo, int64_t hi) {                                    \
    for (int64_t r = 0; r < m; r++) memset(y + r * n + lo, 0, (size_t)(hi - lo) * sizeof(float));                  \
    for (int64_t i = 0; i < k; i++) {                                                                               \
      const float *wi = w + i * n;                                                                                  \
      for (int64_t r = 0; r < m; r++) {                                                                             \
        const float xv = x[r * k + i];                                                                              \
        float *yr = y + r * n;                                                                                      \
        _Pragma("omp simd") for (int64_t j = lo; j < hi; j++) yr[j] += xv * wi[j];                                  \
      }                                                                                                             \
    }                                                                                                               \
  }                                                                                                                 \
  /* y[r, j] = Σ_i x[r, i]·W[j, i] for j in [lo, hi): W [n, k] row-major, one dot product per row of W */          \
  ATTR static void transposed_##SUFFIX(const float *restrict x, const float *restrict w, float *restrict y,        \
                                       int64_t m, int64_t n, int64_t k, int64_t lo, int64_t hi) {                   \
    for (int64_t j = lo; j < hi; j++) {                                                                             \
      const float *wj = w + j * k;                                                                                  \
      for (int64_t r = 0; r < m; r++) {                                                                             \
        const float *xr = x + r * k;                                                                                \
        float acc = 0.0f;                                                                                           \
        _Pragma("omp simd reduction(+ : acc)") for (int64_t i = 0; i < k; i++) acc += xr[i] * wj[i];               \
        y[r * n + j] = acc;                                                                                         \
      }                                                                                                             \
    }                                                                                                               \
  }

DEFINE_GEMV(avx2, AVX2_FMA)
DEFINE_GEMV(base, )

// gemv(x, xOffset, w, wOffset, y, yOffset, m, n, k, transposeW): y [m, n] = x [m, k]·W (W [k, n]) or x·Wᵀ (W [n, k]).
napi_value gemv(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!get_args(env, info, 10, argv, "gemv")) return NULL;
  size_t lx, lw, ly;
  float *x = f32_view(env, argv[0], &lx);
  if (!x) return NULL;
  float *w = f32_view(env, argv[2], &lw);
  if (!w) return NULL;
  float *y = f32_view(env, argv[4], &ly);
  if (!y) return NULL;
  const int64_t xo = get_i64(env, argv[1]), wo = get_i64(env, argv[3]), yo = get_i64(env, argv[5]);
  const int64_t m = get_i64(env, argv[6]), n = get_i64(env, argv[7]), k = get_i64(env, argv[8]);
  bool tw = false;
  napi_get_value_bool(env, argv[9], &tw);
  if (m < 1 || m > MAX_ROWS || n < 1 || k < 1 || xo < 0 || wo < 0 || yo < 0 || (uint64_t)(xo + m * k) > lx ||
      (uint64_t)(wo + n * k) > lw || (uint64_t)(yo + m * n) > ly) {
    napi_throw_range_error(env, NULL, "peft_blas: gemv takes 1..8 rows and operands inside their Float32Arrays");
    return NULL;
  }
  // reading W dominates; a second core adds bandwidth, but waking it costs more than a block's W takes to read on one
  // (a few MB: ~0.2 ms) whenever the machine is busy — threads only for W as large as an LM head (16 MB and up)
  const int threads = n * k >= ((int64_t)1 << 22) && n >= 64 ? max_threads : 1;
  (void)threads; // unused where the compiler has no OpenMP
  const int wide = use_avx2;
#pragma omp parallel num_threads(threads)
  {
    int64_t lo, hi;
    thread_block(n, &lo, &hi);
    if (hi > lo) {
      if (tw) {
        if (wide) transposed_avx2(x + xo, w + wo, y + yo, m, n, k, lo, hi);
        else transposed_base(x + xo, w + wo, y + yo, m, n, k, lo, hi);
      } else {
        if (wide) plain_avx2(x + xo, w + wo, y + yo, m, n, k, lo, hi);
        else plain_base(x + xo, w + wo, y + yo, m, n, k, lo, hi);
      }
    }
  }
  return NULL;
}
