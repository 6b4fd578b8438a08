// @peft/core's two passes of the label-smoothed softmax cross-entropy over a block of logit rows z [rows, V]:
//   stats: per row, lse = log Σ_c exp z[c] and the loss lse − (1 − ε)·z[y] − ε·mean_c z[c] (PyTorch's
//   CrossEntropyLoss(label_smoothing=ε) per row);
//   grad:  g[r, c] = w_r·(exp(z[r, c] − lse_r) − ε/V − (1 − ε)·[c = y_r]).
// Composed from tfjs ops they were about twelve passes over a [rows, 50,257] block.
#include "common.h"
#include "fastmath.h"

#define DEFINE_XENT(SUFFIX, ATTR)                                                                                     \
  ATTR static void stats_rows_##SUFFIX(int64_t lo, int64_t hi, const float *restrict z, const int32_t *restrict y,    \
                                       float *restrict out, int64_t cols, float eps) {                                \
    for (int64_t r = lo; r < hi; r++) {                                                                               \
      const float *zr = z + r * cols;                                                                                 \
      float m = zr[0];                                                                                                \
      _Pragma("omp simd reduction(max : m)") for (int64_t c = 1; c < cols; c++) m = zr[c] > m ? zr[c] : m;            \
      float s = 0.0f, sz = 0.0f;                                                                                      \
      _Pragma("omp simd reduction(+ : s, sz)") for (int64_t c = 0; c < cols; c++) {                                   \
        s += exp_f(zr[c] - m);                                                                                        \
        sz += zr[c];                                                                                                  \
      }                                                                                                               \
      const float lse = m + log_f(s);                                                                                 \
      out[2 * r] = lse;                                                                                               \
      out[2 * r + 1] = lse - (1.0f - eps) * zr[y[r]] - eps * sz / (float)cols;                                        \
    }                                                                                                                 \
  }                                                                                                                   \
  ATTR static void grad_rows_##SUFFIX(int64_t lo, int64_t hi, const float *restrict z, const float *restrict lse,     \
                                      const int32_t *restrict y, const float *restrict w, float *restrict g,          \
                                      int64_t cols, float eps) {                                                      \
    for (int64_t r = lo; r < hi; r++) {                                                                               \
      const float *zr = z + r * cols;                                                                                 \
      float *gr = g + r * cols;                                                                                       \
      const float l = lse[r], off = eps / (float)cols, wr = w[r];                                                     \
      _Pragma("omp simd") for (int64_t c = 0; c < cols; c++) gr[c] = (exp_f(zr[c] - l) - off) * wr;                   \
      gr[y[r]] -= (1.0f - eps) * wr;                                                                                  \
    }                                                                                                                 \
  }

DEFINE_XENT(avx512, AVX512_VEC)
DEFINE_XENT(avx2, AVX2_FMA)
DEFINE_XENT(base, )

static int labels_in_range(napi_env env, const int32_t *y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    if (y[r] < 0 || y[r] >= cols) {
      napi_throw_range_error(env, NULL, "peft_blas: cross-entropy label outside [0, cols)");
      return 0;
    }
  }
  return 1;
}

// softmaxCrossEntropy(z, zOffset, labels, labelsOffset, out, outOffset, rows, cols, eps): out [rows, 2] = (lse, loss)
// per row; labels are int32 data seen through a Float32Array.
napi_value softmax_cross_entropy(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!get_args(env, info, 9, argv, "softmaxCrossEntropy")) return NULL;
  size_t lz, ly, lo;
  float *z = f32_view(env, argv[0], &lz);
  if (!z) return NULL;
  float *yf = f32_view(env, argv[2], &ly);
  if (!yf) return NULL;
  float *out = f32_view(env, argv[4], &lo);
  if (!out) return NULL;
  const int64_t zo = get_i64(env, argv[1]), yo = get_i64(env, argv[3]), oo = get_i64(env, argv[5]), rows = get_i64(env, argv[6]),
                cols = get_i64(env, argv[7]);
  double eps = 0;
  napi_get_value_double(env, argv[8], &eps);
  if (rows < 0 || cols < 1 || zo < 0 || yo < 0 || oo < 0 || (uint64_t)(zo + rows * cols) > lz || (uint64_t)(yo + rows) > ly ||
      (uint64_t)(oo + 2 * rows) > lo) {
    napi_throw_range_error(env, NULL, "peft_blas: softmaxCrossEntropy operand out of bounds");
    return NULL;
  }
  const int32_t *y = (const int32_t *)(yf + yo);
  if (!labels_in_range(env, y, rows, cols)) return NULL;
  const int threads = rows * cols > HEAVY_PARALLEL_MIN && rows > 1 ? max_threads : 1;
  PARALLEL_ROWS(threads, rows, stats_rows, z + zo, y, out + oo, cols, (float)eps);
  return NULL;
}

// softmaxCrossEntropyGrad(z, zOffset, lse, lseOffset, labels, labelsOffset, weights, weightsOffset, g, gOffset, rows,
//                         cols, eps)
napi_value softmax_cross_entropy_grad(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!get_args(env, info, 13, argv, "softmaxCrossEntropyGrad")) return NULL;
  size_t lz, ll, ly, lw, lg;
  float *z = f32_view(env, argv[0], &lz);
  if (!z) return NULL;
  float *lse = f32_view(env, argv[2], &ll);
  if (!lse) return NULL;
  float *yf = f32_view(env, argv[4], &ly);
  if (!yf) return NULL;
  float *w = f32_view(env, argv[6], &lw);
  if (!w) return NULL;
  float *g = f32_view(env, argv[8], &lg);
  if (!g) return NULL;
  const int64_t zo = get_i64(env, argv[1]), lso = get_i64(env, argv[3]), yo = get_i64(env, argv[5]), wo = get_i64(env, argv[7]),
                go = get_i64(env, argv[9]), rows = get_i64(env, argv[10]), cols = get_i64(env, argv[11]);
  double eps = 0;
  napi_get_value_double(env, argv[12], &eps);
  if (rows < 0 || cols < 1 || zo < 0 || lso < 0 || yo < 0 || wo < 0 || go < 0 || (uint64_t)(zo + rows * cols) > lz ||
      (uint64_t)(lso + rows) > ll || (uint64_t)(yo + rows) > ly || (uint64_t)(wo + rows) > lw || (uint64_t)(go + rows * cols) > lg) {
    napi_throw_range_error(env, NULL, "peft_blas: softmaxCrossEntropyGrad operand out of bounds");
    return NULL;
  }
  const int32_t *y = (const int32_t *)(yf + yo);
  if (!labels_in_range(env, y, rows, cols)) return NULL;
  const int threads = rows * cols > HEAVY_PARALLEL_MIN && rows > 1 ? max_threads : 1;
  PARALLEL_ROWS(threads, rows, grad_rows, z + zo, lse + lso, y, w + wo, g + go, cols, (float)eps);
  return NULL;
}
