// Shared by the addon's source files: Node-API helpers, the thread count and the CPU-feature switch.
#ifndef PEFT_BLAS_COMMON_H
#define PEFT_BLAS_COMMON_H
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
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
// argv[i] as a Float32Array and argv[i + 1] an offset into it, `count` floats from there: their address; NULL (thrown:
// a TypeError, or a RangeError saying out_of_bounds) otherwise.
float *f32_operand(napi_env env, napi_value *argv, int i, int64_t count, const char *out_of_bounds);
int64_t get_i64(napi_env env, napi_value v);

// OpenMP when the compiler has it (the build probes for it); otherwise one thread and these stand-ins.
#ifdef _OPENMP
#include <omp.h>
#else
static inline int omp_get_thread_num(void) { return 0; }
static inline int omp_get_num_threads(void) { return 1; }
static inline int omp_get_max_threads(void) { return 1; }
#endif

// Threads for every parallel region (OpenMP; a system BLAS runs single-threaded inside). Set by setThreads.
extern int max_threads;
// The vector paths in use, picked at load from the CPU's features and forceable to the baseline (selectKernels):
// AVX2+FMA on x86-64 (the vectorised loops are compiled for both it and the baseline), AVX-512 on x86-64 (the GEMM,
// the tiled attention, and the exp/tanh/log-bound loops: elementwise, unary, row and loss kernels; use_avx2 stays on
// beside it for the rest), NEON on arm64 (the GEMM).
extern int use_avx2;
extern int use_avx512;
extern int use_neon;
#if defined(__x86_64__) || defined(__i386__)
#define AVX2_FMA __attribute__((target("avx2,fma")))
// 512-bit vectors for the loops GCC vectorises (its generic tuning would otherwise keep 256-bit ones); measured on a
// Zen 5 core, one thread (bench/elementwise.mjs): gelu_new 1.8×, its derivative 1.8×, tanh 1.7×, exp 1.6× the AVX2
// loops' speed
#if defined(__clang__)
#define AVX512_VEC __attribute__((target("avx512f,avx2,fma")))
#else
#define AVX512_VEC __attribute__((target("avx512f,avx2,fma,prefer-vector-width=512")))
#endif
#else
#define AVX2_FMA
#define AVX512_VEC
#endif

// Elements above which a pass is spread over the threads. Memory-bound passes (add, copy, sum) gain little from a
// second core and pay a wake-up per parallel region — on a loaded machine a whole scheduler slice (~20 ms measured);
// passes computing exp, tanh or log gain nearly 2× from it.
#define LIGHT_PARALLEL_MIN ((int64_t)1 << 20)
#define HEAVY_PARALLEL_MIN ((int64_t)1 << 16)

// This thread's block of [0, n) inside an OpenMP parallel region: equal blocks, a multiple of 16 long.
void thread_block(int64_t n, int64_t *lo, int64_t *hi);
// This thread's whole rows [lo, hi) of `rows` inside an OpenMP parallel region (a row is the unit of row-wise kernels).
void thread_rows(int64_t rows, int64_t *lo, int64_t *hi);
// A row-wise kernel over `rows` rows on `threads` threads: each thread calls FN_avx512, FN_avx2 or FN_base (the vector
// path in use) as FN_x(lo, hi, ...) on its whole rows [lo, hi).
#define PARALLEL_ROWS(threads, rows, FN, ...)                                                                      \
  do {                                                                                                             \
    const int path_ = use_avx512 ? 2 : use_avx2, threads_ = (threads);                                             \
    (void)threads_; /* unused where the compiler has no OpenMP */                                                  \
    _Pragma("omp parallel num_threads(threads_)") {                                                                \
      int64_t lo_, hi_;                                                                                            \
      thread_rows((rows), &lo_, &hi_);                                                                             \
      if (hi_ > lo_) {                                                                                             \
        if (path_ == 2) FN##_avx512(lo_, hi_, __VA_ARGS__);                                                        \
        else if (path_) FN##_avx2(lo_, hi_, __VA_ARGS__);                                                          \
        else FN##_base(lo_, hi_, __VA_ARGS__);                                                                     \
      }                                                                                                            \
    }                                                                                                              \
  } while (0)

napi_value sgemm_batched(napi_env env, napi_callback_info info);
napi_value elementwise(napi_env env, napi_callback_info info);
napi_value reduce_sum(napi_env env, napi_callback_info info);
napi_value strided_copy(napi_env env, napi_callback_info info);
napi_value binary(napi_env env, napi_callback_info info);
napi_value unary(napi_env env, napi_callback_info info);
napi_value rowwise(napi_env env, napi_callback_info info);
napi_value softmax_cross_entropy(napi_env env, napi_callback_info info);
napi_value softmax_cross_entropy_grad(napi_env env, napi_callback_info info);
napi_value layer_norm(napi_env env, napi_callback_info info);
napi_value layer_norm_grad(napi_env env, napi_callback_info info);
napi_value adamw(napi_env env, napi_callback_info info);
napi_value configure_allocator(napi_env env, napi_callback_info info);
napi_value masked_softmax(napi_env env, napi_callback_info info);
napi_value dropout_mask(napi_env env, napi_callback_info info);
napi_value dropout_mask_scalar(napi_env env, napi_callback_info info);
napi_value gemv(napi_env env, napi_callback_info info);
napi_value masked_softmax_grad(napi_env env, napi_callback_info info);
napi_value attention_tiled(napi_env env, napi_callback_info info);
napi_value attention_tiled_grad(napi_env env, napi_callback_info info);
// Reads a JS array of `rank` non-negative integers into out; 0 after throwing.
int read_dims(napi_env env, napi_value arr, uint32_t rank, int64_t *out);
void pick_elementwise_loops(void);

// The GEMM (gemm.c): pick_gemm follows use_avx512/use_avx2/use_neon; gemm_select(1) runs the system BLAS (-1 when it is not
// built in), gemm_select(0) the own GEMM; gemm_built names the system BLAS built in, or NULL.
void pick_gemm(void);
int gemm_select(int system);
const char *gemm_built(void);
const char *gemm_name(void);
const char *gemm_isa(void);
void gemm_describe(char *buf, size_t size);

#endif
