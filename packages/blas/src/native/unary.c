// Elementwise maps tfjs's cpu backend computes one scalar call at a time (and the wasm backend on one thread):
// neg, square, sqrt, rsqrt, log, sigmoid, floor, abs, reciprocal — vectorised, on all threads above 64 Ki elements.
#include <math.h>
#include "common.h"
#include "fastmath.h"

enum { U_NEG, U_SQUARE, U_SQRT, U_RSQRT, U_LOG, U_SIGMOID, U_FLOOR, U_ABS, U_RECIPROCAL, U_COUNT };

#define DEFINE_MAP(NAME, EXPR, SUFFIX, ATTR)                                                                   \
  ATTR static void NAME##_map_##SUFFIX(const float *restrict in, float *restrict out, int64_t n) {              \
    _Pragma("omp simd") for (int64_t i = 0; i < n; i++) { const float x = in[i]; out[i] = EXPR; }              \
  }
#define DEFINE_MAPS(SUFFIX, ATTR)                              \
  DEFINE_MAP(neg, -x, SUFFIX, ATTR)                            \
  DEFINE_MAP(square, x *x, SUFFIX, ATTR)                       \
  DEFINE_MAP(sqrt, __builtin_sqrtf(x), SUFFIX, ATTR)           \
  DEFINE_MAP(rsqrt, 1.0f / __builtin_sqrtf(x), SUFFIX, ATTR)   \
  DEFINE_MAP(log, log_f(x), SUFFIX, ATTR)                      \
  DEFINE_MAP(sigmoid, sigmoid_f(x), SUFFIX, ATTR)              \
  DEFINE_MAP(floor, __builtin_floorf(x), SUFFIX, ATTR)         \
  DEFINE_MAP(abs, __builtin_fabsf(x), SUFFIX, ATTR)            \
  DEFINE_MAP(reciprocal, 1.0f / x, SUFFIX, ATTR)

DEFINE_MAPS(avx512, AVX512_VEC)
DEFINE_MAPS(avx2, AVX2_FMA)
DEFINE_MAPS(base, )

typedef void (*map_fn)(const float *restrict, float *restrict, int64_t);
static const map_fn maps_avx512[U_COUNT] = {neg_map_avx512, square_map_avx512, sqrt_map_avx512, rsqrt_map_avx512,
                                            log_map_avx512, sigmoid_map_avx512, floor_map_avx512, abs_map_avx512,
                                            reciprocal_map_avx512};
static const map_fn maps_avx2[U_COUNT] = {neg_map_avx2, square_map_avx2, sqrt_map_avx2, rsqrt_map_avx2, log_map_avx2,
                                          sigmoid_map_avx2, floor_map_avx2, abs_map_avx2, reciprocal_map_avx2};
static const map_fn maps_base[U_COUNT] = {neg_map_base, square_map_base, sqrt_map_base, rsqrt_map_base, log_map_base,
                                          sigmoid_map_base, floor_map_base, abs_map_base, reciprocal_map_base};

// unary(op, x, xOffset, y, yOffset, n): y[i] = f(x[i]); ops in the enum's order (0 neg … 8 reciprocal).
napi_value unary(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv, "unary")) return NULL;
  const int64_t op = get_i64(env, argv[0]);
  size_t lx, ly;
  float *x = f32_view(env, argv[1], &lx);
  if (!x) return NULL;
  float *y = f32_view(env, argv[3], &ly);
  if (!y) return NULL;
  const int64_t xo = get_i64(env, argv[2]), yo = get_i64(env, argv[4]), n = get_i64(env, argv[5]);
  if (op < 0 || op >= U_COUNT) {
    napi_throw_range_error(env, NULL, "peft_blas: unknown unary op");
    return NULL;
  }
  if (n < 0 || xo < 0 || yo < 0 || (uint64_t)(xo + n) > lx || (uint64_t)(yo + n) > ly) {
    napi_throw_range_error(env, NULL, "peft_blas: unary operand out of bounds");
    return NULL;
  }
  const map_fn f = (use_avx512 ? maps_avx512 : use_avx2 ? maps_avx2 : maps_base)[op];
  const float *in = x + xo;
  float *out = y + yo;
  const int threads = n > (op == U_LOG || op == U_SIGMOID ? HEAVY_PARALLEL_MIN : LIGHT_PARALLEL_MIN) ? max_threads : 1;
  (void)threads; // unused where the compiler has no OpenMP
#pragma omp parallel num_threads(threads)
  {
    int64_t lo, hi;
    thread_block(n, &lo, &hi);
    if (hi > lo) f(in + lo, out + lo, hi - lo);
  }
  return NULL;
}
