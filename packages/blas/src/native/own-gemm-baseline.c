// The own GEMM's baseline path, for any CPU: a 6×8 micro-tile in 16-byte vectors written with the GCC/Clang vector
// extension (SSE2 on x86-64, ASIMD on arm64), twelve 4-float accumulators, each k step two loads of packed B, six
// broadcasts of packed A and twelve multiply-adds (fused where the target has FMA, as ASIMD does).
#include <string.h>
#include "own-gemm.h"

typedef float v4f __attribute__((vector_size(16)));

#define OG_NAME(x) x##_baseline
#define OG_ATTR
#define OG_MR 6
#define OG_NR 8
#define OG_KC 256
#define OG_MC 96
#define OG_NC 2048

static inline v4f load4(const float *p) {
  v4f v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void store4(float *p, v4f v) { memcpy(p, &v, sizeof v); }

static inline __attribute__((always_inline)) void kernel_baseline(int64_t kc, const float *restrict a, int64_t rsa,
                                                                  int64_t csa, const float *restrict b, int64_t rsb,
                                                                  float *restrict c, int64_t ldc, int accumulate) {
  v4f acc[OG_MR][2];
  for (int i = 0; i < OG_MR; i++) acc[i][0] = acc[i][1] = (v4f){0.0f, 0.0f, 0.0f, 0.0f};
  for (int64_t p = 0; p < kc; p++) {
    const v4f b0 = load4(b), b1 = load4(b + 4);
    for (int i = 0; i < OG_MR; i++) {
      const float x = a[i * rsa];
      const v4f a = {x, x, x, x};
      acc[i][0] += a * b0;
      acc[i][1] += a * b1;
    }
    a += csa;
    b += rsb;
  }
  for (int i = 0; i < OG_MR; i++) {
    float *row = c + i * ldc;
    if (accumulate) {
      acc[i][0] += load4(row);
      acc[i][1] += load4(row + 4);
    }
    store4(row, acc[i][0]);
    store4(row + 4, acc[i][1]);
  }
}

#include "own-gemm-driver.h"

const own_gemm own_gemm_baseline = {sgemm_baseline, sgemm_threads_baseline, "baseline", "baseline 6x8 micro-kernel, 16-byte vectors"};
