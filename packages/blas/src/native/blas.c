// A Node-API addon with one job: batched single-precision GEMM through OpenBLAS (cblas_sgemm), reading and writing
// Float32Array views in place (for the wasm backend: views of the wasm heap, so nothing is copied).
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <omp.h>

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

// Products below this many multiply-adds run on one BLAS thread.
#define SMALL_ITEM (int64_t)(4 << 20)
static int max_threads = 0;
static int current_threads = 0;
static void set_blas_threads(int n) {
  if (n != current_threads) {
    openblas_set_num_threads(n);
    current_threads = n;
  }
}

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
  // Threads by size: waking BLAS threads costs more than a small product gains (a model of width 32 ran 1.8x slower
  // with them). Large products: OpenBLAS's own threads. Many small batch items: one item per OpenMP thread, each
  // single-threaded. Small work: one thread.
  const int64_t item = m * n * k;
  const int many = batch >= 2 && item < SMALL_ITEM && batch * item >= SMALL_ITEM;
  set_blas_threads(item >= SMALL_ITEM ? max_threads : 1);
#pragma omp parallel for schedule(static) if (many)
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
                1.0f, a + ao + i * sa, lda, b + bo + i * sb, ldb, 0.0f, c + co + i * m * n, (int)n);
  }
  return NULL;
}

// unary(op, x, xOffset, y, yOffset, n): y[i] = f(x[i]) for op 0 = tanh, 1 = exp. OpenMP threads and the
// compiler's vector math (libmvec) do what tfjs-wasm does one scalar at a time on one thread. x and y may alias.
static napi_value unary(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6) {
    napi_throw_error(env, NULL, "peft_blas: unary takes 6 arguments");
    return NULL;
  }
  size_t lx, ly;
  int64_t op = get_i64(env, argv[0]);
  float *x = f32_view(env, argv[1], &lx);
  if (!x) return NULL;
  float *y = f32_view(env, argv[3], &ly);
  if (!y) return NULL;
  int64_t xo = get_i64(env, argv[2]), yo = get_i64(env, argv[4]), n = get_i64(env, argv[5]);
  if (n < 0 || xo < 0 || yo < 0 || (uint64_t)(xo + n) > lx || (uint64_t)(yo + n) > ly) {
    napi_throw_range_error(env, NULL, "peft_blas: unary operand out of bounds");
    return NULL;
  }
  const float *restrict in = x + xo;
  float *restrict out = y + yo;
  if (op == 0) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; i++) out[i] = tanhf(in[i]);
  } else if (op == 1) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; i++) out[i] = expf(in[i]);
  } else {
    napi_throw_range_error(env, NULL, "peft_blas: unknown unary op");
  }
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  max_threads = (int)get_i64(env, argv[0]);
  if (max_threads < 1) max_threads = 1;
  set_blas_threads(max_threads);
  return NULL;
}

static napi_value config(napi_env env, napi_callback_info info) {
  (void)info;
  char buf[512];
  snprintf(buf, sizeof buf, "%s; threads=%d", openblas_get_config(), openblas_get_num_threads());
  napi_value s;
  CHECK(napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &s));
  return s;
}

static napi_value init(napi_env env, napi_value exports) {
  max_threads = current_threads = openblas_get_num_threads();
  napi_property_descriptor props[] = {
      {"sgemmBatched", NULL, sgemm_batched, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
      {"unary", NULL, unary, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, 4, props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
