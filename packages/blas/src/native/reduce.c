// Sums (and means) over leading or trailing axes: x viewed as [outer, inner], reduced over rows or columns.
#include "common.h"

// rows: y[o] = scale·Σ_i x[o·inner + i]; columns: y[j] = scale·Σ_o x[o·inner + j]. Float accumulation in 8 lanes.
#define DEFINE_REDUCE(SUFFIX, ATTR)                                                                               \
  ATTR static void sum_rows_##SUFFIX(const float *restrict x, float *restrict y, int64_t lo, int64_t hi, int64_t inner, \
                                     float scale) {                                                               \
    for (int64_t o = lo; o < hi; o++) {                                                                           \
      const float *row = x + o * inner;                                                                           \
      float acc = 0.0f;                                                                                           \
      _Pragma("omp simd reduction(+ : acc)") for (int64_t i = 0; i < inner; i++) acc += row[i];                   \
      y[o] = acc * scale;                                                                                         \
    }                                                                                                             \
  }                                                                                                               \
  ATTR static void sum_cols_##SUFFIX(const float *restrict x, float *restrict y, int64_t outer, int64_t inner,     \
                                     int64_t lo, int64_t hi, float scale) {                                       \
    for (int64_t j = lo; j < hi; j++) y[j] = 0.0f;                                                                \
    for (int64_t o = 0; o < outer; o++) {                                                                         \
      const float *row = x + o * inner;                                                                           \
      _Pragma("omp simd") for (int64_t j = lo; j < hi; j++) y[j] += row[j];                                       \
    }                                                                                                             \
    _Pragma("omp simd") for (int64_t j = lo; j < hi; j++) y[j] *= scale;                                          \
  }

DEFINE_REDUCE(avx2, AVX2_FMA)
DEFINE_REDUCE(base, )

// reduceSum(x, xOffset, y, yOffset, outer, inner, columns, scale)
napi_value reduce_sum(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!get_args(env, info, 8, argv, "reduceSum")) return NULL;
  size_t lx, ly;
  float *x = f32_view(env, argv[0], &lx);
  if (!x) return NULL;
  float *y = f32_view(env, argv[2], &ly);
  if (!y) return NULL;
  const int64_t xo = get_i64(env, argv[1]), yo = get_i64(env, argv[3]), outer = get_i64(env, argv[4]), inner = get_i64(env, argv[5]);
  bool columns = false;
  napi_get_value_bool(env, argv[6], &columns);
  double scale = 1.0;
  napi_get_value_double(env, argv[7], &scale);
  const int64_t nout = columns ? inner : outer;
  if (outer < 0 || inner < 0 || xo < 0 || yo < 0 || (uint64_t)(xo + outer * inner) > lx || (uint64_t)(yo + nout) > ly) {
    napi_throw_range_error(env, NULL, "peft_blas: reduceSum operand out of bounds");
    return NULL;
  }
  const float *in = x + xo;
  float *out = y + yo;
  const int wide = use_avx2;
  const int threads = outer * inner > LIGHT_PARALLEL_MIN && nout >= 64 ? max_threads : 1;
  (void)threads; // unused where the compiler has no OpenMP
#pragma omp parallel num_threads(threads)
  {
    int64_t lo, hi;
    thread_block(nout, &lo, &hi);
    if (hi > lo) {
      if (columns) {
        if (wide) sum_cols_avx2(in, out, outer, inner, lo, hi, (float)scale);
        else sum_cols_base(in, out, outer, inner, lo, hi, (float)scale);
      } else {
        if (wide) sum_rows_avx2(in, out, lo, hi, inner, (float)scale);
        else sum_rows_base(in, out, lo, hi, inner, (float)scale);
      }
    }
  }
  return NULL;
}
