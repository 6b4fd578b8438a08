// The system's cblas_sgemm behind the own GEMM's signature (see system-gemm.h); built only where it was found.
#include "system-gemm.h"
#if defined(PEFT_GEMM_OPENBLAS)
#include <cblas.h>
const char *const system_gemm_name = "openblas";
const char *system_gemm_about(void) { return openblas_get_config(); }
void system_gemm_init(void) { openblas_set_num_threads(1); }
#elif defined(PEFT_GEMM_ACCELERATE)
#define ACCELERATE_NEW_LAPACK 1
#include <Accelerate/Accelerate.h>
const char *const system_gemm_name = "accelerate";
const char *system_gemm_about(void) { return "Apple Accelerate (vecLib)"; }
void system_gemm_init(void) {}
#endif

#if defined(PEFT_SYSTEM_GEMM)
void system_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                  int64_t ldb, float *c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
              1.0f, a, (int)lda, b, (int)ldb, 0.0f, c, (int)ldc);
}
#endif
