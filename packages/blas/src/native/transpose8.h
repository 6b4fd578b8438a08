// The 8×8 float transpose in AVX registers, one definition for every kernel that needs one. A statement macro, so
// that it is compiled with the target attribute of the function it is written in (AVX2 or AVX-512): r is an array of
// eight __m256, row i = r[i]; afterwards r[j] holds column j.
#ifndef PEFT_BLAS_TRANSPOSE8_H
#define PEFT_BLAS_TRANSPOSE8_H
#if defined(__x86_64__)
#include <immintrin.h>
#define TRANSPOSE8_PS(r)                                                                                           \
  do {                                                                                                             \
    const __m256 u0_ = _mm256_unpacklo_ps((r)[0], (r)[1]), u1_ = _mm256_unpackhi_ps((r)[0], (r)[1]);              \
    const __m256 u2_ = _mm256_unpacklo_ps((r)[2], (r)[3]), u3_ = _mm256_unpackhi_ps((r)[2], (r)[3]);              \
    const __m256 u4_ = _mm256_unpacklo_ps((r)[4], (r)[5]), u5_ = _mm256_unpackhi_ps((r)[4], (r)[5]);              \
    const __m256 u6_ = _mm256_unpacklo_ps((r)[6], (r)[7]), u7_ = _mm256_unpackhi_ps((r)[6], (r)[7]);              \
    const __m256 v0_ = _mm256_shuffle_ps(u0_, u2_, 0x44), v1_ = _mm256_shuffle_ps(u0_, u2_, 0xee);                 \
    const __m256 v2_ = _mm256_shuffle_ps(u1_, u3_, 0x44), v3_ = _mm256_shuffle_ps(u1_, u3_, 0xee);                 \
    const __m256 v4_ = _mm256_shuffle_ps(u4_, u6_, 0x44), v5_ = _mm256_shuffle_ps(u4_, u6_, 0xee);                 \
    const __m256 v6_ = _mm256_shuffle_ps(u5_, u7_, 0x44), v7_ = _mm256_shuffle_ps(u5_, u7_, 0xee);                 \
    (r)[0] = _mm256_permute2f128_ps(v0_, v4_, 0x20), (r)[1] = _mm256_permute2f128_ps(v1_, v5_, 0x20);              \
    (r)[2] = _mm256_permute2f128_ps(v2_, v6_, 0x20), (r)[3] = _mm256_permute2f128_ps(v3_, v7_, 0x20);              \
    (r)[4] = _mm256_permute2f128_ps(v0_, v4_, 0x31), (r)[5] = _mm256_permute2f128_ps(v1_, v5_, 0x31);              \
    (r)[6] = _mm256_permute2f128_ps(v2_, v6_, 0x31), (r)[7] = _mm256_permute2f128_ps(v3_, v7_, 0x31);              \
  } while (0)
#endif
#endif
