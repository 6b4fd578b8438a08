// A Node-API addon for the TensorFlow.js wasm and cpu backends: batched GEMM, its own or the system BLAS's (gemm.c),
// vectorised elementwise and fused kernels (elementwise.c), reductions (reduce.c) and strided copies (copy.c), all
// reading and writing Float32Array views in place — for the wasm backend, views of the wasm heap, so nothing is copied.
#include <stdio.h>
#include <string.h>
#include "common.h"
#include "fma-probe.h"
#include "system-gemm.h"

// One thread pool: a system BLAS runs single-threaded and the addon spreads work over OpenMP threads itself. Two pools
// (OpenBLAS's pthreads spinning after each product, OpenMP's after each elementwise op) fought over 2 cores.
int max_threads = 1;
int use_avx2 = 0;
int use_avx512 = 0;
int use_neon = 0;
// What the CPU has, detected once at load.
static int cpu_avx2 = 0, cpu_avx512 = 0, cpu_neon = 0;

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

float *f32_operand(napi_env env, napi_value *argv, int i, int64_t count, const char *out_of_bounds) {
  size_t len;
  float *data = f32_view(env, argv[i], &len);
  if (!data) return NULL;
  const int64_t off = get_i64(env, argv[i + 1]);
  if (off < 0 || count < 0 || (uint64_t)(off + count) > len) {
    napi_throw_range_error(env, NULL, out_of_bounds);
    return NULL;
  }
  return data + off;
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

void thread_rows(int64_t rows, int64_t *lo, int64_t *hi) {
  const int t = omp_get_thread_num(), nt = omp_get_num_threads();
  const int64_t per = (rows + nt - 1) / nt;
  *lo = (int64_t)t * per < rows ? (int64_t)t * per : rows;
  *hi = *lo + per < rows ? *lo + per : rows;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv, "setThreads")) return NULL;
  max_threads = (int)get_i64(env, argv[0]);
  if (max_threads < 1) max_threads = 1;
  return NULL;
}

// The vector paths for `isa`: "auto" (the CPU's best), "baseline", or one path by name ("avx512", "avx2", "neon"),
// which the CPU must have. AVX-512 runs the GEMM and the exp/tanh/log-bound loops (elementwise, unary, row, loss
// kernels: 1.6–2× their AVX2 speed); the memory-bound ones (copies, sums, binary ops) and the rest stay on AVX2+FMA.
static int isa_runs(const char *isa) {
  if (strcmp(isa, "avx512") == 0) return cpu_avx2 && cpu_avx512;
  if (strcmp(isa, "avx2") == 0) return cpu_avx2;
  if (strcmp(isa, "neon") == 0) return cpu_neon;
  return 1; // auto, baseline
}
static void pick_paths(const char *isa) {
  const int is_auto = strcmp(isa, "auto") == 0;
  const int avx512 = (is_auto || strcmp(isa, "avx512") == 0) && cpu_avx2 && cpu_avx512;
  const int avx2 = (is_auto || avx512 || strcmp(isa, "avx2") == 0) && cpu_avx2;
  const int neon = (is_auto || strcmp(isa, "neon") == 0) && cpu_neon;
  use_avx2 = avx2;
  use_avx512 = avx512;
  use_neon = neon;
  pick_elementwise_loops();
  pick_gemm();
}

// The paths this build and CPU can run, best first, as a comma-separated list.
static const char *available_isas(void) {
  static char buf[48];
  snprintf(buf, sizeof buf, "%s%s%sbaseline", cpu_avx2 && cpu_avx512 ? "avx512, " : "", cpu_avx2 ? "avx2, " : "",
           cpu_neon ? "neon, " : "");
  return buf;
}

static const char *isa_name(void) {
  return use_avx512 ? "avx512" : use_avx2 ? "avx2" : use_neon ? "neon" : "baseline";
}

// selectKernels(gemm, isa): gemm "own" or "system" (the BLAS built in), isa "auto" (the CPU's best path), "baseline"
// (the plain vector path, also for elementwise and reductions) or one path by name ("avx512", "avx2", "neon": for
// tests and comparisons). Throws a RangeError naming what is missing.
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
  static const char *const isas[] = {"auto", "baseline", "avx512", "avx2", "neon"};
  int known = 0;
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) known |= strcmp(isa, isas[i]) == 0;
  if (!known) {
    napi_throw_range_error(env, NULL, "peft_blas: isa must be one of auto, baseline, avx512, avx2, neon");
    return NULL;
  }
  if (!isa_runs(isa)) {
    char msg[128];
    snprintf(msg, sizeof msg, "peft_blas: this CPU has no %s path (it has: %s)", isa, available_isas());
    napi_throw_range_error(env, NULL, msg);
    return NULL;
  }
  if (gemm_select(system) != 0) {
    napi_throw_range_error(env, NULL, "peft_blas: no system BLAS was built in (the build found no OpenBLAS or Accelerate)");
    return NULL;
  }
  pick_paths(isa);
  return NULL;
}

static napi_status set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  napi_status st = value ? napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v) : napi_get_null(env, &v);
  return st == napi_ok ? napi_set_named_property(env, obj, key, v) : st;
}

// kernelInfo(): { gemm: "own" | "openblas" | "accelerate", isa: "avx512" | "avx2" | "neon" | "baseline",
//                 isas: the paths this CPU can run, best first, systemGemm: "openblas" | "accelerate" | null (what is
//                 built in), openmp: boolean, threads }
static napi_value kernel_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, threads, openmp;
  CHECK(napi_create_object(env, &obj));
  CHECK(set_string(env, obj, "gemm", gemm_name()));
  CHECK(set_string(env, obj, "isa", isa_name()));
  CHECK(set_string(env, obj, "systemGemm", gemm_built()));
  napi_value isas;
  CHECK(napi_create_array(env, &isas));
  static const char *const paths[] = {"avx512", "avx2", "neon", "baseline"};
  uint32_t count = 0;
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    if (!isa_runs(paths[i])) continue;
    napi_value name;
    CHECK(napi_create_string_utf8(env, paths[i], NAPI_AUTO_LENGTH, &name));
    CHECK(napi_set_element(env, isas, count++, name));
  }
  CHECK(napi_set_named_property(env, obj, "isas", isas));
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

// fmaPeak(isa, seconds): one thread's register-only FMA throughput on that path in GFLOP/s (fma-probe.c), or null
// where this CPU has no such path.
static napi_value fma_peak(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv, "fmaPeak")) return NULL;
  char isa[16] = "";
  size_t len;
  double seconds = 0.0;
  if (napi_get_value_string_utf8(env, argv[0], isa, sizeof isa, &len) != napi_ok ||
      napi_get_value_double(env, argv[1], &seconds) != napi_ok) {
    napi_throw_type_error(env, NULL, "peft_blas: fmaPeak(isa, seconds) takes a string and a number");
    return NULL;
  }
  if (strcmp(isa, "avx512") != 0 && strcmp(isa, "avx2") != 0 && strcmp(isa, "neon") != 0 && strcmp(isa, "baseline") != 0) {
    napi_throw_range_error(env, NULL, "peft_blas: fmaPeak's isa must be one of avx512, avx2, neon, baseline");
    return NULL;
  }
  napi_value out;
  const double g = isa_runs(isa) ? fma_probe(isa, seconds > 0.0 ? seconds : 0.3) : -1.0;
  if (g < 0.0) {
    CHECK(napi_get_null(env, &out));
  } else {
    CHECK(napi_create_double(env, g, &out));
  }
  return out;
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
           use_avx512 ? "AVX-512 (exp/tanh/log loops), AVX2+FMA" : use_avx2 ? "AVX2+FMA" : "baseline", max_threads, pool);
  napi_value s;
  CHECK(napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &s));
  return s;
}

static napi_value init(napi_env env, napi_value exports) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  cpu_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  // libgcc's check includes the OS saving the zmm state (XCR0), not only the CPUID bit
  cpu_avx512 = __builtin_cpu_supports("avx512f");
#elif defined(__aarch64__)
  cpu_neon = 1; // ASIMD is part of every ARMv8-A core
#endif
  pick_paths("auto");
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
      {"fmaPeak", NULL, fma_peak, NULL, NULL, NULL, METHOD, NULL},
      {"elementwise", NULL, elementwise, NULL, NULL, NULL, METHOD, NULL},
      {"stridedCopy", NULL, strided_copy, NULL, NULL, NULL, METHOD, NULL},
      {"reduceSum", NULL, reduce_sum, NULL, NULL, NULL, METHOD, NULL},
      {"binary", NULL, binary, NULL, NULL, NULL, METHOD, NULL},
      {"unary", NULL, unary, NULL, NULL, NULL, METHOD, NULL},
      {"rowwise", NULL, rowwise, NULL, NULL, NULL, METHOD, NULL},
      {"softmaxCrossEntropy", NULL, softmax_cross_entropy, NULL, NULL, NULL, METHOD, NULL},
      {"softmaxCrossEntropyGrad", NULL, softmax_cross_entropy_grad, NULL, NULL, NULL, METHOD, NULL},
      {"layerNorm", NULL, layer_norm, NULL, NULL, NULL, METHOD, NULL},
      {"layerNormGrad", NULL, layer_norm_grad, NULL, NULL, NULL, METHOD, NULL},
      {"adamW", NULL, adamw, NULL, NULL, NULL, METHOD, NULL},
      {"configureAllocator", NULL, configure_allocator, NULL, NULL, NULL, METHOD, NULL},
      {"maskedSoftmax", NULL, masked_softmax, NULL, NULL, NULL, METHOD, NULL},
      {"dropoutMask", NULL, dropout_mask, NULL, NULL, NULL, METHOD, NULL},
      {"dropoutMaskScalar", NULL, dropout_mask_scalar, NULL, NULL, NULL, METHOD, NULL},
      {"gemv", NULL, gemv, NULL, NULL, NULL, METHOD, NULL},
      {"maskedSoftmaxGrad", NULL, masked_softmax_grad, NULL, NULL, NULL, METHOD, NULL},
      {"attentionTiled", NULL, attention_tiled, NULL, NULL, NULL, METHOD, NULL},
      {"attentionTiledGrad", NULL, attention_tiled_grad, NULL, NULL, NULL, METHOD, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
