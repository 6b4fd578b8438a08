// Dropout masks drawn natively, bit for bit the masks @peft/core's dropout draws through tfjs: tf.randomUniform with a
// string seed is Johannes Baagøe's Alea generator (as the seedrandom package implements it, in doubles), one value per
// element in order, rounded to float32; the mask is floor(u + keep)·(1/keep) in float32. tfjs draws the values one at
// a time in JavaScript (33 ms for an [8, 12, 128, 128] attention mask); here it is one pass.
#include <math.h>
#include <string.h>
#include "common.h"

#include "alea.h"

// dropoutMask(seed: string, keep: float32 value, invKeep: float32 value, y, yOffset, n):
// y[i] = floor(fround(u_i) + keep)·invKeep in float32, u_i the i-th value of Alea(seed).
napi_value dropout_mask(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv, "dropoutMask")) return NULL;
  char seed[128];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], seed, sizeof seed, &len) != napi_ok || len >= sizeof seed - 1) {
    napi_throw_type_error(env, NULL, "peft_blas: dropoutMask takes a seed string of under 127 characters");
    return NULL;
  }
  double keep = 0, inv = 0;
  napi_get_value_double(env, argv[1], &keep);
  napi_get_value_double(env, argv[2], &inv);
  size_t ly;
  float *y = f32_view(env, argv[3], &ly);
  if (!y) return NULL;
  const int64_t yo = get_i64(env, argv[4]), n = get_i64(env, argv[5]);
  if (n < 0 || yo < 0 || (uint64_t)(yo + n) > ly) {
    napi_throw_range_error(env, NULL, "peft_blas: dropoutMask output out of bounds");
    return NULL;
  }
  alea_state a;
  alea_seed(&a, seed, len);
  const float k = (float)keep, s = (float)inv;
  float *out = y + yo;
#if ALEA_CAN_JUMP
  // the stream split into one run per thread, each thread's generator jumped to its run's start (alea.h)
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
