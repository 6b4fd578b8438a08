// Shared by the addon's source files: Node-API helpers, the thread count and the CPU-feature switch.
#ifndef PEFT_BLAS_COMMON_H
#define PEFT_BLAS_COMMON_H
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>

#define CHECK(call)                                                                 \
  do {                                                                              \
    if ((call) != napi_ok) {                                                        \
      napi_throw_error(env, NULL, "peft_blas: Node-API call failed: " #call);       \
      return NULL;                                                                  \
    }                                                                               \
  } while (0)

// Fills argv with exactly `want` arguments; otherwise throws "peft_blas: <name> takes <want> arguments", returns 0.
int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *name);
// The Float32Array's data and length (in floats); NULL after throwing a TypeError for anything else.
float *f32_view(napi_env env, napi_value v, size_t *length);
int64_t get_i64(napi_env env, napi_value v);

// Threads for every parallel region (OpenMP; OpenBLAS itself runs single-threaded). Set by setThreads.
extern int max_threads;
// Whether the CPU has AVX2 and FMA (the vectorised loops are compiled for both it and the baseline).
extern int use_avx2;
#define AVX2_FMA __attribute__((target("avx2,fma")))

// Elements above which a pass is spread over the threads. Memory-bound passes (add, copy, sum) gain little from a
// second core and pay a wake-up per parallel region — on a loaded machine a whole scheduler slice (~20 ms measured);
// passes computing exp, tanh or log gain nearly 2× from it.
#define LIGHT_PARALLEL_MIN ((int64_t)1 << 20)
#define HEAVY_PARALLEL_MIN ((int64_t)1 << 16)

// This thread's block of [0, n) inside an OpenMP parallel region: equal blocks, a multiple of 16 long.
void thread_block(int64_t n, int64_t *lo, int64_t *hi);

napi_value sgemm_batched(napi_env env, napi_callback_info info);
napi_value elementwise(napi_env env, napi_callback_info info);
napi_value reduce_sum(napi_env env, napi_callback_info info);
napi_value strided_copy(napi_env env, napi_callback_info info);
napi_value binary(napi_env env, napi_callback_info info);
napi_value unary(napi_env env, napi_callback_info info);
napi_value rowwise(napi_env env, napi_callback_info info);
napi_value softmax_cross_entropy(napi_env env, napi_callback_info info);
napi_value softmax_cross_entropy_grad(napi_env env, napi_callback_info info);
napi_value configure_allocator(napi_env env, napi_callback_info info);
napi_value masked_softmax(napi_env env, napi_callback_info info);
napi_value dropout_mask(napi_env env, napi_callback_info info);
napi_value gemv(napi_env env, napi_callback_info info);
napi_value masked_softmax_grad(napi_env env, napi_callback_info info);
// Reads a JS array of `rank` non-negative integers into out; 0 after throwing.
int read_dims(napi_env env, napi_value arr, uint32_t rank, int64_t *out);
void pick_elementwise_loops(void);

#endif
