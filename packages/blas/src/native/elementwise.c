// Elementwise kernels: own vectorisable exp and tanh (glibc's tanhf/expf are scalar calls), GPT-2's gelu_new and
// its derivative, each loop compiled for AVX-512, for AVX2+FMA and for the baseline and run on all threads.
#include <math.h>
#include "common.h"
#include "fastmath.h"

// exp_f and tanh_f: fastmath.h.

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

DEFINE_CHUNKS(avx512, AVX512_VEC)
DEFINE_CHUNKS(avx2, AVX2_FMA)
DEFINE_CHUNKS(base, )

// RoBERTa's exact GELU, 0.5·x·(1 + erf(x/√2)), and its derivative times dy, dy·(Φ(x) + x·φ(x)). erf is libm's (a
// scalar call, accurate to an ulp); the loops still run on all threads.
#define INV_SQRT_2 0.7071067811865476f
#define INV_SQRT_2PI 0.3989422804014327f
static void gelu_erf_chunk(const float *restrict in, float *restrict out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = 0.5f * in[i] * (1.0f + erff(in[i] * INV_SQRT_2));
}
static void gelu_erf_grad_chunk(const float *restrict in, const float *restrict dy, float *restrict out, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float x = in[i];
    out[i] = dy[i] * (0.5f * (1.0f + erff(x * INV_SQRT_2)) + x * exp_f(-0.5f * x * x) * INV_SQRT_2PI);
  }
}

typedef void (*unary_chunk)(const float *restrict, float *restrict, int64_t);
typedef void (*binary_chunk)(const float *restrict, const float *restrict, float *restrict, int64_t);
static unary_chunk exp_chunk = exp_chunk_base, tanh_chunk = tanh_chunk_base, gelu_chunk = gelu_chunk_base;
static binary_chunk gelu_grad_chunk = gelu_grad_chunk_base;
void pick_elementwise_loops(void) {
  exp_chunk = use_avx512 ? exp_chunk_avx512 : use_avx2 ? exp_chunk_avx2 : exp_chunk_base;
  tanh_chunk = use_avx512 ? tanh_chunk_avx512 : use_avx2 ? tanh_chunk_avx2 : tanh_chunk_base;
  gelu_chunk = use_avx512 ? gelu_chunk_avx512 : use_avx2 ? gelu_chunk_avx2 : gelu_chunk_base;
  gelu_grad_chunk = use_avx512 ? gelu_grad_chunk_avx512 : use_avx2 ? gelu_grad_chunk_avx2 : gelu_grad_chunk_base;
}

enum { OP_TANH = 0, OP_EXP = 1, OP_GELU_TANH = 2, OP_GELU_TANH_GRAD = 3, OP_GELU_ERF = 4, OP_GELU_ERF_GRAD = 5 };

// Splits [0, n) into one contiguous chunk per thread (a multiple of 16 elements, so vector loops stay aligned).
static void run_chunks(int op, const float *x, const float *dy, float *y, int64_t n) {
  const int threads = n > HEAVY_PARALLEL_MIN ? max_threads : 1;
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
        case OP_GELU_ERF: gelu_erf_chunk(x + lo, y + lo, hi - lo); break;
        case OP_GELU_ERF_GRAD: gelu_erf_grad_chunk(x + lo, dy + lo, y + lo, hi - lo); break;
      }
    }
  }
}

// elementwise(op, x, xOffset, dy, dyOffset, y, yOffset, n): y = f(x) (ops 0 tanh, 1 exp, 2 gelu_new, 4 exact gelu)
// or y = dy·f'(x) (op 3 gelu_new's, 5 exact gelu's). dy is ignored by the unary ops (pass x). The views may be the same Float32Array.
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
  if (op < OP_TANH || op > OP_GELU_ERF_GRAD) {
    napi_throw_range_error(env, NULL, "peft_blas: unknown elementwise op");
    return NULL;
  }
  if (n < 0 || xo < 0 || yo < 0 || dyo < 0 || (uint64_t)(xo + n) > lx || (uint64_t)(yo + n) > ly ||
      ((op == OP_GELU_TANH_GRAD || op == OP_GELU_ERF_GRAD) && (uint64_t)(dyo + n) > ld)) {
    napi_throw_range_error(env, NULL, "peft_blas: elementwise operand out of bounds");
    return NULL;
  }
  run_chunks((int)op, x + xo, dy + dyo, y + yo, n);
  return NULL;
}
