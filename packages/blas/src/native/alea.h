// Johannes Baagøe's Alea generator and its Mash seed hash, in doubles, exactly as the seedrandom package (and so
// tf.randomUniform with a string seed) computes them: the dropout masks (random.c) and the tiled attention's
// dropout (attention-tiled.h), which draws the same stream row by row.
#ifndef PEFT_BLAS_ALEA_H
#define PEFT_BLAS_ALEA_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>

// JavaScript's ToUint32 for the non-negative finite doubles the hash produces.
static inline double to_uint32(double x) { return fmod(floor(x), 4294967296.0); }

// Alea's seed hash: a running state n over the characters of each string it is given.
typedef struct {
  double n;
} mash_state;

static inline double mash(mash_state *m, const char *data, size_t len) {
  double n = m->n;
  for (size_t i = 0; i < len; i++) {
    n += (double)(unsigned char)data[i];
    double h = 0.02519603282416938 * n;
    n = to_uint32(h);
    h -= n;
    h *= n;
    n = to_uint32(h);
    h -= n;
    n += h * 4294967296.0;
  }
  m->n = n;
  return to_uint32(n) * 2.3283064365386963e-10;
}

typedef struct {
  double s0, s1, s2, c;
} alea_state;

static inline void alea_seed(alea_state *a, const char *seed, size_t len) {
  mash_state m = {4022871197.0};  // 0xefc8249d
  a->c = 1;
  a->s0 = mash(&m, " ", 1);
  a->s1 = mash(&m, " ", 1);
  a->s2 = mash(&m, " ", 1);
  a->s0 -= mash(&m, seed, len);
  if (a->s0 < 0) a->s0 += 1;
  a->s1 -= mash(&m, seed, len);
  if (a->s1 < 0) a->s1 += 1;
  a->s2 -= mash(&m, seed, len);
  if (a->s2 < 0) a->s2 += 1;
}

static inline double alea_next(alea_state *a) {
  const double t = 2091639.0 * a->s0 + a->c * 2.3283064365386963e-10;
  a->s0 = a->s1;
  a->s1 = a->s2;
  a->c = (double)(int32_t)t;  // t | 0 (0 ≤ t < 2^31)
  a->s2 = t - a->c;
  return a->s2;
}

#endif
