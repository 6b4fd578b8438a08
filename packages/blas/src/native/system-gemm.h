// The system's cblas GEMM (OpenBLAS on Linux, Accelerate on macOS), compiled in only where the build found it
// (binding.gyp defines PEFT_GEMM_OPENBLAS or PEFT_GEMM_ACCELERATE and adds system-gemm.c).
#ifndef PEFT_BLAS_SYSTEM_GEMM_H
#define PEFT_BLAS_SYSTEM_GEMM_H
#include <stdint.h>

#if defined(PEFT_GEMM_OPENBLAS) || defined(PEFT_GEMM_ACCELERATE)
#define PEFT_SYSTEM_GEMM 1
// C = op(A)·op(B) as own-gemm.h's sgemm_fn, through cblas_sgemm on the calling thread only.
void system_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                  int64_t ldb, float *c, int64_t ldc);
// "openblas" or "accelerate"
extern const char *const system_gemm_name;
// The library's own description (OpenBLAS's build configuration), for the addon's config string.
const char *system_gemm_about(void);
// Keeps the library single-threaded: the addon splits products over its own OpenMP threads.
void system_gemm_init(void);
#endif

#endif
