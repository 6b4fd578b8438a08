// A Node-API addon for the TensorFlow.js wasm and cpu backends: batched GEMM, its own or the system BLAS's (gemm.c),
// vectorised elementwise and fused kernels (elementwise.c), reductions (reduce.c) and strided copies (copy.c), all
// reading and writing Float32Array views in place — for the wasm backend, views of the wasm heap, so nothing is copied.
#include <stdio.h>
#include <string.h>
#include "common.h"
#include "system-gemm.h"

// One thread pool: a system BLAS runs single-threaded and the addon spreads work over OpenMP threads itself. Two pools
// (OpenBLAS's pthreads spinning after each product, OpenMP's after each elementwise op) fought over 2 cores.
int max_threads = 1;
int use_avx2 = 0;
int use_neon = 0;
// What the CPU has, detected once at load.
static int cpu_avx2 = 0, cpu_neon = 0;

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

static void pick_paths(int wide) {
  use_avx2 = wide && cpu_avx2;
  use_neon = wide && cpu_neon;
  pick_elementwise_loops();
  pick_gemm();
}

static const char *isa_name(void) { return use_avx2 ? "avx2" : use_neon ? "neon" : "baseline"; }

// selectKernels(gemm, isa): gemm "own" or "system" (the BLAS built in), isa "auto" (the CPU's best path) or
// "baseline" (the plain vector path, also for elementwise and reductions). Throws a RangeError naming what is missing.
static napi_value select_kernels(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv, "selectKernels")) return NULL;
  char gemm[16] = "", isa[16] = "";
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], gemm, sizeof gemm, &len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], isa, sizeof isa, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "peft_blas: selectKernels(gemm, isa) takes two strings");
    return NULL;
  }
  const int system = strcmp(gemm, "system") == 0;
  if (!system && strcmp(gemm, "own") != 0) {
    napi_throw_range_error(env, NULL, "peft_blas: gemm must be \"own\" or \"system\"");
    return NULL;
  }
  if (strcmp(isa, "auto") != 0 && strcmp(isa, "baseline") != 0) {
    napi_throw_range_error(env, NULL, "peft_blas: isa must be \"auto\" or \"baseline\"");
    return NULL;
  }
  if (gemm_select(system) != 0) {
    napi_throw_range_error(env, NULL, "peft_blas: no system BLAS was built in (the build found no OpenBLAS or Accelerate)");
    return NULL;
  }
  pick_paths(strcmp(isa, "auto") == 0);
  return NULL;
}

static napi_status set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  napi_status st = value ? napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v) : napi_get_null(env, &v);
  return st == napi_ok ? napi_set_named_property(env, obj, key, v) : st;
}

// kernelInfo(): { gemm: "own" | "openblas" | "accelerate", isa: "avx2" | "neon" | "baseline",
//                 systemGemm: "openblas" | "accelerate" | null (what is built in), openmp: boolean, threads }
static napi_value kernel_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, threads, openmp;
  CHECK(napi_create_object(env, &obj));
  CHECK(set_string(env, obj, "gemm", gemm_name()));
  CHECK(set_string(env, obj, "isa", isa_name()));
  CHECK(set_string(env, obj, "systemGemm", gemm_built()));
#ifdef _OPENMP
  CHECK(napi_get_boolean(env, true, &openmp));
#else
  CHECK(napi_get_boolean(env, false, &openmp));
#endif
  CHECK(napi_set_named_property(env, obj, "openmp", openmp));
  CHECK(napi_create_int32(env, max_threads, &threads));
  CHECK(napi_set_named_property(env, obj, "threads", threads));
  return obj;
}

static napi_value config(napi_env env, napi_callback_info info) {
  (void)info;
  char gemm[384], buf[640];
  gemm_describe(gemm, sizeof gemm);
#ifdef _OPENMP
  const char *pool = "OpenMP";
#else
  const char *pool = "no OpenMP: one thread";
#endif
  snprintf(buf, sizeof buf, "GEMM: %s; elementwise: %s; threads=%d (%s)", gemm,
           use_avx2 ? "AVX2+FMA" : "baseline", max_threads, pool);
  napi_value s;
  CHECK(napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &s));
  return s;
}

static napi_value init(napi_env env, napi_value exports) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  cpu_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#elif defined(__aarch64__)
  cpu_neon = 1; // ASIMD is part of every ARMv8-A core
#endif
  pick_paths(1);
#if defined(PEFT_SYSTEM_GEMM)
  system_gemm_init();
  gemm_select(1); // the system BLAS where built in; the loader applies PEFT_BLAS_GEMM
#endif
  max_threads = omp_get_max_threads();
  // writable and configurable, as JavaScript's own methods are (a benchmark wraps sgemmBatched to time each call)
  const napi_property_attributes METHOD = (napi_property_attributes)(napi_writable | napi_configurable);
  napi_property_descriptor props[] = {
      {"sgemmBatched", NULL, sgemm_batched, NULL, NULL, NULL, METHOD, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, METHOD, NULL},
      {"selectKernels", NULL, select_kernels, NULL, NULL, NULL, METHOD, NULL},
      {"kernelInfo", NULL, kernel_info, NULL, NULL, NULL, METHOD, NULL},
      {"config", NULL, config, NULL, NULL, NULL, METHOD, NULL},
      {"elementwise", NULL, elementwise, NULL, NULL, NULL, METHOD, NULL},
      {"stridedCopy", NULL, strided_copy, NULL, NULL, NULL, METHOD, NULL},
      {"reduceSum", NULL, reduce_sum, NULL, NULL, NULL, METHOD, NULL},
      {"binary", NULL, binary, NULL, NULL, NULL, METHOD, NULL},
      {"unary", NULL, unary, NULL, NULL, NULL, METHOD, NULL},
      {"rowwise", NULL, rowwise, NULL, NULL, NULL, METHOD, NULL},
      {"softmaxCrossEntropy", NULL, softmax_cross_entropy, NULL, NULL, NULL, METHOD, NULL},
      {"softmaxCrossEntropyGrad", NULL, softmax_cross_entropy_grad, NULL, NULL, NULL, METHOD, NULL},
      {"configureAllocator", NULL, configure_allocator, NULL, NULL, NULL, METHOD, NULL},
      {"maskedSoftmax", NULL, masked_softmax, NULL, NULL, NULL, METHOD, NULL},
      {"dropoutMask", NULL, dropout_mask, NULL, NULL, NULL, METHOD, NULL},
      {"gemv", NULL, gemv, NULL, NULL, NULL, METHOD, NULL},
      {"maskedSoftmaxGrad", NULL, masked_softmax_grad, NULL, NULL, NULL, METHOD, NULL},
      {"attentionTiled", NULL, attention_tiled, NULL, NULL, NULL, METHOD, NULL},
      {"attentionTiledGrad", NULL, attention_tiled_grad, NULL, NULL, NULL, METHOD, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
