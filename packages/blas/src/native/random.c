// Dropout masks drawn natively, bit for bit the masks @peft/core's dropout draws through tfjs: tf.randomUniform with a
// string seed is Johannes Baagøe's Alea generator (as the seedrandom package implements it, in doubles), one value per
// element in order, rounded to float32; the mask is floor(u + keep)·(1/keep) in float32. tfjs draws the values one at
// a time in JavaScript (33 ms for an [8, 12, 128, 128] attention mask); here it is one pass.
//
// One value at a time the pass is latency-bound on Alea's carry chain (~3 ns a value in doubles). So each thread's
// run is split into ALEA_LANES sub-runs, each lane's generator jumped to its sub-run's start (alea.h), and the
// lanes advance side by side in integer form (alea.h's alea_lane: the chain is an add and a shift; alea-lanes.c). Jumping is exact, so the values are the same
// whatever the split: the lanes change the speed, never the mask.
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "common.h"

#include "alea.h"
#include "alea-lanes.h"

// Below this many values a run draws on one lane (~1.5 ns a value): the lanes' jumps (a 128-bit modular power and
// one product a lane, about a microsecond) would cost more than they save (measured: 1 Ki values 1.9 µs on one lane,
// 4 Ki 1.4 µs on the AVX-512 lanes).
#define DROPOUT_LANES_MIN ((int64_t)1 << 10)
// Values above which the vector paths split a mask between the threads: at ~0.2–0.3 ns a value one thread draws 2 Mi
// in about half a millisecond, and below that a parallel region's wake-up (a scheduler slice on a loaded machine)
// costs more than a second core saves (bench/dropout.mjs). The baseline path, ~2 ns a value, splits from 64 Ki.
#define DROPOUT_VECTOR_PARALLEL_MIN ((int64_t)1 << 21)

// n masks on one lane from state l
static void dropout_one_lane(alea_lane *l, float *out, int64_t n, float k, float s) {
  for (int64_t i = 0; i < n; i++) out[i] = floorf(alea_lane_next_f32(l) + k) * s;
}

#if ALEA_CAN_JUMP
// One thread's run of n masks from the stream's state y: ALEA_LANES sub-runs of `chunk` values (a multiple of 8;
// the last one shorter), lane j's state y·M^j with M = (a·b²)^chunk; all lanes side by side for as many blocks of 8 as
// the shortest holds, then each lane's rest on its own.
static void dropout_run(alea_u128 y, float *out, int64_t n, float k, float s) {
  if (n < DROPOUT_LANES_MIN) {
    alea_lane l = alea_lane_from_int(y);
    dropout_one_lane(&l, out, n, k, s);
    return;
  }
  const int64_t chunk = ((n + ALEA_LANES - 1) / ALEA_LANES + 7) & ~(int64_t)7;
  const alea_u128 m = alea_jump_multiplier((uint64_t)chunk);
  alea_lane lanes[ALEA_LANES];
  int64_t len[ALEA_LANES], common = chunk;
  for (int j = 0; j < ALEA_LANES; j++) {
    if (j > 0) y = alea_mulmod(y, m);
    lanes[j] = alea_lane_from_int(y);
    const int64_t rest = n - j * chunk;
    len[j] = rest < 0 ? 0 : rest < chunk ? rest : chunk;
    common = len[j] < common ? len[j] : common;
  }
  common &= ~(int64_t)7;
  if (common > 0) alea_mask_lanes()(lanes, out, chunk, common, k, s);
  for (int j = 0; j < ALEA_LANES; j++) dropout_one_lane(&lanes[j], out + j * chunk + common, len[j] - common, k, s);
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
