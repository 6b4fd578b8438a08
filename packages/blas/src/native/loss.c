// The label-smoothed softmax cross-entropy of a block of logit rows, one pass for the value and one for the gradient:
// per row r with target y and weight w,
//   loss[r] = w·(lse − (1 − ε)·z[y] − ε·mean_c z[c]),  lse = log Σ_c exp z[c]
//   grad[r, c] = w·(softmax(z)[c] − ε/V − (1 − ε)·[c = y])
// (PyTorch's CrossEntropyLoss(label_smoothing=ε) per row). Composed from tfjs ops it was about twelve passes over a
// [rows, 50,257] block.
#include <omp.h>
#include "common.h"
#include "fastmath.h"

#define DEFINE_XENT(SUFFIX, ATTR)                                                                                  \
  ATTR static void xent_rows_##SUFFIX(const float *restrict z, const int32_t *restrict y, const float *restrict w,  \
                                      float *restrict loss, float *restrict grad, int64_t lo, int64_t hi,          \
                                      int64_t cols, float eps) {                                                   \
    for (int64_t r = lo; r < hi; r++) {                                                                            \
      const float *zr = z + r * cols;                                                                              \
      float m = zr[0];                                                                                             \
      for (int64_t c = 1; c < cols; c++) m = zr[c] > m ? zr[c] : m;                                                \
      float s = 0.0f, sz = 0.0f;                                                                                   \
      if (grad) {                                                                                                  \
        float *gr = grad + r * cols;                                                                               \
        _Pragma("omp simd reduction(+ : s, sz)") for (int64_t c = 0; c < cols; c++) {                             \
          const float e = exp_f(zr[c] - m);                                                                        \
          gr[c] = e;                                                                                               \
          s += e;                                                                                                  \
          sz += zr[c];                                                                                             \
        }                                                                                                          \
        const float inv = 1.0f / s, off = eps / (float)cols, wr = w[r];                                            \
        _Pragma("omp simd") for (int64_t c = 0; c < cols; c++) gr[c] = (gr[c] * inv - off) * wr;                  \
        gr[y[r]] -= (1.0f - eps) * wr;                                                                             \
      } else {                                                                                                     \
        _Pragma("omp simd reduction(+ : s, sz)") for (int64_t c = 0; c < cols; c++) {                             \
          s += exp_f(zr[c] - m);                                                                                   \
          sz += zr[c];                                                                                             \
        }                                                                                                          \
      }                                                                                                            \
      const float lse = m + log_f(s);                                                                              \
      loss[r] = w[r] * (lse - (1.0f - eps) * zr[y[r]] - eps * sz / (float)cols);                                   \
    }                                                                                                              \
  }

DEFINE_XENT(avx2, AVX2_FMA)
DEFINE_XENT(base, )

// smoothedCrossEntropy(z, zOffset, labels, labelsOffset, weights, weightsOffset, loss, lossOffset, grad, gradOffset,
//                      rows, cols, eps, withGradient): labels are int32 data seen through a Float32Array.
napi_value smoothed_cross_entropy(napi_env env, napi_callback_info info) {
  napi_value argv[14];
  if (!get_args(env, info, 14, argv, "smoothedCrossEntropy")) return NULL;
  size_t lz, ly, lw, ll, lg;
  float *z = f32_view(env, argv[0], &lz);
  if (!z) return NULL;
  float *yf = f32_view(env, argv[2], &ly);
  if (!yf) return NULL;
  float *w = f32_view(env, argv[4], &lw);
  if (!w) return NULL;
  float *loss = f32_view(env, argv[6], &ll);
  if (!loss) return NULL;
  float *grad = f32_view(env, argv[8], &lg);
  if (!grad) return NULL;
  const int64_t zo = get_i64(env, argv[1]), yo = get_i64(env, argv[3]), wo = get_i64(env, argv[5]), lo = get_i64(env, argv[7]),
                go = get_i64(env, argv[9]), rows = get_i64(env, argv[10]), cols = get_i64(env, argv[11]);
  double eps = 0;
  napi_get_value_double(env, argv[12], &eps);
  bool with_grad = false;
  napi_get_value_bool(env, argv[13], &with_grad);
  if (rows < 0 || cols < 1 || zo < 0 || yo < 0 || wo < 0 || lo < 0 || go < 0 || (uint64_t)(zo + rows * cols) > lz ||
      (uint64_t)(yo + rows) > ly || (uint64_t)(wo + rows) > lw || (uint64_t)(lo + rows) > ll ||
      (with_grad && (uint64_t)(go + rows * cols) > lg)) {
    napi_throw_range_error(env, NULL, "peft_blas: smoothedCrossEntropy operand out of bounds");
    return NULL;
  }
  const int32_t *y = (const int32_t *)(yf + yo);
  for (int64_t r = 0; r < rows; r++) {
    if (y[r] < 0 || y[r] >= cols) {
      napi_throw_range_error(env, NULL, "peft_blas: smoothedCrossEntropy label outside [0, cols)");
      return NULL;
    }
  }
  const int threads = rows * cols > HEAVY_PARALLEL_MIN && rows > 1 ? max_threads : 1;
  const int wide = use_avx2;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t per = (rows + nt - 1) / nt, a = t * per < rows ? t * per : rows, b = a + per < rows ? a + per : rows;
    if (b > a) {
      float *g = with_grad ? grad + go : NULL;
      if (wide) xent_rows_avx2(z + zo, y, w + wo, loss + lo, g, a, b, cols, (float)eps);
      else xent_rows_base(z + zo, y, w + wo, loss + lo, g, a, b, cols, (float)eps);
    }
  }
  return NULL;
}
