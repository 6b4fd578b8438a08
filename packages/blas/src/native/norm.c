// @peft/core's LayerNorm over the last axis of x viewed as [rows, d], in one pass per row each way:
//   forward:  x̂ = (x − mean)·r, r = 1/√(mean((x − mean)²) + eps) (biased variance, as PyTorch), y = x̂·γ + β;
//             writes y, x̂ and r (what the backward needs);
//   backward: g = dy·γ, dx = r·(g − mean(g) − x̂·mean(g·x̂)).
// Without centring (RMSNorm: Llama's) mean is 0 in both, and there is no β.
// Composed from tfjs ops they were nine kernels forward and eight backward, each a pass over [rows, d].
#include <math.h>
#include "common.h"

#define DEFINE_NORM(SUFFIX, ATTR)                                                                                     \
  ATTR static void layer_norm_rows_##SUFFIX(int64_t lo, int64_t hi, const float *restrict x, const float *restrict gamma, \
                                            const float *restrict beta, float *restrict y, float *restrict xh,        \
                                            float *restrict rstd, int64_t d, float eps, int centre) {                 \
    for (int64_t r = lo; r < hi; r++) {                                                                               \
      const float *xr = x + r * d;                                                                                    \
      float *yr = y + r * d, *hr = xh + r * d;                                                                        \
      float s = 0.0f;                                                                                                 \
      _Pragma("omp simd reduction(+ : s)") for (int64_t c = 0; c < d; c++) s += xr[c];                                \
      const float mean = centre ? s / (float)d : 0.0f;                                                                \
      float v = 0.0f;                                                                                                 \
      _Pragma("omp simd reduction(+ : v)") for (int64_t c = 0; c < d; c++) {                                          \
        const float t = xr[c] - mean;                                                                                 \
        v += t * t;                                                                                                   \
      }                                                                                                               \
      const float rs = 1.0f / sqrtf(v / (float)d + eps);                                                              \
      rstd[r] = rs;                                                                                                   \
      _Pragma("omp simd") for (int64_t c = 0; c < d; c++) {                                                           \
        const float h = (xr[c] - mean) * rs;                                                                          \
        hr[c] = h;                                                                                                    \
        yr[c] = beta ? h * gamma[c] + beta[c] : h * gamma[c];                                                         \
      }                                                                                                               \
    }                                                                                                                 \
  }                                                                                                                   \
  ATTR static void layer_norm_grad_rows_##SUFFIX(int64_t lo, int64_t hi, const float *restrict dy,                    \
                                                 const float *restrict xh, const float *restrict rstd,                \
                                                 const float *restrict gamma, float *restrict dx, int64_t d, int centre) { \
    for (int64_t r = lo; r < hi; r++) {                                                                               \
      const float *gr = dy + r * d, *hr = xh + r * d;                                                                 \
      float *dr = dx + r * d;                                                                                         \
      float sg = 0.0f, sgh = 0.0f;                                                                                    \
      _Pragma("omp simd reduction(+ : sg, sgh)") for (int64_t c = 0; c < d; c++) {                                    \
        const float g = gr[c] * gamma[c];                                                                             \
        sg += g;                                                                                                      \
        sgh += g * hr[c];                                                                                             \
      }                                                                                                               \
      const float mg = centre ? sg / (float)d : 0.0f, mgh = sgh / (float)d, rs = rstd[r];                             \
      _Pragma("omp simd") for (int64_t c = 0; c < d; c++) dr[c] = (gr[c] * gamma[c] - mg - hr[c] * mgh) * rs;         \
    }                                                                                                                 \
  }

DEFINE_NORM(avx512, AVX512_VEC)
DEFINE_NORM(avx2, AVX2_FMA)
DEFINE_NORM(base, )

// layerNorm(x, xo, gamma, go, beta | null, bo, y, yo, xh, xho, rstd, ro, rows, d, eps, centre)
napi_value layer_norm(napi_env env, napi_callback_info info) {
  napi_value argv[16];
  if (!get_args(env, info, 16, argv, "layerNorm")) return NULL;
  const int64_t rows = get_i64(env, argv[12]), d = get_i64(env, argv[13]);
  double eps = 0;
  napi_get_value_double(env, argv[14], &eps);
  bool centre = true;
  napi_get_value_bool(env, argv[15], &centre);
  if (rows < 0 || d < 1) {
    napi_throw_range_error(env, NULL, "peft_blas: layerNorm needs rows ≥ 0 and d ≥ 1");
    return NULL;
  }
  napi_valuetype bt;
  napi_typeof(env, argv[4], &bt);
  const int has_beta = bt != napi_null && bt != napi_undefined;
  const char *oob = "peft_blas: layerNorm operand out of bounds";
  float *x = f32_operand(env, argv, 0, rows * d, oob), *gamma = x ? f32_operand(env, argv, 2, d, oob) : NULL;
  float *beta = NULL;
  if (gamma && has_beta && !(beta = f32_operand(env, argv, 4, d, oob))) return NULL;
  float *y = gamma ? f32_operand(env, argv, 6, rows * d, oob) : NULL;
  float *xh = y ? f32_operand(env, argv, 8, rows * d, oob) : NULL, *rstd = xh ? f32_operand(env, argv, 10, rows, oob) : NULL;
  if (!rstd) return NULL;
  const int threads = rows * d > HEAVY_PARALLEL_MIN && rows > 1 ? max_threads : 1;
  PARALLEL_ROWS(threads, rows, layer_norm_rows, x, gamma, beta, y, xh, rstd, d, (float)eps, centre);
  return NULL;
}

// layerNormGrad(dy, dyo, xh, xho, rstd, ro, gamma, go, dx, dxo, rows, d, centre)
napi_value layer_norm_grad(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!get_args(env, info, 13, argv, "layerNormGrad")) return NULL;
  const int64_t rows = get_i64(env, argv[10]), d = get_i64(env, argv[11]);
  bool centre = true;
  napi_get_value_bool(env, argv[12], &centre);
  if (rows < 0 || d < 1) {
    napi_throw_range_error(env, NULL, "peft_blas: layerNormGrad needs rows ≥ 0 and d ≥ 1");
    return NULL;
  }
  const char *oob = "peft_blas: layerNormGrad operand out of bounds";
  float *dy = f32_operand(env, argv, 0, rows * d, oob), *xh = dy ? f32_operand(env, argv, 2, rows * d, oob) : NULL;
  float *rstd = xh ? f32_operand(env, argv, 4, rows, oob) : NULL, *gamma = rstd ? f32_operand(env, argv, 6, d, oob) : NULL;
  float *dx = gamma ? f32_operand(env, argv, 8, rows * d, oob) : NULL;
  if (!dx) return NULL;
  const int threads = rows * d > HEAVY_PARALLEL_MIN && rows > 1 ? max_threads : 1;
  PARALLEL_ROWS(threads, rows, layer_norm_grad_rows, dy, xh, rstd, gamma, dx, d, centre);
  return NULL;
}
