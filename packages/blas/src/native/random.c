// Dropout masks drawn natively, bit for bit the masks @peft/core's dropout draws through tfjs: tf.randomUniform with a
// string seed is Johannes Baagøe's Alea generator (as the seedrandom package implements it, in doubles), one value per
// element in order, rounded to float32; the mask is floor(u + keep)·(1/keep) in float32. tfjs draws the values one at
// a time in JavaScript (33 ms for an [8, 12, 128, 128] attention mask); here it is one pass.
//
// One value at a time the pass is latency-bound on Alea's carry chain (~3 ns a value in doubles). So each thread's
// run is split into DROPOUT_LANES sub-runs, each lane's generator jumped to its sub-run's start (alea.h), and the
// lanes advance side by side in integer form (alea.h's alea_lane: the chain is an add and a shift) — eight 64-bit
// lanes of one AVX-512 register, two AVX2 registers, or eight scalar states on the baseline — each block of 8 steps
// × 8 lanes transposed so that each lane stores 8 consecutive floats. Jumping is exact, so the values are the same
// whatever the split: the lanes change the speed, never the mask.
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "common.h"

#include "alea.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define DROPOUT_LANES 8
// Below this many values a run draws on one lane: the lanes' jumps (a 128-bit modular power and one product a lane,
// some microseconds) would cost more than they save.
#define DROPOUT_LANES_MIN ((int64_t)1 << 14)
// Values above which the vector paths split a mask between the threads: at ~0.2–0.3 ns a value one thread draws 2 Mi
// in about half a millisecond, and below that a parallel region's wake-up (a scheduler slice on a loaded machine)
// costs more than a second core saves (bench/dropout.mjs). The baseline path, ~2 ns a value, splits from 64 Ki.
#define DROPOUT_VECTOR_PARALLEL_MIN ((int64_t)1 << 21)

// Advances the 8 lanes `steps` steps (a multiple of 8), lane j writing its masks at out[j·stride + i].
typedef void (*dropout_lanes_fn)(alea_lane *lanes, float *out, int64_t stride, int64_t steps, float k, float s);

// the baseline: eight scalar states, one step of each in turn (the carry chains overlap in the CPU)
static void dropout_lanes_base(alea_lane *lanes, float *out, int64_t stride, int64_t steps, float k, float s) {
  uint64_t t3[DROPOUT_LANES], t2[DROPOUT_LANES], t1[DROPOUT_LANES];
  for (int j = 0; j < DROPOUT_LANES; j++) t3[j] = lanes[j].t3, t2[j] = lanes[j].t2, t1[j] = lanes[j].t1;
  for (int64_t i = 0; i < steps; i++) {
    for (int j = 0; j < DROPOUT_LANES; j++) {
      const uint64_t t = ALEA_A * (t3[j] & 0xffffffffu) + (t1[j] >> 32);
      t3[j] = t2[j], t2[j] = t1[j], t1[j] = t;
      out[j * stride + i] = floorf((float)(uint32_t)t * 0x1p-32f + k) * s;
    }
  }
  for (int j = 0; j < DROPOUT_LANES; j++) lanes[j].t3 = t3[j], lanes[j].t2 = t2[j], lanes[j].t1 = t1[j];
}

#if defined(__x86_64__)
// r[0..8) rows of 8 floats (row = step, column = lane) transposed in place (row = lane, column = step)
#define DROPOUT_TRANSPOSE8(r)                                                                                      \
  do {                                                                                                             \
    const __m256 u0 = _mm256_unpacklo_ps(r[0], r[1]), u1 = _mm256_unpackhi_ps(r[0], r[1]);                         \
    const __m256 u2 = _mm256_unpacklo_ps(r[2], r[3]), u3 = _mm256_unpackhi_ps(r[2], r[3]);                         \
    const __m256 u4 = _mm256_unpacklo_ps(r[4], r[5]), u5 = _mm256_unpackhi_ps(r[4], r[5]);                         \
    const __m256 u6 = _mm256_unpacklo_ps(r[6], r[7]), u7 = _mm256_unpackhi_ps(r[6], r[7]);                         \
    const __m256 v0 = _mm256_shuffle_ps(u0, u2, 0x44), v1 = _mm256_shuffle_ps(u0, u2, 0xee);                       \
    const __m256 v2 = _mm256_shuffle_ps(u1, u3, 0x44), v3 = _mm256_shuffle_ps(u1, u3, 0xee);                       \
    const __m256 v4 = _mm256_shuffle_ps(u4, u6, 0x44), v5 = _mm256_shuffle_ps(u4, u6, 0xee);                       \
    const __m256 v6 = _mm256_shuffle_ps(u5, u7, 0x44), v7 = _mm256_shuffle_ps(u5, u7, 0xee);                       \
    r[0] = _mm256_permute2f128_ps(v0, v4, 0x20), r[1] = _mm256_permute2f128_ps(v1, v5, 0x20);                      \
    r[2] = _mm256_permute2f128_ps(v2, v6, 0x20), r[3] = _mm256_permute2f128_ps(v3, v7, 0x20);                      \
    r[4] = _mm256_permute2f128_ps(v0, v4, 0x31), r[5] = _mm256_permute2f128_ps(v1, v5, 0x31);                      \
    r[6] = _mm256_permute2f128_ps(v2, v6, 0x31), r[7] = _mm256_permute2f128_ps(v3, v7, 0x31);                      \
  } while (0)

// x·2^-32 from a lane word holding x in its low 32 bits, exactly: the double whose exponent is 2^20 and whose
// mantissa's low bits are x is 2^20 + x·2^-32; less 2^20 it is x·2^-32 (AVX2 has no unsigned conversion).
#define DROPOUT_EXP20 0x4130000000000000ll

// AVX2: lanes 0–3 and 4–7 in two registers; their 4 doubles each rounded to float (vcvtpd2ps, to nearest as the
// scalar conversion) and joined.
AVX2_FMA static void dropout_lanes_avx2(alea_lane *lanes, float *out, int64_t stride, int64_t steps, float k, float s) {
  uint64_t w[3][DROPOUT_LANES];
  for (int j = 0; j < DROPOUT_LANES; j++) w[0][j] = lanes[j].t3, w[1][j] = lanes[j].t2, w[2][j] = lanes[j].t1;
  __m256i t3a = _mm256_loadu_si256((const __m256i *)w[0]), t3b = _mm256_loadu_si256((const __m256i *)(w[0] + 4));
  __m256i t2a = _mm256_loadu_si256((const __m256i *)w[1]), t2b = _mm256_loadu_si256((const __m256i *)(w[1] + 4));
  __m256i t1a = _mm256_loadu_si256((const __m256i *)w[2]), t1b = _mm256_loadu_si256((const __m256i *)(w[2] + 4));
  const __m256i a = _mm256_set1_epi64x(ALEA_A), low = _mm256_set1_epi64x(0xffffffffll), exp20 = _mm256_set1_epi64x(DROPOUT_EXP20);
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
    DROPOUT_TRANSPOSE8(r);
    for (int j = 0; j < 8; j++) _mm256_storeu_ps(out + j * stride + i, r[j]);
  }
  _mm256_storeu_si256((__m256i *)w[0], t3a), _mm256_storeu_si256((__m256i *)(w[0] + 4), t3b);
  _mm256_storeu_si256((__m256i *)w[1], t2a), _mm256_storeu_si256((__m256i *)(w[1] + 4), t2b);
  _mm256_storeu_si256((__m256i *)w[2], t1a), _mm256_storeu_si256((__m256i *)(w[2] + 4), t1b);
  for (int j = 0; j < DROPOUT_LANES; j++) lanes[j].t3 = w[0][j], lanes[j].t2 = w[1][j], lanes[j].t1 = w[2][j];
}

// AVX-512: the 8 lanes in one register; (t & 2^32−1) | 2^20's exponent in one ternary-logic instruction.
AVX512_VEC static void dropout_lanes_avx512(alea_lane *lanes, float *out, int64_t stride, int64_t steps, float k, float s) {
  uint64_t w[3][DROPOUT_LANES];
  for (int j = 0; j < DROPOUT_LANES; j++) w[0][j] = lanes[j].t3, w[1][j] = lanes[j].t2, w[2][j] = lanes[j].t1;
  __m512i t3 = _mm512_loadu_si512(w[0]), t2 = _mm512_loadu_si512(w[1]), t1 = _mm512_loadu_si512(w[2]);
  const __m512i a = _mm512_set1_epi64(ALEA_A), low = _mm512_set1_epi64(0xffffffffll), exp20 = _mm512_set1_epi64(DROPOUT_EXP20);
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
    DROPOUT_TRANSPOSE8(r);
    for (int j = 0; j < 8; j++) _mm256_storeu_ps(out + j * stride + i, r[j]);
  }
  _mm512_storeu_si512(w[0], t3), _mm512_storeu_si512(w[1], t2), _mm512_storeu_si512(w[2], t1);
  for (int j = 0; j < DROPOUT_LANES; j++) lanes[j].t3 = w[0][j], lanes[j].t2 = w[1][j], lanes[j].t1 = w[2][j];
}
#endif

static dropout_lanes_fn dropout_lanes(void) {
#if defined(__x86_64__)
  if (use_avx512) return dropout_lanes_avx512;
  if (use_avx2) return dropout_lanes_avx2;
#endif
  return dropout_lanes_base;
}

// n masks on one lane from state l
static void dropout_one_lane(alea_lane *l, float *out, int64_t n, float k, float s) {
  for (int64_t i = 0; i < n; i++) out[i] = floorf(alea_lane_next_f32(l) + k) * s;
}

#if ALEA_CAN_JUMP
// One thread's run of n masks from the stream's state y: DROPOUT_LANES sub-runs of `chunk` values (a multiple of 8;
// the last one shorter), lane j's state y·M^j with M = (a·b²)^chunk; all lanes side by side for as many blocks of 8 as
// the shortest holds, then each lane's rest on its own.
static void dropout_run(alea_u128 y, float *out, int64_t n, float k, float s) {
  if (n < DROPOUT_LANES_MIN) {
    alea_lane l = alea_lane_from_int(y);
    dropout_one_lane(&l, out, n, k, s);
    return;
  }
  const int64_t chunk = ((n + DROPOUT_LANES - 1) / DROPOUT_LANES + 7) & ~(int64_t)7;
  const alea_u128 m = alea_jump_multiplier((uint64_t)chunk);
  alea_lane lanes[DROPOUT_LANES];
  int64_t len[DROPOUT_LANES], common = chunk;
  for (int j = 0; j < DROPOUT_LANES; j++) {
    if (j > 0) y = alea_mulmod(y, m);
    lanes[j] = alea_lane_from_int(y);
    const int64_t rest = n - j * chunk;
    len[j] = rest < 0 ? 0 : rest < chunk ? rest : chunk;
    common = len[j] < common ? len[j] : common;
  }
  common &= ~(int64_t)7;
  if (common > 0) dropout_lanes()(lanes, out, chunk, common, k, s);
  for (int j = 0; j < DROPOUT_LANES; j++) dropout_one_lane(&lanes[j], out + j * chunk + common, len[j] - common, k, s);
}
#endif

static int read_mask_args(napi_env env, napi_callback_info info, const char *name, alea_state *a, float *k, float *s,
                          float **out, int64_t *n) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv, name)) return 0;
  char seed[128];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], seed, sizeof seed, &len) != napi_ok || len >= sizeof seed - 1) {
    char msg[96];
    snprintf(msg, sizeof msg, "peft_blas: %s takes a seed string of under 127 characters", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  double keep = 0, inv = 0;
  napi_get_value_double(env, argv[1], &keep);
  napi_get_value_double(env, argv[2], &inv);
  size_t ly;
  float *y = f32_view(env, argv[3], &ly);
  if (!y) return 0;
  const int64_t yo = get_i64(env, argv[4]);
  *n = get_i64(env, argv[5]);
  if (*n < 0 || yo < 0 || (uint64_t)(yo + *n) > ly) {
    char msg[96];
    snprintf(msg, sizeof msg, "peft_blas: %s output out of bounds", name);
    napi_throw_range_error(env, NULL, msg);
    return 0;
  }
  alea_seed(a, seed, len);
  *k = (float)keep, *s = (float)inv, *out = y + yo;
  return 1;
}

// dropoutMask(seed: string, keep: float32 value, invKeep: float32 value, y, yOffset, n):
// y[i] = floor(fround(u_i) + keep)·invKeep in float32, u_i the i-th value of Alea(seed).
napi_value dropout_mask(napi_env env, napi_callback_info info) {
  alea_state a;
  float k, s, *out;
  int64_t n;
  if (!read_mask_args(env, info, "dropoutMask", &a, &k, &s, &out, &n)) return NULL;
#if ALEA_CAN_JUMP
  // the stream split into one run per thread, each thread's generator jumped to its run's start (alea.h)
  const int64_t parallel_min = use_avx2 || use_avx512 ? DROPOUT_VECTOR_PARALLEL_MIN : HEAVY_PARALLEL_MIN;
  const int threads = n > parallel_min && max_threads > 1 ? max_threads : 1;
  (void)threads;
  const alea_u128 y0 = alea_to_int(&a);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t per = (n + nt - 1) / nt, lo = t * per < n ? t * per : n, hi = lo + per < n ? lo + per : n;
    dropout_run(lo > 0 ? alea_mulmod(y0, alea_jump_multiplier((uint64_t)lo)) : y0, out + lo, hi - lo, k, s);
  }
#else
  alea_lane l = alea_lane_of(&a);
  dropout_one_lane(&l, out, n, k, s);
#endif
  return NULL;
}

// dropoutMaskScalar(seed, keep, invKeep, y, yOffset, n): the same masks by the loop before the lanes — each thread's
// run drawn one value at a time in doubles, exactly as seedrandom's JavaScript computes them. The reference the lanes are checked and
// benchmarked against (test/dropout-lanes.test.ts, bench/dropout.mjs); nothing else calls it.
napi_value dropout_mask_scalar(napi_env env, napi_callback_info info) {
  alea_state a;
  float k, s, *out;
  int64_t n;
  if (!read_mask_args(env, info, "dropoutMaskScalar", &a, &k, &s, &out, &n)) return NULL;
#if ALEA_CAN_JUMP
  const int threads = n > HEAVY_PARALLEL_MIN && max_threads > 1 ? max_threads : 1;
  (void)threads;
  const alea_u128 y0 = alea_to_int(&a);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t per = (n + nt - 1) / nt, lo = t * per < n ? t * per : n, hi = lo + per < n ? lo + per : n;
    alea_state b;
    alea_from_int(&b, lo > 0 ? alea_mulmod(y0, alea_jump_multiplier((uint64_t)lo)) : y0);
    for (int64_t i = lo; i < hi; i++) out[i] = floorf((float)alea_next(&b) + k) * s;
  }
#else
  for (int64_t i = 0; i < n; i++) out[i] = floorf((float)alea_next(&a) + k) * s;
#endif
  return NULL;
}
