// The own GEMM's NEON path (arm64 only): an 8×12 micro-tile, twenty-four 4-float accumulators (of the 32 vector
// registers), each k step three loads of packed B, two of packed A and twenty-four FMAs by lane.
#if defined(__aarch64__)
#include <arm_neon.h>
#include "own-gemm.h"

#define OG_NAME(x) x##_neon
#define OG_ATTR
#define OG_MR 8
#define OG_NR 12
#define OG_KC 256
#define OG_MC 128
#define OG_NC 3072

// one row i of the tile: acc[i][0..2] += x · b[0..2]
#define OG_ROW_LANE(i, v, lane)                                   \
  do {                                                            \
    c##i##0 = vfmaq_laneq_f32(c##i##0, b0, v, lane);              \
    c##i##1 = vfmaq_laneq_f32(c##i##1, b1, v, lane);              \
    c##i##2 = vfmaq_laneq_f32(c##i##2, b2, v, lane);              \
  } while (0)
#define OG_ROW_DUP(i)                                             \
  do {                                                            \
    const float32x4_t x = vld1q_dup_f32(a + (i) * rsa);           \
    c##i##0 = vfmaq_f32(c##i##0, b0, x);                          \
    c##i##1 = vfmaq_f32(c##i##1, b1, x);                          \
    c##i##2 = vfmaq_f32(c##i##2, b2, x);                          \
  } while (0)
#define OG_STORE_ROW(i)                                                                  \
  do {                                                                                   \
    float *row = c + (i) * ldc;                                                          \
    if (accumulate) {                                                                    \
      c##i##0 = vaddq_f32(c##i##0, vld1q_f32(row));                                      \
      c##i##1 = vaddq_f32(c##i##1, vld1q_f32(row + 4));                                  \
      c##i##2 = vaddq_f32(c##i##2, vld1q_f32(row + 8));                                  \
    }                                                                                    \
    vst1q_f32(row, c##i##0);                                                             \
    vst1q_f32(row + 4, c##i##1);                                                         \
    vst1q_f32(row + 8, c##i##2);                                                         \
  } while (0)

static inline __attribute__((always_inline)) void kernel_neon(int64_t kc, const float *restrict a, int64_t rsa,
                                                              int64_t csa, const float *restrict b, int64_t rsb,
                                                              float *restrict c, int64_t ldc, int accumulate) {
  const float32x4_t z = vdupq_n_f32(0.0f);
  float32x4_t c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z, c30 = z, c31 = z, c32 = z;
  float32x4_t c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z, c60 = z, c61 = z, c62 = z, c70 = z, c71 = z, c72 = z;
  if (rsa == 1) {
    // A's eight rows of one k step are contiguous (packed, or transposed A read in place): two loads, FMAs by lane
    for (int64_t p = 0; p < kc; p++) {
      const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
      const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
      OG_ROW_LANE(0, a0, 0);
      OG_ROW_LANE(1, a0, 1);
      OG_ROW_LANE(2, a0, 2);
      OG_ROW_LANE(3, a0, 3);
      OG_ROW_LANE(4, a1, 0);
      OG_ROW_LANE(5, a1, 1);
      OG_ROW_LANE(6, a1, 2);
      OG_ROW_LANE(7, a1, 3);
      a += csa;
      b += rsb;
    }
  } else {
    for (int64_t p = 0; p < kc; p++) {
      const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
      OG_ROW_DUP(0);
      OG_ROW_DUP(1);
      OG_ROW_DUP(2);
      OG_ROW_DUP(3);
      OG_ROW_DUP(4);
      OG_ROW_DUP(5);
      OG_ROW_DUP(6);
      OG_ROW_DUP(7);
      a += csa;
      b += rsb;
    }
  }
  OG_STORE_ROW(0);
  OG_STORE_ROW(1);
  OG_STORE_ROW(2);
  OG_STORE_ROW(3);
  OG_STORE_ROW(4);
  OG_STORE_ROW(5);
  OG_STORE_ROW(6);
  OG_STORE_ROW(7);
}
#undef OG_ROW_LANE
#undef OG_ROW_DUP
#undef OG_STORE_ROW

#include "own-gemm-driver.h"

const own_gemm own_gemm_neon = {sgemm_neon, sgemm_threads_neon, "neon", "NEON 8x12 micro-kernel"};
#endif
