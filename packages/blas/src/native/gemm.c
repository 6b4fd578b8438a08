// Batched single-precision GEMM: which implementation runs the products (the own GEMM for this CPU, or the system's
// cblas where it was built in), and how a batch is split over the OpenMP threads.
#include <stdio.h>
#include <string.h>
#include "common.h"
#include "own-gemm.h"
#include "system-gemm.h"

// Products below this many multiply-adds run on one thread (a batch counts whole). 1 Mi: ~10–20 µs of one thread's
// work on small shapes. At 4 Mi the inducer's 96 per-head products of rank 5 (96 × 128·64·5 = 3.9 Mi) stayed on one
// thread: two run them in 0.52–0.58× the time (scripts/bench/step-gemm-shapes.mjs against=), a tiny test model's
// products (width 32: 64 Ki) stay single-threaded still.
#define SMALL_ITEM (int64_t)(1 << 20)

static const own_gemm *own = &own_gemm_baseline;
static int run_system = 0;

void pick_gemm(void) {
#if defined(__x86_64__)
  own = use_avx512 ? &own_gemm_avx512 : use_avx2 ? &own_gemm_avx2 : &own_gemm_baseline;
#elif defined(__aarch64__)
  own = use_neon ? &own_gemm_neon : &own_gemm_baseline;
#else
  own = &own_gemm_baseline;
#endif
}

const char *gemm_built(void) {
#if defined(PEFT_SYSTEM_GEMM)
  return system_gemm_name;
#else
  return NULL;
#endif
}

int gemm_select(int system) {
  if (system && !gemm_built()) return -1;
  run_system = system;
  return 0;
}

const char *gemm_name(void) {
#if defined(PEFT_SYSTEM_GEMM)
  if (run_system) return system_gemm_name;
#endif
  return "own";
}

const char *gemm_isa(void) { return run_system ? "" : own->name; }

void gemm_describe(char *buf, size_t size) {
#if defined(PEFT_SYSTEM_GEMM)
  if (run_system) {
    snprintf(buf, size, "%s, single-threaded inside (own %s also built in)", system_gemm_about(), own->about);
    return;
  }
  snprintf(buf, size, "own blocked GEMM, %s (%s also built in)", own->about, system_gemm_about());
#else
  snprintf(buf, size, "own blocked GEMM, %s", own->about);
#endif
}

static sgemm_fn current(void) {
#if defined(PEFT_SYSTEM_GEMM)
  if (run_system) return system_sgemm;
#endif
  return own->sgemm;
}

// sgemmBatched(a, aOffset, b, bOffset, c, cOffset, batch, m, n, k, transA, transB, strideA, strideB)
// C[i] = op(A[i]) · op(B[i]) for i < batch, row-major; op(A) is m×k, op(B) is k×n, C is m×n.
// Offsets and strides are in floats; a stride of 0 broadcasts that operand over the batch.
napi_value sgemm_batched(napi_env env, napi_callback_info info) {
  napi_value argv[14];
  if (!get_args(env, info, 14, argv, "sgemmBatched")) return NULL;
  size_t la, lb, lc;
  float *a = f32_view(env, argv[0], &la);
  if (!a) return NULL;
  float *b = f32_view(env, argv[2], &lb);
  if (!b) return NULL;
  float *c = f32_view(env, argv[4], &lc);
  if (!c) return NULL;
  int64_t ao = get_i64(env, argv[1]), bo = get_i64(env, argv[3]), co = get_i64(env, argv[5]);
  int64_t batch = get_i64(env, argv[6]), m = get_i64(env, argv[7]), n = get_i64(env, argv[8]), k = get_i64(env, argv[9]);
  bool ta = false, tb = false;
  napi_get_value_bool(env, argv[10], &ta);
  napi_get_value_bool(env, argv[11], &tb);
  int64_t sa = get_i64(env, argv[12]), sb = get_i64(env, argv[13]);
  if (batch < 0 || m < 0 || n < 0 || k < 0 || ao < 0 || bo < 0 || co < 0 || sa < 0 || sb < 0) {
    napi_throw_range_error(env, NULL, "peft_blas: negative size, offset or stride");
    return NULL;
  }
  // bounds: the last batch item must lie inside each view
  if (batch > 0 && ((uint64_t)(ao + (batch - 1) * sa + m * k) > la || (uint64_t)(bo + (batch - 1) * sb + k * n) > lb ||
                    (uint64_t)(co + batch * m * n) > lc)) {
    napi_throw_range_error(env, NULL, "peft_blas: operand out of the bounds of its Float32Array");
    return NULL;
  }
  const sgemm_fn gemm = current();
  const int64_t lda = ta ? m : k;
  const int64_t ldb = tb ? k : n;
  // Threads by size: waking threads costs more than a small product gains (a model of width 32 ran 1.8x slower with
  // them). Many small batch items: one item per thread. A large product: its rows (or columns, whichever are
  // more) split in one block per thread, each block one single-threaded GEMM — or, on the own GEMM, its threads
  // sharing the packed blocks that would otherwise be packed once per thread (own-gemm-driver.h's sgemm_threads).
  const int64_t item = m * n * k;
  const int threads = batch * item >= SMALL_ITEM ? max_threads : 1;
  if (batch >= threads || threads == 1) {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < batch; i++) {
      gemm(ta, tb, m, n, k, a + ao + i * sa, lda, b + bo + i * sb, ldb, c + co + i * m * n, n);
    }
  } else {
    const int split_rows = m >= n;
    const int64_t extent = split_rows ? m : n;
    for (int64_t i = 0; i < batch; i++) {
      const float *ai = a + ao + i * sa, *bi = b + bo + i * sb;
      float *ci = c + co + i * m * n;
      // the own GEMM's threads share the packed blocks that one whole GEMM per thread would pack once per thread (B's
      // when split by rows, A's when split by columns and each thread's columns are few)
      if (gemm == own->sgemm && own->sgemm_threads(ta, tb, m, n, k, ai, lda, bi, ldb, ci, n, threads) == 0) continue;
#pragma omp parallel num_threads(threads)
      {
        int64_t lo, hi;
        thread_block(extent, &lo, &hi);
        if (hi > lo) {
          if (split_rows) {
            // rows lo..hi of op(A): A's rows (plain) or columns (transposed)
            gemm(ta, tb, hi - lo, n, k, ta ? ai + lo : ai + lo * lda, lda, bi, ldb, ci + lo * n, n);
          } else {
            // columns lo..hi of op(B): B's columns (plain) or rows (transposed)
            gemm(ta, tb, m, hi - lo, k, ai, lda, tb ? bi + lo * ldb : bi + lo, ldb, ci + lo, n);
          }
        }
      }
    }
  }
  return NULL;
}
