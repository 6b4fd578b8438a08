// @peft/core's PeftAdamW: one parameter's AdamW update, Hugging Face transformers.AdamW's order of operations, in one
// pass over its elements (composed from tfjs ops it is about twelve passes and as many kernel calls a parameter):
//   g = grad·scale (scale given) or grad; m' = β1·m + (1 − β1)·g; v' = β2·v + (1 − β2)·(g·g);
//   p₁ = param − (m'/(√v' + eps))·stepSize; param' = decay > 0 ? p₁ − p₁·decay : p₁;
// and where `gate` is given and 0: m, v and param unchanged. Every operation is one float32 operation of the composed
// path, in its order, the constants rounded to float32 as tfjs rounds its scalars; none is fused into an FMA (the
// pragma below), so the result is the composed path's bit for bit.
#include <math.h>
#include <string.h>
#include "common.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

typedef struct {
  float scale, b1, c1, b2, c2, eps, step, decay;
  int has_scale, has_decay;
} adamw_consts;

#define DEFINE_ADAMW(SUFFIX, ATTR)                                                                                     \
  ATTR static void adamw_span_##SUFFIX(int64_t lo, int64_t hi, const float *restrict p, const float *restrict m,      \
                                       const float *restrict v, const float *restrict grad, float *restrict po,      \
                                       float *restrict mo, float *restrict vo, const adamw_consts *k) {              \
    const float s = k->scale, b1 = k->b1, c1 = k->c1, b2 = k->b2, c2 = k->c2, eps = k->eps, step = k->step,          \
                dec = k->decay;                                                                                      \
    const int has_scale = k->has_scale, has_decay = k->has_decay;                                                    \
    _Pragma("omp simd") for (int64_t i = lo; i < hi; i++) {                                                          \
      const float g = has_scale ? grad[i] * s : grad[i];                                                             \
      const float mi = m[i] * b1 + g * c1;                                                                           \
      const float vi = v[i] * b2 + (g * g) * c2;                                                                     \
      float next = p[i] - (mi / (sqrtf(vi) + eps)) * step;                                                           \
      if (has_decay) next = next - next * dec;                                                                       \
      mo[i] = mi;                                                                                                    \
      vo[i] = vi;                                                                                                    \
      po[i] = next;                                                                                                  \
    }                                                                                                                \
  }

DEFINE_ADAMW(avx512, AVX512_VEC)
DEFINE_ADAMW(avx2, AVX2_FMA)
DEFINE_ADAMW(base, )

// adamW(param, po, m, mo, v, vo, grad, go, paramOut, poo, mOut, moo, vOut, voo, n, hasScale, scale, hasGate, gate,
//       beta1, beta2, eps, stepSize, decay)
napi_value adamw(napi_env env, napi_callback_info info) {
  napi_value argv[24];
  if (!get_args(env, info, 24, argv, "adamW")) return NULL;
  const int64_t n = get_i64(env, argv[14]);
  if (n < 0) {
    napi_throw_range_error(env, NULL, "peft_blas: adamW needs n ≥ 0");
    return NULL;
  }
  float *ops[7];
  for (int j = 0; j < 7; j++)
    if (!(ops[j] = f32_operand(env, argv, 2 * j, n, "peft_blas: adamW operand out of the bounds of its Float32Array"))) return NULL;
  bool has_scale = false, has_gate = false;
  double scale = 1, gate = 1, beta1 = 0, beta2 = 0, eps = 0, step = 0, decay = 0;
  napi_get_value_bool(env, argv[15], &has_scale);
  napi_get_value_double(env, argv[16], &scale);
  napi_get_value_bool(env, argv[17], &has_gate);
  napi_get_value_double(env, argv[18], &gate);
  napi_get_value_double(env, argv[19], &beta1);
  napi_get_value_double(env, argv[20], &beta2);
  napi_get_value_double(env, argv[21], &eps);
  napi_get_value_double(env, argv[22], &step);
  napi_get_value_double(env, argv[23], &decay);
  float *p = ops[0], *m = ops[1], *v = ops[2], *g = ops[3], *po = ops[4], *mo = ops[5], *vo = ops[6];
  if (has_gate && (float)gate == 0.0f) {
    // a step skipped on the device: everything as it was
    memmove(po, p, (size_t)n * sizeof(float));
    memmove(mo, m, (size_t)n * sizeof(float));
    memmove(vo, v, (size_t)n * sizeof(float));
    return NULL;
  }
  // the constants as tfjs makes its scalar tensors: computed in double, rounded to float32 once
  const adamw_consts k = {(float)scale, (float)beta1, (float)(1.0 - beta1), (float)beta2, (float)(1.0 - beta2), (float)eps,
                          (float)step, (float)decay, has_scale, decay > 0};
  const int threads = n > LIGHT_PARALLEL_MIN ? max_threads : 1;
  PARALLEL_ROWS(threads, n, adamw_span, p, m, v, g, po, mo, vo, &k);
  return NULL;
}
