// The addon's own single-precision GEMM: blocked and packed in the Goto/BLIS manner, one micro-kernel per instruction
// set. Plain C plus Node-free, so it can be compiled and tested on its own.
#ifndef PEFT_BLAS_OWN_GEMM_H
#define PEFT_BLAS_OWN_GEMM_H
#include <stdint.h>

// C = op(A)·op(B), row-major, one thread: op(A) is m×k, op(B) is k×n, C is m×n with leading dimension ldc.
// lda and ldb are the leading dimensions of A and B as stored (A is k×m when ta, B is n×k when tb).
typedef void (*sgemm_fn)(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                         int64_t ldb, float *c, int64_t ldc);

// The same on `threads` OpenMP threads that share the packed blocks one whole GEMM per thread would pack once per
// thread (own-gemm-driver.h); −1, nothing written, where it does not apply (the caller then splits the product itself).
typedef int (*sgemm_threads_fn)(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                                const float *b, int64_t ldb, float *c, int64_t ldc, int threads);

// One instruction set's GEMM and how it is described in the addon's config string.
typedef struct {
  sgemm_fn sgemm;
  sgemm_threads_fn sgemm_threads;
  const char *name;  // "avx512", "avx2", "baseline", "neon"
  const char *about; // e.g. "AVX2+FMA 6×16 micro-kernel"
} own_gemm;

// Baseline: 16-byte vectors in GCC/Clang vector extensions (SSE2 on x86-64, NEON/ASIMD on arm64), any CPU.
extern const own_gemm own_gemm_baseline;
#if defined(__x86_64__)
extern const own_gemm own_gemm_avx2;   // needs AVX2 and FMA at run time
extern const own_gemm own_gemm_avx512; // needs AVX-512F (and the OS saving zmm state) at run time
#endif
#if defined(__aarch64__)
extern const own_gemm own_gemm_neon;
#endif

// A 64-byte aligned scratch buffer of this thread (slot 0: packed A, 1: packed B, 2: the transposed result of a narrow
// product),
// grown to hold `floats`; kept for the thread's life. NULL when out of memory.
float *own_gemm_scratch(int slot, int64_t floats);

#endif
