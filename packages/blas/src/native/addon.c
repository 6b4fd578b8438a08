// A Node-API addon for the TensorFlow.js wasm and cpu backends: batched GEMM through OpenBLAS (gemm.c), vectorised
// elementwise and fused kernels (elementwise.c), reductions (reduce.c) and strided copies (copy.c), all reading and
// writing Float32Array views in place — for the wasm backend, views of the wasm heap, so nothing is copied.
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include "common.h"

// One thread pool: OpenBLAS runs single-threaded and the addon spreads work over OpenMP threads itself. Two pools
// (OpenBLAS's pthreads spinning after each product, OpenMP's after each elementwise op) fought over 2 cores.
int max_threads = 1;
int use_avx2 = 0;

int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *name) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != want) {
    char msg[96];
    snprintf(msg, sizeof msg, "peft_blas: %s takes %zu arguments", name, want);
    napi_throw_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

float *f32_view(napi_env env, napi_value v, size_t *length) {
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

int64_t get_i64(napi_env env, napi_value v) {
  int64_t x = 0;
  napi_get_value_int64(env, v, &x);
  return x;
}

void thread_block(int64_t n, int64_t *lo, int64_t *hi) {
  const int t = omp_get_thread_num(), nt = omp_get_num_threads();
  const int64_t per = ((n + nt - 1) / nt + 15) & ~(int64_t)15;
  *lo = (int64_t)t * per < n ? (int64_t)t * per : n;
  *hi = *lo + per < n ? *lo + per : n;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv, "setThreads")) return NULL;
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
  __builtin_cpu_init();
  use_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  pick_elementwise_loops();
  openblas_set_num_threads(1);
  max_threads = omp_get_max_threads();
  napi_property_descriptor props[] = {
      {"sgemmBatched", NULL, sgemm_batched, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
      {"elementwise", NULL, elementwise, NULL, NULL, NULL, napi_default, NULL},
      {"stridedCopy", NULL, strided_copy, NULL, NULL, NULL, napi_default, NULL},
      {"reduceSum", NULL, reduce_sum, NULL, NULL, NULL, napi_default, NULL},
      {"binary", NULL, binary, NULL, NULL, NULL, napi_default, NULL},
      {"unary", NULL, unary, NULL, NULL, NULL, napi_default, NULL},
      {"rowwise", NULL, rowwise, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxCrossEntropy", NULL, softmax_cross_entropy, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxCrossEntropyGrad", NULL, softmax_cross_entropy_grad, NULL, NULL, NULL, napi_default, NULL},
      {"configureAllocator", NULL, configure_allocator, NULL, NULL, NULL, napi_default, NULL},
      {"maskedSoftmax", NULL, masked_softmax, NULL, NULL, NULL, napi_default, NULL},
      {"dropoutMask", NULL, dropout_mask, NULL, NULL, NULL, napi_default, NULL},
      {"gemv", NULL, gemv, NULL, NULL, NULL, napi_default, NULL},
      {"maskedSoftmaxGrad", NULL, masked_softmax_grad, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
