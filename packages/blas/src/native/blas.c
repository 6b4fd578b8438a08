// A Node-API addon with one job: batched single-precision GEMM through OpenBLAS (cblas_sgemm), reading and writing
// Float32Array views in place (for the wasm backend: views of the wasm heap, so nothing is copied).
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#define CHECK(call)                                                                 \
  do {                                                                              \
    if ((call) != napi_ok) {                                                        \
      napi_throw_error(env, NULL, "peft_blas: Node-API call failed: " #call);       \
      return NULL;                                                                  \
    }                                                                               \
  } while (0)

static float *f32_view(napi_env env, napi_value v, size_t *length) {
  napi_typedarray_type type;
  void *data;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, length, &data, &ab, &offset) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "peft_blas: expected a Float32Array");
    return NULL;
  }
  return (float *)data;
}

static int64_t get_i64(napi_env env, napi_value v) {
  int64_t x = 0;
  napi_get_value_int64(env, v, &x);
  return x;
}

// One thread pool: OpenBLAS runs single-threaded and the addon spreads work over OpenMP threads itself. Two pools
// (OpenBLAS's pthreads spinning after each product, OpenMP's after each elementwise op) fought over 2 cores.
// Products below this many multiply-adds run on one thread.
#define SMALL_ITEM (int64_t)(4 << 20)
static int max_threads = 1;
// sgemmBatched(a, aOffset, b, bOffset, c, cOffset, batch, m, n, k, transA, transB, strideA, strideB)
// C[i] = op(A[i]) · op(B[i]) for i < batch, row-major; op(A) is m×k, op(B) is k×n, C is m×n.
// Offsets and strides are in floats; a stride of 0 broadcasts that operand over the batch.
static napi_value sgemm_batched(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 14) {
    napi_throw_error(env, NULL, "peft_blas: sgemmBatched takes 14 arguments");
    return NULL;
  }
  size_t la, lb, lc;
  float *a = f32_view(env, argv[0], &la);
  if (!a) return NULL;
  float *b = f32_view(env, argv[2], &lb);
  if (!b) return NULL;
  float *c = f32_view(env, argv[4], &lc);
  if (!c) return NULL;
  int64_t ao = get_i64(env, argv[1]), bo = get_i64(env, argv[3]), co = get_i64(env, argv[5]);
  int64_t batch = get_i64(env, argv[6]), m = get_i64(env, argv[7]), n = get_i64(env, argv[8]), k = get_i64(env, argv[9]);
  bool ta = false, tb = false;
  napi_get_value_bool(env, argv[10], &ta);
  napi_get_value_bool(env, argv[11], &tb);
  int64_t sa = get_i64(env, argv[12]), sb = get_i64(env, argv[13]);
  if (batch < 0 || m < 0 || n < 0 || k < 0 || ao < 0 || bo < 0 || co < 0 || sa < 0 || sb < 0) {
    napi_throw_range_error(env, NULL, "peft_blas: negative size, offset or stride");
    return NULL;
  }
  // bounds: the last batch item must lie inside each view
  if (batch > 0 && ((uint64_t)(ao + (batch - 1) * sa + m * k) > la || (uint64_t)(bo + (batch - 1) * sb + k * n) > lb ||
                    (uint64_t)(co + batch * m * n) > lc)) {
    napi_throw_range_error(env, NULL, "peft_blas: operand out of the bounds of its Float32Array");
    return NULL;
  }
  const int lda = ta ? (int)m : (int)k;
  const int ldb = tb ? (int)k : (int)n;
  // Threads by size: waking threads costs more than a small product gains (a model of width 32 ran 1.8x slower with
  // them). Many small batch items: one item per thread. A large product: its rows (or columns, whichever are
  // more) split in one block per thread, each block one single-threaded sgemm.
  const int64_t item = m * n * k;
  const int threads = batch * item >= SMALL_ITEM ? max_threads : 1;
  const CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
  if (batch >= threads || threads == 1) {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < batch; i++) {
      cblas_sgemm(CblasRowMajor, opa, opb, (int)m, (int)n, (int)k, 1.0f, a + ao + i * sa, lda, b + bo + i * sb, ldb, 0.0f,
                  c + co + i * m * n, (int)n);
    }
  } else {
    const int split_rows = m >= n;
    const int64_t extent = split_rows ? m : n;
    for (int64_t i = 0; i < batch; i++) {
      const float *ai = a + ao + i * sa, *bi = b + bo + i * sb;
      float *ci = c + co + i * m * n;
#pragma omp parallel num_threads(threads)
      {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        const int64_t per = ((extent + nt - 1) / nt + 15) & ~(int64_t)15;
        const int64_t lo = (int64_t)t * per < extent ? (int64_t)t * per : extent;
        const int64_t hi = lo + per < extent ? lo + per : extent;
        if (hi > lo) {
          if (split_rows) {
            // rows lo..hi of op(A): A's rows (plain) or columns (transposed)
            cblas_sgemm(CblasRowMajor, opa, opb, (int)(hi - lo), (int)n, (int)k, 1.0f, ta ? ai + lo : ai + lo * lda, lda,
                        bi, ldb, 0.0f, ci + lo * n, (int)n);
          } else {
            // columns lo..hi of op(B): B's columns (plain) or rows (transposed)
            cblas_sgemm(CblasRowMajor, opa, opb, (int)m, (int)(hi - lo), (int)k, 1.0f, ai, lda, tb ? bi + lo * ldb : bi + lo,
                        ldb, 0.0f, ci + lo, (int)n);
          }
        }
      }
    }
  }
  return NULL;
}

// ---- elementwise math: own vectorisable exp and tanh (glibc's tanhf/expf are scalar calls) ----
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

DEFINE_CHUNKS(avx2, __attribute__((target("avx2,fma"))))
DEFINE_CHUNKS(base, )

typedef void (*unary_chunk)(const float *restrict, float *restrict, int64_t);
typedef void (*binary_chunk)(const float *restrict, const float *restrict, float *restrict, int64_t);
static unary_chunk exp_chunk = exp_chunk_base, tanh_chunk = tanh_chunk_base, gelu_chunk = gelu_chunk_base;
static binary_chunk gelu_grad_chunk = gelu_grad_chunk_base;
static int use_avx2 = 0;
static void pick_chunks(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    use_avx2 = 1;
    exp_chunk = exp_chunk_avx2;
    tanh_chunk = tanh_chunk_avx2;
    gelu_chunk = gelu_chunk_avx2;
    gelu_grad_chunk = gelu_grad_chunk_avx2;
  }
}

enum { OP_TANH = 0, OP_EXP = 1, OP_GELU_TANH = 2, OP_GELU_TANH_GRAD = 3 };

// Splits [0, n) into one contiguous chunk per thread (a multiple of 16 elements, so vector loops stay aligned).
static void run_chunks(int op, const float *x, const float *dy, float *y, int64_t n) {
  const int threads = n > 65536 ? max_threads : 1;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t per = ((n + nt - 1) / nt + 15) & ~(int64_t)15;
    const int64_t lo = (int64_t)t * per < n ? (int64_t)t * per : n;
    const int64_t hi = lo + per < n ? lo + per : n;
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
static napi_value elementwise(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 8) {
    napi_throw_error(env, NULL, "peft_blas: elementwise takes 8 arguments");
    return NULL;
  }
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

// ---- reductions over leading or trailing axes: x viewed as [outer, inner] ----
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

DEFINE_REDUCE(avx2, __attribute__((target("avx2,fma"))))
DEFINE_REDUCE(base, )

// reduceSum(x, xOffset, y, yOffset, outer, inner, columns, scale)
static napi_value reduce_sum(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 8) {
    napi_throw_error(env, NULL, "peft_blas: reduceSum takes 8 arguments");
    return NULL;
  }
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
  const int threads = outer * inner > 65536 && nout >= 64 ? max_threads : 1;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t per = ((nout + nt - 1) / nt + 15) & ~(int64_t)15;
    const int64_t lo = (int64_t)t * per < nout ? (int64_t)t * per : nout;
    const int64_t hi = lo + per < nout ? lo + per : nout;
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

// ---- strided copies: Tile, SplitV and the like as one N-d copy of 4-byte elements ----
#define MAX_COPY_RANK 16

static void copy_dims(const uint32_t *src, uint32_t *dst, int d, int rank, const int64_t *shape, const int64_t *ss,
                      const int64_t *ds) {
  if (d == rank - 1) {
    const int64_t n = shape[d];
    if (ss[d] == 1 && ds[d] == 1) {
      memcpy(dst, src, (size_t)n * 4);
    } else if (ss[d] == 0) {
      const uint32_t v = *src;
      for (int64_t i = 0; i < n; i++) dst[i * ds[d]] = v;
    } else {
      for (int64_t i = 0; i < n; i++) dst[i * ds[d]] = src[i * ss[d]];
    }
    return;
  }
  for (int64_t i = 0; i < shape[d]; i++) copy_dims(src + i * ss[d], dst + i * ds[d], d + 1, rank, shape, ss, ds);
}

// stridedCopy(src, srcOffset, dst, dstOffset, shape, srcStrides, dstStrides): dst[Σ i_d·ds_d] = src[Σ i_d·ss_d] over
// the index box `shape` (plain arrays of numbers, in elements; a source stride of 0 repeats). 4-byte elements; the
// views are Float32Arrays whatever the tensor's 4-byte dtype.
static napi_value strided_copy(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 7) {
    napi_throw_error(env, NULL, "peft_blas: stridedCopy takes 7 arguments");
    return NULL;
  }
  size_t ls, ld;
  float *src = f32_view(env, argv[0], &ls);
  if (!src) return NULL;
  float *dst = f32_view(env, argv[2], &ld);
  if (!dst) return NULL;
  const int64_t so = get_i64(env, argv[1]), dof = get_i64(env, argv[3]);
  uint32_t rank = 0;
  CHECK(napi_get_array_length(env, argv[4], &rank));
  if (rank < 1 || rank > MAX_COPY_RANK) {
    napi_throw_range_error(env, NULL, "peft_blas: stridedCopy rank must be 1..16");
    return NULL;
  }
  int64_t shape[MAX_COPY_RANK], ss[MAX_COPY_RANK], ds[MAX_COPY_RANK];
  int64_t slast = so, dlast = dof;
  int empty = 0;
  for (uint32_t d = 0; d < rank; d++) {
    napi_value v;
    CHECK(napi_get_element(env, argv[4], d, &v));
    shape[d] = get_i64(env, v);
    CHECK(napi_get_element(env, argv[5], d, &v));
    ss[d] = get_i64(env, v);
    CHECK(napi_get_element(env, argv[6], d, &v));
    ds[d] = get_i64(env, v);
    if (shape[d] < 0 || ss[d] < 0 || ds[d] < 0) {
      napi_throw_range_error(env, NULL, "peft_blas: stridedCopy sizes and strides must be non-negative");
      return NULL;
    }
    if (shape[d] == 0) empty = 1;
    else {
      slast += (shape[d] - 1) * ss[d];
      dlast += (shape[d] - 1) * ds[d];
    }
  }
  if (empty) return NULL;
  if (so < 0 || dof < 0 || (uint64_t)slast >= ls || (uint64_t)dlast >= ld) {
    napi_throw_range_error(env, NULL, "peft_blas: stridedCopy out of the bounds of its Float32Array");
    return NULL;
  }
  copy_dims((const uint32_t *)(src + so), (uint32_t *)(dst + dof), 0, (int)rank, shape, ss, ds);
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  max_threads = (int)get_i64(env, argv[0]);
  if (max_threads < 1) max_threads = 1;
  return NULL;
}

static napi_value config(napi_env env, napi_callback_info info) {
  (void)info;
  char buf[512];
  snprintf(buf, sizeof buf, "%s; threads=%d (OpenMP, OpenBLAS single-threaded inside)", openblas_get_config(), max_threads);
  napi_value s;
  CHECK(napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &s));
  return s;
}

static napi_value init(napi_env env, napi_value exports) {
  pick_chunks();
  openblas_set_num_threads(1);
  max_threads = omp_get_max_threads();
  napi_property_descriptor props[] = {
      {"sgemmBatched", NULL, sgemm_batched, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
      {"elementwise", NULL, elementwise, NULL, NULL, NULL, napi_default, NULL},
      {"stridedCopy", NULL, strided_copy, NULL, NULL, NULL, napi_default, NULL},
      {"reduceSum", NULL, reduce_sum, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, 6, props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
