// Row-wise kernels over the last axis of x viewed as [rows, cols]: max, softmax and log-sum-exp, vectorised within a
// row and spread over the threads by rows.
#include "common.h"
#include "fastmath.h"

enum { R_MAX = 0, R_SOFTMAX = 1, R_LOGSUMEXP = 2, R_COUNT = 3 };

// max: as tfjs's kernels compare: a NaN anywhere in the row is its max (x != x only for NaN)
#define DEFINE_ROWS(SUFFIX, ATTR)                                                                                     \
  ATTR static float row_max_##SUFFIX(const float *restrict x, int64_t n) {                                            \
    float m = x[0];                                                                                                   \
    for (int64_t i = 1; i < n; i++) m = (x[i] > m || x[i] != x[i]) ? x[i] : m;                                        \
    return m;                                                                                                         \
  }                                                                                                                   \
  ATTR static void rows_##SUFFIX(int64_t lo, int64_t hi, int op, const float *restrict x, float *restrict y,          \
                                 int64_t cols) {                                                                      \
    for (int64_t r = lo; r < hi; r++) {                                                                               \
      const float *xr = x + r * cols;                                                                                 \
      const float m = row_max_##SUFFIX(xr, cols);                                                                     \
      if (op == R_MAX) {                                                                                              \
        y[r] = m;                                                                                                     \
        continue;                                                                                                     \
      }                                                                                                               \
      float s = 0.0f;                                                                                                 \
      if (op == R_SOFTMAX) {                                                                                          \
        float *yr = y + r * cols;                                                                                     \
        _Pragma("omp simd reduction(+ : s)") for (int64_t i = 0; i < cols; i++) {                                     \
          const float e = exp_f(xr[i] - m);                                                                           \
          yr[i] = e;                                                                                                  \
          s += e;                                                                                                     \
        }                                                                                                             \
        const float inv = 1.0f / s;                                                                                   \
        _Pragma("omp simd") for (int64_t i = 0; i < cols; i++) yr[i] *= inv;                                          \
      } else {                                                                                                        \
        _Pragma("omp simd reduction(+ : s)") for (int64_t i = 0; i < cols; i++) s += exp_f(xr[i] - m);                \
        y[r] = m + log_f(s);                                                                                          \
      }                                                                                                               \
    }                                                                                                                 \
  }

DEFINE_ROWS(avx512, AVX512_VEC)
DEFINE_ROWS(avx2, AVX2_FMA)
DEFINE_ROWS(base, )

// rowwise(op, x, xOffset, y, yOffset, rows, cols): op 0 y[r] = max_c x[r, c]; 1 y[r, :] = softmax(x[r, :]);
// 2 y[r] = log Σ_c exp(x[r, c]) (max-stabilised).
napi_value rowwise(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!get_args(env, info, 7, argv, "rowwise")) return NULL;
  const int64_t op = get_i64(env, argv[0]);
  size_t lx, ly;
  float *x = f32_view(env, argv[1], &lx);
  if (!x) return NULL;
  float *y = f32_view(env, argv[3], &ly);
  if (!y) return NULL;
  const int64_t xo = get_i64(env, argv[2]), yo = get_i64(env, argv[4]), rows = get_i64(env, argv[5]), cols = get_i64(env, argv[6]);
  if (op < 0 || op >= R_COUNT) {
    napi_throw_range_error(env, NULL, "peft_blas: unknown row op");
    return NULL;
  }
  const int64_t nout = op == R_SOFTMAX ? rows * cols : rows;
  if (rows < 0 || cols < 1 || xo < 0 || yo < 0 || (uint64_t)(xo + rows * cols) > lx || (uint64_t)(yo + nout) > ly) {
    napi_throw_range_error(env, NULL, "peft_blas: rowwise operand out of bounds");
    return NULL;
  }
  const int threads = rows * cols > (op == R_MAX ? LIGHT_PARALLEL_MIN : HEAVY_PARALLEL_MIN) && rows > 1 ? max_threads : 1;
  PARALLEL_ROWS(threads, rows, rows, (int)op, x + xo, y + yo, cols);
  return NULL;
}
