// Elementwise kernels: own vectorisable exp and tanh (glibc's tanhf/expf are scalar calls), GPT-2's gelu_new and
// its derivative, each loop compiled for AVX2+FMA and for the baseline and run on all threads.
#include "common.h"

// exp: x = n·ln2 + r, |r| ≤ ln2/2, a degree-6 polynomial for e^r (the classic Cephes coefficients, ~1 ulp), and
// 2^n applied as two normal factors so that results down to the denormals and up to overflow come out right.
// tanh: the Cephes odd polynomial below |x| < 0.625, 1 − 2/(e^{2|x|} + 1) above. NaN propagates in both.

static inline __attribute__((always_inline)) float pow2i(int32_t n) {
  union { int32_t i; float f; } u;
  u.i = (n + 127) << 23;
  return u.f;
}

static inline __attribute__((always_inline)) float exp_f(float x) {
  x = x < -104.0f ? -104.0f : x;
  x = x > 89.0f ? 89.0f : x;
  const float n = __builtin_rintf(x * 1.44269504088896341f);
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * (r * r) + r + 1.0f;
  const int32_t ni = (int32_t)n;
  const int32_t half = ni >> 1;
  return (y * pow2i(half)) * pow2i(ni - half);
}

static inline __attribute__((always_inline)) float tanh_f(float x) {
  const float z = x * x;
  float ps = -5.70498872745e-3f;
  ps = ps * z + 2.06390887954e-2f;
  ps = ps * z - 5.37397155531e-2f;
  ps = ps * z + 1.33314422036e-1f;
  ps = ps * z - 3.33332819422e-1f;
  ps = ps * z * x + x;
  const float ax = __builtin_fabsf(x);
  const float big = 1.0f - 2.0f / (exp_f(2.0f * ax) + 1.0f);
  return ax < 0.625f ? ps : __builtin_copysignf(big, x);
}

#define SQRT_2_OVER_PI 0.7978845608028654f
#define GELU_C 0.044715f

// Each chunk loop is compiled twice, for AVX2+FMA and for the baseline, and picked once at load by the CPU's features
// (the addon is built where it is installed, but images are copied between machines).
#define DEFINE_CHUNKS(SUFFIX, ATTR)                                                                               \
  ATTR static void exp_chunk_##SUFFIX(const float *restrict in, float *restrict out, int64_t n) {                 \
    _Pragma("omp simd") for (int64_t i = 0; i < n; i++) out[i] = exp_f(in[i]);                                    \
  }                                                                                                               \
  ATTR static void tanh_chunk_##SUFFIX(const float *restrict in, float *restrict out, int64_t n) {                \
    _Pragma("omp simd") for (int64_t i = 0; i < n; i++) out[i] = tanh_f(in[i]);                                   \
  }                                                                                                               \
  /* GPT-2's gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) */                                              \
  ATTR static void gelu_chunk_##SUFFIX(const float *restrict in, float *restrict out, int64_t n) {                \
    _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                                         \
      const float x = in[i];                                                                                      \
      out[i] = 0.5f * x * (1.0f + tanh_f(SQRT_2_OVER_PI * (x + GELU_C * x * x * x)));                              \
    }                                                                                                             \
  }                                                                                                               \
  /* its derivative times dy: dy·(0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)) */                      \
  ATTR static void gelu_grad_chunk_##SUFFIX(const float *restrict in, const float *restrict dy, float *restrict out, \
                                            int64_t n) {                                                          \
    _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                                         \
      const float x = in[i], x2 = x * x;                                                                          \
      const float t = tanh_f(SQRT_2_OVER_PI * (x + GELU_C * x2 * x));                                             \
      out[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_C * x2)); \
    }                                                                                                             \
  }

DEFINE_CHUNKS(avx2, AVX2_FMA)
DEFINE_CHUNKS(base, )

typedef void (*unary_chunk)(const float *restrict, float *restrict, int64_t);
typedef void (*binary_chunk)(const float *restrict, const float *restrict, float *restrict, int64_t);
static unary_chunk exp_chunk = exp_chunk_base, tanh_chunk = tanh_chunk_base, gelu_chunk = gelu_chunk_base;
static binary_chunk gelu_grad_chunk = gelu_grad_chunk_base;
void pick_elementwise_loops(void) {
  exp_chunk = use_avx2 ? exp_chunk_avx2 : exp_chunk_base;
  tanh_chunk = use_avx2 ? tanh_chunk_avx2 : tanh_chunk_base;
  gelu_chunk = use_avx2 ? gelu_chunk_avx2 : gelu_chunk_base;
  gelu_grad_chunk = use_avx2 ? gelu_grad_chunk_avx2 : gelu_grad_chunk_base;
}

enum { OP_TANH = 0, OP_EXP = 1, OP_GELU_TANH = 2, OP_GELU_TANH_GRAD = 3 };

// Splits [0, n) into one contiguous chunk per thread (a multiple of 16 elements, so vector loops stay aligned).
static void run_chunks(int op, const float *x, const float *dy, float *y, int64_t n) {
  const int threads = n > 65536 ? max_threads : 1;
  (void)threads; // unused where the compiler has no OpenMP
#pragma omp parallel num_threads(threads)
  {
    int64_t lo, hi;
    thread_block(n, &lo, &hi);
    if (hi > lo) {
      switch (op) {
        case OP_TANH: tanh_chunk(x + lo, y + lo, hi - lo); break;
        case OP_EXP: exp_chunk(x + lo, y + lo, hi - lo); break;
        case OP_GELU_TANH: gelu_chunk(x + lo, y + lo, hi - lo); break;
        case OP_GELU_TANH_GRAD: gelu_grad_chunk(x + lo, dy + lo, y + lo, hi - lo); break;
      }
    }
  }
}

// elementwise(op, x, xOffset, dy, dyOffset, y, yOffset, n): y = f(x) (ops 0 tanh, 1 exp, 2 gelu_new) or
// y = dy·f'(x) (op 3). dy is ignored by the unary ops (pass x). The views may be the same Float32Array.
napi_value elementwise(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!get_args(env, info, 8, argv, "elementwise")) return NULL;
  size_t lx, ld, ly;
  const int64_t op = get_i64(env, argv[0]);
  float *x = f32_view(env, argv[1], &lx);
  if (!x) return NULL;
  float *dy = f32_view(env, argv[3], &ld);
  if (!dy) return NULL;
  float *y = f32_view(env, argv[5], &ly);
  if (!y) return NULL;
  const int64_t xo = get_i64(env, argv[2]), dyo = get_i64(env, argv[4]), yo = get_i64(env, argv[6]), n = get_i64(env, argv[7]);
  if (op < OP_TANH || op > OP_GELU_TANH_GRAD) {
    napi_throw_range_error(env, NULL, "peft_blas: unknown elementwise op");
    return NULL;
  }
  if (n < 0 || xo < 0 || yo < 0 || dyo < 0 || (uint64_t)(xo + n) > lx || (uint64_t)(yo + n) > ly ||
      (op == OP_GELU_TANH_GRAD && (uint64_t)(dyo + n) > ld)) {
    napi_throw_range_error(env, NULL, "peft_blas: elementwise operand out of bounds");
    return NULL;
  }
  run_chunks((int)op, x + xo, dy + dyo, y + yo, n);
  return NULL;
}
