// Vectorisable single-precision exp, tanh, log and sigmoid (glibc's expf/tanhf/logf are scalar calls), shared by the
// elementwise, row and fused kernels. Each is inlined into loops compiled for AVX2+FMA and for the baseline.
//
// exp: x = n·ln2 + r, |r| ≤ ln2/2, a degree-6 polynomial for e^r (the classic Cephes coefficients, ~1 ulp), and
// 2^n applied as two normal factors so that results down to the denormals and up to overflow come out right.
// tanh: the Cephes odd polynomial below |x| < 0.625, 1 − 2/(e^{2|x|} + 1) above. log: x = m·2^e with m in
// [√½, √2), the Cephes polynomial for log(m) (~1 ulp); denormals scaled first; log(0) = −∞, log(<0) = NaN.
// NaN propagates in all.
#ifndef PEFT_BLAS_FASTMATH_H
#define PEFT_BLAS_FASTMATH_H
#include <stdint.h>

#define FM_INLINE static inline __attribute__((always_inline))

FM_INLINE float pow2i(int32_t n) {
  union { int32_t i; float f; } u;
  u.i = (n + 127) << 23;
  return u.f;
}

FM_INLINE float exp_f(float x) {
  x = x < -104.0f ? -104.0f : x;
  x = x > 89.0f ? 89.0f : x;
  const float n = __builtin_rintf(x * 1.44269504088896341f);
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * (r * r) + r + 1.0f;
  const int32_t ni = (int32_t)n;
  const int32_t half = ni >> 1;
  return (y * pow2i(half)) * pow2i(ni - half);
}

FM_INLINE float tanh_f(float x) {
  const float z = x * x;
  float ps = -5.70498872745e-3f;
  ps = ps * z + 2.06390887954e-2f;
  ps = ps * z - 5.37397155531e-2f;
  ps = ps * z + 1.33314422036e-1f;
  ps = ps * z - 3.33332819422e-1f;
  ps = ps * z * x + x;
  const float ax = __builtin_fabsf(x);
  const float big = 1.0f - 2.0f / (exp_f(2.0f * ax) + 1.0f);
  return ax < 0.625f ? ps : __builtin_copysignf(big, x);
}

FM_INLINE float log_f(float x0) {
  union { float f; int32_t i; } u = {x0};
  // denormals: scale by 2^23 first
  const int denormal = u.i > 0 && u.i < 0x00800000;
  u.f = denormal ? x0 * 8388608.0f : x0;
  int32_t e = ((u.i >> 23) & 0xff) - 126 - (denormal ? 23 : 0);
  u.i = (u.i & 0x007fffff) | 0x3f000000; // m in [0.5, 1)
  float m = u.f;
  const int small = m < 0.707106781186547524f;
  e -= small;
  m = small ? m + m - 1.0f : m - 1.0f;
  const float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  const float fe = (float)e;
  y += -2.12194440e-4f * fe;
  y += -0.5f * z;
  float r = m + y + 0.693359375f * fe;
  r = x0 == 0.0f ? -__builtin_inff() : r;
  r = x0 < 0.0f || x0 != x0 ? __builtin_nanf("") : r;
  r = x0 == __builtin_inff() ? x0 : r;
  return r;
}

FM_INLINE float sigmoid_f(float x) { return 1.0f / (1.0f + exp_f(-x)); }

#endif
