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
  a->c = __builtin_floor(t);  // t | 0 (0 ≤ t < 2^31); one rounding instead of two conversions on the chain
  a->s2 = t - a->c;
  return a->s2;
}


// Jumping ahead. Alea is a lag-3 multiply-with-carry generator in base b = 2^32 with multiplier a = 2091639, exactly
// so in doubles (a·s0·2^32 + c < 2^53): with x_i = s_i·2^32 the state is the integer Y = c·b³ + x2·b² + x1·b + x0, and
// one step is Y ↦ Y·(a·b²) mod (a·b³ − 1) (the lag-r MWC's equivalent LCG, Couture & L'Ecuyer 1997). So the state k
// draws later is Y·(a·b²)^k mod m: the tiled attention finds each row's starting state in one product a row
// instead of drawing the L values between.
#ifdef __SIZEOF_INT128__
#define ALEA_CAN_JUMP 1
typedef unsigned __int128 alea_u128;
static const alea_u128 ALEA_MODULUS = ((alea_u128)2091639 << 96) - 1;

// x·y mod m for x, y < m. With D = a·2^96 = m + 1 ≡ 1, the 234-bit product P = Q·D + R gives P ≡ Q + R: Q is
// (P >> 96) / a, R is P's low 96 bits plus ((P >> 96) mod a)·2^96. P >> 96 is divided by a in 32-bit limbs (each
// step's dividend under 2^53, a division by a constant: a multiply), so a product costs tens of nanoseconds — the
// bit-serial double-and-add it replaces took ~3 µs, which the tiled attention paid once per query row, serially.
static inline alea_u128 alea_mulmod(alea_u128 x, alea_u128 y) {
  const uint64_t x0 = (uint64_t)x, x1 = (uint64_t)(x >> 64), y0 = (uint64_t)y, y1 = (uint64_t)(y >> 64);
  // P = hi·2^128 + lo (x1, y1 < 2^53: the middle sum and hi do not overflow)
  const alea_u128 p00 = (alea_u128)x0 * y0, mid = (alea_u128)x0 * y1 + (alea_u128)x1 * y0;
  const alea_u128 lo = p00 + (mid << 64);
  const alea_u128 hi = (alea_u128)x1 * y1 + (mid >> 64) + (lo < p00);
  // P >> 96 = hi·2^32 + (lo >> 96): limbs of 32 bits, the top one (hi >> 96, under 2^10) below a
  const uint64_t limb[4] = {(uint64_t)(lo >> 96), (uint64_t)hi & 0xffffffffu, (uint64_t)(hi >> 32) & 0xffffffffu,
                            (uint64_t)(hi >> 64) & 0xffffffffu};
  uint64_t r = (uint64_t)(hi >> 96), q[4];
  for (int i = 3; i >= 0; i--) {
    const uint64_t cur = (r << 32) | limb[i];
    q[i] = cur / 2091639u;
    r = cur % 2091639u;
  }
  alea_u128 res = (((alea_u128)q[3] << 96) | ((alea_u128)q[2] << 64) | ((alea_u128)q[1] << 32) | q[0]) +
                  (lo & (((alea_u128)1 << 96) - 1)) + ((alea_u128)r << 96);
  while (res >= ALEA_MODULUS) res -= ALEA_MODULUS;
  return res;
}

// (a·b²)^k mod m: the multiplier that moves a state k draws on.
static inline alea_u128 alea_jump_multiplier(uint64_t k) {
  alea_u128 result = 1, base = (alea_u128)2091639 << 64;
  for (; k; k >>= 1) {
    if (k & 1) result = alea_mulmod(result, base);
    base = alea_mulmod(base, base);
  }
  return result;
}

static inline alea_u128 alea_to_int(const alea_state *a) {
  const double b = 4294967296.0;
  return ((alea_u128)(uint64_t)a->c << 96) | ((alea_u128)(uint64_t)(a->s2 * b) << 64) | ((alea_u128)(uint64_t)(a->s1 * b) << 32) |
         (alea_u128)(uint64_t)(a->s0 * b);
}

static inline void alea_from_int(alea_state *a, alea_u128 y) {
  const double inv = 2.3283064365386963e-10;
  a->s0 = (double)(uint64_t)(y & 0xffffffffu) * inv;
  a->s1 = (double)(uint64_t)((y >> 32) & 0xffffffffu) * inv;
  a->s2 = (double)(uint64_t)((y >> 64) & 0xffffffffu) * inv;
  a->c = (double)(uint64_t)(y >> 96);
}
#else
#define ALEA_CAN_JUMP 0
#endif

// The same stream in integers. Every double above holds an integer multiple of 2^-32 and every sum is below 2^53, so
// the double arithmetic is exact: t·2^32 = a·x0 + c, c' = its top bits, s2' = its low 32 bits·2^-32. Kept as three
// 64-bit words — t3 = x0, t2 = x1, t1 = c·2^32 + x2, the last three values of t·2^32 — a step is
//   t = a·(t3 mod 2^32) + (t1 >> 32);  (t3, t2, t1) = (t2, t1, t)
// and the value drawn is (t mod 2^32)·2^-32: the carry chain is one add and one shift (the double form: a multiply,
// an add, a floor and a subtract), and a·x0 is off it. Lanes of such states run side by side in vector registers.
typedef struct {
  uint64_t t3, t2, t1;
} alea_lane;

#define ALEA_A 2091639u

static inline alea_lane alea_lane_of(const alea_state *a) {
  const double b = 4294967296.0;
  alea_lane l = {(uint64_t)(a->s0 * b), (uint64_t)(a->s1 * b), ((uint64_t)a->c << 32) | (uint64_t)(a->s2 * b)};
  return l;
}

static inline void alea_state_of(alea_state *a, const alea_lane *l) {
  const double inv = 2.3283064365386963e-10;
  a->s0 = (double)(uint32_t)l->t3 * inv;
  a->s1 = (double)(uint32_t)l->t2 * inv;
  a->s2 = (double)(uint32_t)l->t1 * inv;
  a->c = (double)(l->t1 >> 32);
}

// The next value as a float32, (float)alea_next: x·2^-32 is exact in double, and rounding it to float is rounding x to
// float (one rounding, to nearest even) scaled by a power of two.
static inline float alea_lane_next_f32(alea_lane *l) {
  const uint64_t t = ALEA_A * (l->t3 & 0xffffffffu) + (l->t1 >> 32);
  l->t3 = l->t2;
  l->t2 = l->t1;
  l->t1 = t;
  return (float)(uint32_t)t * 0x1p-32f;
}

#ifdef __SIZEOF_INT128__
static inline alea_lane alea_lane_from_int(alea_u128 y) {
  alea_lane l = {(uint64_t)(y & 0xffffffffu), (uint64_t)((y >> 32) & 0xffffffffu), (uint64_t)(y >> 64)};
  return l;
}
#endif

#endif
