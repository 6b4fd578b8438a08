// The machine's multiply-add throughput per instruction set, measured: a loop of fused multiply-adds on registers
// only (no loads or stores), enough independent chains to cover the FMA latency on every pipe, timed on the clock.
// This is the ceiling any GEMM on that path can reach; the bench divides its FLOP floor by the best of them.
// Timed on the thread's CPU clock, so that time the scheduler gives to other processes does not count (the figure is
// per CPU-second of one core; on a quiet machine the wall clock gives the same).
// Plain C, Node-free (the addon wraps it in fmaPeak; see fma-probe.h).
#include <time.h>
#include "fma-probe.h"

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// CHAINS independent accumulators x_i = x_i·m + s: at latency 4 and two FMA pipes eight chains would do; more leave
// room for cores with longer latency or more pipes, as many as the registers hold beside m and s (12 of AVX2's and
// SSE's 16, 24 of AVX-512's and NEON's 32: a chain spilled to the stack measures loads and stores instead). The
// multiplier and addend keep the values bounded.
#define PROBE_BODY(VEC, SET1, FMA, STORE, LANES, CHAINS)                         \
  VEC x[CHAINS];                                                                 \
  const VEC m = SET1(0.999999f), s = SET1(1e-7f);                                \
  for (int i = 0; i < CHAINS; i++) x[i] = SET1(1.0f + 0.001f * (float)i);        \
  const double t0 = seconds_now();                                               \
  for (int64_t r = 0; r < reps; r++) {                                           \
    _Pragma("GCC unroll 24") for (int i = 0; i < CHAINS; i++) x[i] = FMA(x[i], m, s); \
    __asm__ volatile("");                                                        \
  }                                                                              \
  const double dt = seconds_now() - t0;                                          \
  float out[LANES];                                                              \
  float sum = 0.0f;                                                              \
  for (int i = 0; i < CHAINS; i++) {                                             \
    STORE(out, x[i]);                                                            \
    sum += out[0];                                                               \
  }                                                                              \
  *sink = sum;                                                                   \
  return (double)reps * CHAINS * LANES * 2.0 / dt / 1e9;

#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx512f"))) static double probe_avx512(int64_t reps, volatile float *sink) {
  PROBE_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps, 16, 24)
}
__attribute__((target("avx2,fma"))) static double probe_avx2(int64_t reps, volatile float *sink) {
  PROBE_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps, 8, 12)
}
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
static inline float32x4_t neon_fma(float32x4_t x, float32x4_t m, float32x4_t s) { return vfmaq_f32(s, x, m); }
static double probe_neon(int64_t reps, volatile float *sink) {
  PROBE_BODY(float32x4_t, vdupq_n_f32, neon_fma, vst1q_f32, 4, 24)
}
#endif

// The baseline: 16-byte vectors in the compiler's vector extension, a multiply then an add (no FMA assumed).
typedef float v4f_probe __attribute__((vector_size(16)));
static inline v4f_probe set1_base(float v) { return (v4f_probe){v, v, v, v}; }
static inline v4f_probe fma_base(v4f_probe x, v4f_probe m, v4f_probe s) { return x * m + s; }
static inline void store_base(float *out, v4f_probe v) { out[0] = v[0]; }
static double probe_baseline(int64_t reps, volatile float *sink) {
  PROBE_BODY(v4f_probe, set1_base, fma_base, store_base, 4, 12)
}

double fma_probe(const char *isa, double min_seconds) {
  volatile float sink = 0.0f;
  double (*probe)(int64_t, volatile float *) = NULL;
  if (isa[0] == 'b') probe = probe_baseline;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (isa[0] == 'a' && isa[3] == '5' && __builtin_cpu_supports("avx512f")) probe = probe_avx512;
  if (isa[0] == 'a' && isa[3] == '2' && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) probe = probe_avx2;
#endif
#if defined(__aarch64__)
  if (isa[0] == 'n') probe = probe_neon;
#endif
  if (!probe) return -1.0;
  // grow the repetitions until one run lasts min_seconds; report the best of three runs of that length (the
  // first one also warms the clock up, and a loaded machine loses whole slices to other processes)
  int64_t reps = 1 << 16;
  for (;;) {
    const double t0 = seconds_now();
    probe(reps, &sink);
    if (seconds_now() - t0 >= min_seconds / 3 || reps > ((int64_t)1 << 40)) break;
    reps *= 2;
  }
  double best = 0.0;
  for (int i = 0; i < 3; i++) {
    const double g = probe(reps, &sink);
    if (g > best) best = g;
  }
  return best;
}
