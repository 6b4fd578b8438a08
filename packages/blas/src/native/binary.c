// Broadcasting binary arithmetic (add, sub, mul, div) on float32: y = a ∘ b over an index box, each operand read
// through its own strides (0 repeats it along that axis), y contiguous. The innermost axis is one vectorised loop
// for each stride pattern (both contiguous, one repeated); rows are spread over the threads.
#include "common.h"

#define MAX_RANK 8
enum { OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3, OP_COUNT = 4 };

// One row of n outputs for one op: contiguous/contiguous, contiguous/repeated, repeated/contiguous, general strides.
#define DEFINE_ROW(NAME, EXPR, SUFFIX, ATTR)                                                                     \
  ATTR static void NAME##_row_##SUFFIX(const float *restrict a, const float *restrict b, float *restrict y,      \
                                       int64_t n, int64_t sa, int64_t sb) {                                      \
    if (sa == 1 && sb == 1) {                                                                                    \
      _Pragma("omp simd") for (int64_t i = 0; i < n; i++) { const float x = a[i], z = b[i]; y[i] = EXPR; }      \
    } else if (sa == 1 && sb == 0) {                                                                             \
      const float z = b[0];                                                                                      \
      _Pragma("omp simd") for (int64_t i = 0; i < n; i++) { const float x = a[i]; y[i] = EXPR; }                \
    } else if (sa == 0 && sb == 1) {                                                                             \
      const float x = a[0];                                                                                      \
      _Pragma("omp simd") for (int64_t i = 0; i < n; i++) { const float z = b[i]; y[i] = EXPR; }                \
    } else {                                                                                                     \
      for (int64_t i = 0; i < n; i++) { const float x = a[i * sa], z = b[i * sb]; y[i] = EXPR; }                 \
    }                                                                                                            \
  }

#define DEFINE_ROWS(SUFFIX, ATTR)          \
  DEFINE_ROW(add, x + z, SUFFIX, ATTR)     \
  DEFINE_ROW(sub, x - z, SUFFIX, ATTR)     \
  DEFINE_ROW(mul, x *z, SUFFIX, ATTR)      \
  DEFINE_ROW(div, x / z, SUFFIX, ATTR)

DEFINE_ROWS(avx2, AVX2_FMA)
DEFINE_ROWS(base, )

typedef void (*row_fn)(const float *restrict, const float *restrict, float *restrict, int64_t, int64_t, int64_t);
static const row_fn rows_avx2[OP_COUNT] = {add_row_avx2, sub_row_avx2, mul_row_avx2, div_row_avx2};
static const row_fn rows_base[OP_COUNT] = {add_row_base, sub_row_base, mul_row_base, div_row_base};

// Reads a JS array of `rank` non-negative integers into out; 0 after throwing.
int read_dims(napi_env env, napi_value arr, uint32_t rank, int64_t *out) {
  for (uint32_t d = 0; d < rank; d++) {
    napi_value v;
    if (napi_get_element(env, arr, d, &v) != napi_ok) return 0;
    out[d] = get_i64(env, v);
    if (out[d] < 0) {
      napi_throw_range_error(env, NULL, "peft_blas: sizes and strides must be non-negative");
      return 0;
    }
  }
  return 1;
}

// binary(op, a, aOffset, b, bOffset, y, yOffset, shape, aStrides, bStrides): y[i] = a[Σ i_d·sa_d] ∘ b[Σ i_d·sb_d]
// over the index box `shape` (rank 1..8), y contiguous; ops 0 add, 1 sub, 2 mul, 3 div.
napi_value binary(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!get_args(env, info, 10, argv, "binary")) return NULL;
  const int64_t op = get_i64(env, argv[0]);
  size_t la, lb, ly;
  float *a = f32_view(env, argv[1], &la);
  if (!a) return NULL;
  float *b = f32_view(env, argv[3], &lb);
  if (!b) return NULL;
  float *y = f32_view(env, argv[5], &ly);
  if (!y) return NULL;
  const int64_t ao = get_i64(env, argv[2]), bo = get_i64(env, argv[4]), yo = get_i64(env, argv[6]);
  uint32_t rank = 0;
  CHECK(napi_get_array_length(env, argv[7], &rank));
  if (op < 0 || op >= OP_COUNT || rank < 1 || rank > MAX_RANK) {
    napi_throw_range_error(env, NULL, "peft_blas: binary takes ops 0..3 and rank 1..8");
    return NULL;
  }
  int64_t shape[MAX_RANK], sa[MAX_RANK], sb[MAX_RANK];
  if (!read_dims(env, argv[7], rank, shape) || !read_dims(env, argv[8], rank, sa) || !read_dims(env, argv[9], rank, sb)) return NULL;
  int64_t n = 1, alast = ao, blast = bo;
  for (uint32_t d = 0; d < rank; d++) {
    n *= shape[d];
    alast += (shape[d] - 1) * sa[d];
    blast += (shape[d] - 1) * sb[d];
  }
  if (n == 0) return NULL;
  if (ao < 0 || bo < 0 || yo < 0 || (uint64_t)alast >= la || (uint64_t)blast >= lb || (uint64_t)(yo + n) > ly) {
    napi_throw_range_error(env, NULL, "peft_blas: binary operand out of the bounds of its Float32Array");
    return NULL;
  }
  const row_fn row = (use_avx2 ? rows_avx2 : rows_base)[op];
  const int r = (int)rank;
  const int64_t len = shape[r - 1], rows = n / len;
  const float *A = a + ao, *B = b + bo;
  float *Y = y + yo;
  const int threads = n > LIGHT_PARALLEL_MIN ? max_threads : 1;
  (void)threads; // unused where the compiler has no OpenMP
  if (rows >= 4 * threads) {
#pragma omp parallel num_threads(threads)
    {
      int64_t lo, hi;
      thread_block(rows, &lo, &hi);
      if (hi > lo) {
        // the multi-index of row `lo` over the outer axes, then an odometer from there
        int64_t idx[MAX_RANK] = {0}, rem = lo, offa = 0, offb = 0;
        for (int d = r - 2; d >= 0; d--) {
          idx[d] = rem % shape[d];
          rem /= shape[d];
          offa += idx[d] * sa[d];
          offb += idx[d] * sb[d];
        }
        for (int64_t i = lo; i < hi; i++) {
          row(A + offa, B + offb, Y + i * len, len, sa[r - 1], sb[r - 1]);
          for (int d = r - 2; d >= 0; d--) {
            offa += sa[d];
            offb += sb[d];
            if (++idx[d] < shape[d]) break;
            offa -= shape[d] * sa[d];
            offb -= shape[d] * sb[d];
            idx[d] = 0;
          }
        }
      }
    }
  } else {
    // few long rows: each row split over the threads
    int64_t idx[MAX_RANK] = {0}, offa = 0, offb = 0;
    for (int64_t i = 0; i < rows; i++) {
#pragma omp parallel num_threads(threads)
      {
        int64_t lo, hi;
        thread_block(len, &lo, &hi);
        if (hi > lo) row(A + offa + lo * sa[r - 1], B + offb + lo * sb[r - 1], Y + i * len + lo, hi - lo, sa[r - 1], sb[r - 1]);
      }
      for (int d = r - 2; d >= 0; d--) {
        offa += sa[d];
        offb += sb[d];
        if (++idx[d] < shape[d]) break;
        offa -= shape[d] * sa[d];
        offb -= shape[d] * sb[d];
        idx[d] = 0;
      }
    }
  }
  return NULL;
}
