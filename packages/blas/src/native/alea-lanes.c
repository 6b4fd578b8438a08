// Alea's lanes (alea-lanes.h): 8 generators, each a run of its own, advanced side by side in integer form so their
// carry chains (an add and a shift a step) overlap — eight 64-bit lanes of one AVX-512 register, two AVX2 registers,
// or eight scalar states on the baseline — each block of 8 steps × 8 lanes transposed so that each lane stores 8
// consecutive floats. Alea's doubles are exact integers (alea.h), so the integer form, the double-to-float rounding
// (vcvtpd2ps, to nearest as the scalar conversion), floor (vroundps) and the float add and multiply give the scalar
// loop's bits; nothing here is a multiply-add that could be contracted.
#include <math.h>
#include "common.h"

#include "alea-lanes.h"
#if defined(__x86_64__)
#include <immintrin.h>
#include "transpose8.h"
#endif

// the baseline: eight scalar states, one step of each in turn (the carry chains overlap in the CPU)
static void alea_mask_lanes_base(alea_lane *lanes, float *out, int64_t stride, int64_t steps, float k, float s) {
  uint64_t t3[ALEA_LANES], t2[ALEA_LANES], t1[ALEA_LANES];
  for (int j = 0; j < ALEA_LANES; j++) t3[j] = lanes[j].t3, t2[j] = lanes[j].t2, t1[j] = lanes[j].t1;
  for (int64_t i = 0; i < steps; i++) {
    for (int j = 0; j < ALEA_LANES; j++) {
      const uint64_t t = ALEA_A * (t3[j] & 0xffffffffu) + (t1[j] >> 32);
      t3[j] = t2[j], t2[j] = t1[j], t1[j] = t;
      out[j * stride + i] = floorf((float)(uint32_t)t * 0x1p-32f + k) * s;
    }
  }
  for (int j = 0; j < ALEA_LANES; j++) lanes[j].t3 = t3[j], lanes[j].t2 = t2[j], lanes[j].t1 = t1[j];
}

#if defined(__x86_64__)
// x·2^-32 from a lane word holding x in its low 32 bits, exactly: the double whose exponent is 2^20 and whose
// mantissa's low bits are x is 2^20 + x·2^-32; less 2^20 it is x·2^-32 (AVX2 has no unsigned conversion).
#define ALEA_EXP20 0x4130000000000000ll

// AVX2: lanes 0–3 and 4–7 in two registers; their 4 doubles each rounded to float (vcvtpd2ps, to nearest as the
// scalar conversion) and joined.
AVX2_FMA static void alea_mask_lanes_avx2(alea_lane *lanes, float *out, int64_t stride, int64_t steps, float k, float s) {
  uint64_t w[3][ALEA_LANES];
  for (int j = 0; j < ALEA_LANES; j++) w[0][j] = lanes[j].t3, w[1][j] = lanes[j].t2, w[2][j] = lanes[j].t1;
  __m256i t3a = _mm256_loadu_si256((const __m256i *)w[0]), t3b = _mm256_loadu_si256((const __m256i *)(w[0] + 4));
  __m256i t2a = _mm256_loadu_si256((const __m256i *)w[1]), t2b = _mm256_loadu_si256((const __m256i *)(w[1] + 4));
  __m256i t1a = _mm256_loadu_si256((const __m256i *)w[2]), t1b = _mm256_loadu_si256((const __m256i *)(w[2] + 4));
  const __m256i a = _mm256_set1_epi64x(ALEA_A), low = _mm256_set1_epi64x(0xffffffffll), exp20 = _mm256_set1_epi64x(ALEA_EXP20);
  const __m256d two20 = _mm256_set1_pd(1048576.0);
  const __m256 vk = _mm256_set1_ps(k), vs = _mm256_set1_ps(s);
  for (int64_t i = 0; i < steps; i += 8) {
    __m256 r[8];
    for (int u = 0; u < 8; u++) {
      const __m256i ta = _mm256_add_epi64(_mm256_mul_epu32(t3a, a), _mm256_srli_epi64(t1a, 32));
      const __m256i tb = _mm256_add_epi64(_mm256_mul_epu32(t3b, a), _mm256_srli_epi64(t1b, 32));
      t3a = t2a, t2a = t1a, t1a = ta;
      t3b = t2b, t2b = t1b, t1b = tb;
      const __m256d da = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(ta, low), exp20)), two20);
      const __m256d db = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(tb, low), exp20)), two20);
      const __m256 f = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(da)), _mm256_cvtpd_ps(db), 1);
      r[u] = _mm256_mul_ps(_mm256_round_ps(_mm256_add_ps(f, vk), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC), vs);
    }
    TRANSPOSE8_PS(r);  // a row per step, a column per lane → a row per lane
    for (int j = 0; j < 8; j++) _mm256_storeu_ps(out + j * stride + i, r[j]);
  }
  _mm256_storeu_si256((__m256i *)w[0], t3a), _mm256_storeu_si256((__m256i *)(w[0] + 4), t3b);
  _mm256_storeu_si256((__m256i *)w[1], t2a), _mm256_storeu_si256((__m256i *)(w[1] + 4), t2b);
  _mm256_storeu_si256((__m256i *)w[2], t1a), _mm256_storeu_si256((__m256i *)(w[2] + 4), t1b);
  for (int j = 0; j < ALEA_LANES; j++) lanes[j].t3 = w[0][j], lanes[j].t2 = w[1][j], lanes[j].t1 = w[2][j];
}

// AVX-512: the 8 lanes in one register; (t & 2^32−1) | 2^20's exponent in one ternary-logic instruction.
AVX512_VEC static void alea_mask_lanes_avx512(alea_lane *lanes, float *out, int64_t stride, int64_t steps, float k, float s) {
  uint64_t w[3][ALEA_LANES];
  for (int j = 0; j < ALEA_LANES; j++) w[0][j] = lanes[j].t3, w[1][j] = lanes[j].t2, w[2][j] = lanes[j].t1;
  __m512i t3 = _mm512_loadu_si512(w[0]), t2 = _mm512_loadu_si512(w[1]), t1 = _mm512_loadu_si512(w[2]);
  const __m512i a = _mm512_set1_epi64(ALEA_A), low = _mm512_set1_epi64(0xffffffffll), exp20 = _mm512_set1_epi64(ALEA_EXP20);
  const __m512d two20 = _mm512_set1_pd(1048576.0);
  const __m256 vk = _mm256_set1_ps(k), vs = _mm256_set1_ps(s);
  for (int64_t i = 0; i < steps; i += 8) {
    __m256 r[8];
    for (int u = 0; u < 8; u++) {
      const __m512i t = _mm512_add_epi64(_mm512_mul_epu32(t3, a), _mm512_srli_epi64(t1, 32));
      t3 = t2, t2 = t1, t1 = t;
      // (t & low) | exp20: ternary-logic truth table (A & B) | C = 0xea
      const __m512d d = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_ternarylogic_epi64(t, low, exp20, 0xea)), two20);
      r[u] = _mm256_mul_ps(_mm256_round_ps(_mm256_add_ps(_mm512_cvtpd_ps(d), vk), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC), vs);
    }
    TRANSPOSE8_PS(r);  // a row per step, a column per lane → a row per lane
    for (int j = 0; j < 8; j++) _mm256_storeu_ps(out + j * stride + i, r[j]);
  }
  _mm512_storeu_si512(w[0], t3), _mm512_storeu_si512(w[1], t2), _mm512_storeu_si512(w[2], t1);
  for (int j = 0; j < ALEA_LANES; j++) lanes[j].t3 = w[0][j], lanes[j].t2 = w[1][j], lanes[j].t1 = w[2][j];
}
#endif

alea_mask_lanes_fn alea_mask_lanes(void) {
#if defined(__x86_64__)
  if (use_avx512) return alea_mask_lanes_avx512;
  if (use_avx2) return alea_mask_lanes_avx2;
#endif
  return alea_mask_lanes_base;
}

