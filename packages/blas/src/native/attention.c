// Attention's score → probability step and its gradient, one pass per row of [B, H, n, m] scores each way:
//   forward: s' = scale·s on visible keys (causal: query i sees keys j ≤ m − n + i), maskedValue elsewhere (GPT-2
//   replaces, it does not add); s'' = s' + mask (an additive padding mask, broadcast); P = softmax(s''), and
//   optionally lse = logsumexp(s'') — or, for RoBERTa's λ quirk, lse and P_u over s' without the padding mask.
//   backward: dS = scale·[j visible]·(P∘(dP − Σ_j dP_j·P_j) + dlse·P_λ), P_λ = P_u if given, else P.
// Composed from tfjs ops each direction was about eight passes and kept as many [B, H, n, m] tensors for the tape.
#include "common.h"
#include "fastmath.h"

// the first invisible key of query row i (of n) over m keys
static inline int64_t visible_keys(int causal, int64_t i, int64_t n, int64_t m) {
  if (!causal) return m;
  const int64_t lim = m - n + i + 1;
  return lim < 0 ? 0 : lim > m ? m : lim;
}

#define DEFINE_ATTENTION(SUFFIX, ATTR)                                                                             \
  /* softmax of one row of m values in y (from x), returning logsumexp */                                         \
  ATTR static float softmax_row_##SUFFIX(const float *restrict x, float *restrict y, int64_t m) {                 \
    float mx = x[0];                                                                                               \
    for (int64_t j = 1; j < m; j++) mx = x[j] > mx ? x[j] : mx;                                                    \
    float s = 0.0f;                                                                                                \
    _Pragma("omp simd reduction(+ : s)") for (int64_t j = 0; j < m; j++) {                                         \
      const float e = exp_f(x[j] - mx);                                                                            \
      y[j] = e;                                                                                                    \
      s += e;                                                                                                      \
    }                                                                                                              \
    const float inv = 1.0f / s;                                                                                    \
    _Pragma("omp simd") for (int64_t j = 0; j < m; j++) y[j] *= inv;                                               \
    return mx + log_f(s);                                                                                          \
  }                                                                                                                \
  ATTR static void forward_rows_##SUFFIX(const float *restrict s, const float *restrict mask, const int64_t *ms,  \
                                         float *restrict p, float *restrict lse, float *restrict pu,              \
                                         float *restrict tmp, int64_t lo, int64_t hi, int64_t H, int64_t n,        \
                                         int64_t m, float scale, int causal, float masked) {                       \
    for (int64_t r = lo; r < hi; r++) {                                                                            \
      const int64_t i = r % n, h = (r / n) % H, b = r / (n * H);                                                   \
      const float *sr = s + r * m;                                                                                 \
      float *pr = p + r * m;                                                                                       \
      const int64_t lim = visible_keys(causal, i, n, m);                                                           \
      /* s' into tmp (kept for P_u), s'' into pr, then softmax in place */                                         \
      _Pragma("omp simd") for (int64_t j = 0; j < m; j++) tmp[j] = j < lim ? sr[j] * scale : masked;              \
      if (mask) {                                                                                                  \
        const float *mr = mask + b * ms[0] + h * ms[1] + i * ms[2];                                                \
        const int64_t mj = ms[3];                                                                                  \
        for (int64_t j = 0; j < m; j++) pr[j] = tmp[j] + mr[j * mj];                                               \
      } else {                                                                                                     \
        _Pragma("omp simd") for (int64_t j = 0; j < m; j++) pr[j] = tmp[j];                                        \
      }                                                                                                            \
      const float l = softmax_row_##SUFFIX(pr, pr, m);                                                             \
      if (pu) lse[r] = softmax_row_##SUFFIX(tmp, pu + r * m, m);                                                   \
      else if (lse) lse[r] = l;                                                                                    \
    }                                                                                                              \
  }                                                                                                                \
  ATTR static void backward_rows_##SUFFIX(const float *restrict p, const float *restrict dp,                      \
                                          const float *restrict dlse, const float *restrict pl,                   \
                                          float *restrict ds, int64_t lo, int64_t hi, int64_t n, int64_t m,        \
                                          float scale, int causal) {                                               \
    for (int64_t r = lo; r < hi; r++) {                                                                            \
      const float *pr = p + r * m, *dpr = dp + r * m, *plr = pl ? pl + r * m : pr;                                 \
      float *dsr = ds + r * m;                                                                                     \
      float dot = 0.0f;                                                                                            \
      _Pragma("omp simd reduction(+ : dot)") for (int64_t j = 0; j < m; j++) dot += dpr[j] * pr[j];               \
      const float g = dlse ? dlse[r] : 0.0f;                                                                       \
      const int64_t lim = visible_keys(causal, r % n, n, m);                                                       \
      _Pragma("omp simd") for (int64_t j = 0; j < m; j++) {                                                        \
        const float v = scale * (pr[j] * (dpr[j] - dot) + g * plr[j]);                                             \
        dsr[j] = j < lim ? v : 0.0f;                                                                               \
      }                                                                                                            \
    }                                                                                                              \
  }

DEFINE_ATTENTION(avx2, AVX2_FMA)
DEFINE_ATTENTION(base, )

// whole rows per thread
static void row_range(int64_t rows, int64_t *lo, int64_t *hi) {
  const int t = omp_get_thread_num(), nt = omp_get_num_threads();
  const int64_t per = (rows + nt - 1) / nt;
  *lo = t * per < rows ? t * per : rows;
  *hi = *lo + per < rows ? *lo + per : rows;
}

// Optional Float32Array argument: null/undefined → NULL pointer (and length 0), else its data.
static int optional_view(napi_env env, napi_value v, float **data, size_t *len) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) {
    *data = NULL;
    *len = 0;
    return 1;
  }
  *data = f32_view(env, v, len);
  return *data != NULL;
}

// maskedSoftmax(s, so, mask|null, mo, maskStrides[4], p, po, lse|null, lo, pu|null, puo, dims[4] = [B, H, n, m],
//               scale, causal, maskedValue)
napi_value masked_softmax(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  if (!get_args(env, info, 15, argv, "maskedSoftmax")) return NULL;
  float *s, *mask, *p, *lse, *pu;
  size_t ls, lm, lp, ll, lu;
  if (!optional_view(env, argv[0], &s, &ls) || !s) return NULL;
  if (!optional_view(env, argv[2], &mask, &lm)) return NULL;
  if (!optional_view(env, argv[5], &p, &lp) || !p) return NULL;
  if (!optional_view(env, argv[7], &lse, &ll)) return NULL;
  if (!optional_view(env, argv[9], &pu, &lu)) return NULL;
  const int64_t so = get_i64(env, argv[1]), mo = get_i64(env, argv[3]), po = get_i64(env, argv[6]), lo = get_i64(env, argv[8]),
                puo = get_i64(env, argv[10]);
  int64_t ms[4] = {0, 0, 0, 0}, dims[4];
  if (mask && !read_dims(env, argv[4], 4, ms)) return NULL;
  if (!read_dims(env, argv[11], 4, dims)) return NULL;
  double scale = 1, masked = -1e4;
  bool causal = false;
  napi_get_value_double(env, argv[12], &scale);
  napi_get_value_bool(env, argv[13], &causal);
  napi_get_value_double(env, argv[14], &masked);
  const int64_t B = dims[0], H = dims[1], n = dims[2], m = dims[3], rows = B * H * n;
  const int64_t mlast = mo + (B - 1) * ms[0] + (H - 1) * ms[1] + (n - 1) * ms[2] + (m - 1) * ms[3];
  if (m < 1 || rows < 0 || so < 0 || po < 0 || (uint64_t)(so + rows * m) > ls || (uint64_t)(po + rows * m) > lp ||
      (mask && (mo < 0 || (uint64_t)mlast >= lm)) || (lse && (lo < 0 || (uint64_t)(lo + rows) > ll)) ||
      (pu && (!lse || puo < 0 || (uint64_t)(puo + rows * m) > lu))) {
    napi_throw_range_error(env, NULL, "peft_blas: maskedSoftmax operand out of bounds (P_u needs lse)");
    return NULL;
  }
  if (rows == 0) return NULL;
  const int threads = rows * m > HEAVY_PARALLEL_MIN && rows > 1 ? max_threads : 1;
  (void)threads; // unused where the compiler has no OpenMP
  const int wide = use_avx2;
#pragma omp parallel num_threads(threads)
  {
    int64_t a, b;
    row_range(rows, &a, &b);
    float *tmp = (float *)__builtin_alloca((size_t)m * sizeof(float));
    if (b > a) {
      if (wide)
        forward_rows_avx2(s + so, mask ? mask + mo : NULL, ms, p + po, lse ? lse + lo : NULL, pu ? pu + puo : NULL, tmp, a, b, H, n, m,
                          (float)scale, causal, (float)masked);
      else
        forward_rows_base(s + so, mask ? mask + mo : NULL, ms, p + po, lse ? lse + lo : NULL, pu ? pu + puo : NULL, tmp, a, b, H, n, m,
                          (float)scale, causal, (float)masked);
    }
  }
  return NULL;
}

// maskedSoftmaxGrad(p, po, dp, dpo, dlse|null, dlo, pl|null, plo, ds, dso, rows, n, m, scale, causal)
napi_value masked_softmax_grad(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  if (!get_args(env, info, 15, argv, "maskedSoftmaxGrad")) return NULL;
  float *p, *dp, *dlse, *pl, *ds;
  size_t lp, ldp, ldl, lpl, lds;
  if (!optional_view(env, argv[0], &p, &lp) || !p) return NULL;
  if (!optional_view(env, argv[2], &dp, &ldp) || !dp) return NULL;
  if (!optional_view(env, argv[4], &dlse, &ldl)) return NULL;
  if (!optional_view(env, argv[6], &pl, &lpl)) return NULL;
  if (!optional_view(env, argv[8], &ds, &lds) || !ds) return NULL;
  const int64_t po = get_i64(env, argv[1]), dpo = get_i64(env, argv[3]), dlo = get_i64(env, argv[5]), plo = get_i64(env, argv[7]),
                dso = get_i64(env, argv[9]), rows = get_i64(env, argv[10]), n = get_i64(env, argv[11]), m = get_i64(env, argv[12]);
  double scale = 1;
  bool causal = false;
  napi_get_value_double(env, argv[13], &scale);
  napi_get_value_bool(env, argv[14], &causal);
  const uint64_t size = (uint64_t)(rows * m);
  if (rows < 0 || m < 1 || n < 1 || po < 0 || dpo < 0 || dso < 0 || po + size > lp || dpo + size > ldp || dso + size > lds ||
      (dlse && (dlo < 0 || (uint64_t)(dlo + rows) > ldl)) || (pl && (plo < 0 || plo + size > lpl))) {
    napi_throw_range_error(env, NULL, "peft_blas: maskedSoftmaxGrad operand out of bounds");
    return NULL;
  }
  if (rows == 0) return NULL;
  const int threads = rows * m > HEAVY_PARALLEL_MIN && rows > 1 ? max_threads : 1;
  (void)threads; // unused where the compiler has no OpenMP
  const int wide = use_avx2;
#pragma omp parallel num_threads(threads)
  {
    int64_t a, b;
    row_range(rows, &a, &b);
    if (b > a) {
      if (wide)
        backward_rows_avx2(p + po, dp + dpo, dlse ? dlse + dlo : NULL, pl ? pl + plo : NULL, ds + dso, a, b, n, m, (float)scale, causal);
      else
        backward_rows_base(p + po, dp + dpo, dlse ? dlse + dlo : NULL, pl ? pl + plo : NULL, ds + dso, a, b, n, m, (float)scale, causal);
    }
  }
  return NULL;
}

// ---------------------------------------------------------------------------------------------------------------------
// Tiled attention (FlashAttention-2's schedule on the CPU): the scores never exist as [B, H, n, m]. The forward goes
// over the keys in tiles of BC with an online softmax per query row and keeps f [B, H, n, p], lse [B, H, n] and, per
// row, its key count and the dropout generator's state at the row's start (info [B, H, n, FA_INFO] int32); the
// backward recomputes each tile's scores from Q, K and lse. Keys: the l shared supports (prefix-tuning; not masked),
// then the m ordinary keys (causal limit, additive padding mask). Dropout draws the same Alea stream as the dense
// path's PeftDropoutMask over [B, H, n, l + m], in the same order (row after row, keys in order), so the same seed
// drops the same probabilities.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alea.h"
#include "alea-lanes.h"
#include "transpose8.h"

#define BR 32
#define BC 64
#define FA_INFO 10  // int32 per row: the generator's state (4 doubles), the row's key count, one spare

typedef struct {
  const float *q, *k, *v, *sk, *sv, *mask, *df, *dlse, *dlse_u, *dlse_sh;
  float *f, *lse, *lse_u, *lse_sh, *dq, *dk, *dv, *dsk, *dsv;
  int32_t *info;
  const int64_t *vis;  // [n] keys each query row sees before the causal limit
  int64_t ms[4], n, m, p, l;
  float scale, masked, keep, inv_keep;
  int dropout, want_u, want_sh;
  int add_kv;  // backward: add dK, dV into the key/value head's gradient (a later query head of its group) instead of writing them
} fa_pair;

typedef struct {
  float *acc, *kt, *vt, *krows, *s, *s2, *drop, *dk, *dv, *mx, *sum, *mxu, *sumu, *mxs, *sums, *dot;
  int64_t *lim;
  alea_lane *rng;  // each row's dropout generator, in integer form
} fa_scratch;

// Query row i's dropout generator at the row's start (info holds it as Alea's doubles), in integer form.
static inline alea_lane fa_row_generator(const fa_pair *x, int64_t i) {
  alea_state a;
  memcpy(&a, x->info + i * FA_INFO, sizeof a);
  return alea_lane_of(&a);
}

// fa_vec: FA_VW floats as one value (GCC's and clang's vector extension), fa_vecu for unaligned loads and stores
#if defined(__x86_64__)
typedef float fa_v16 __attribute__((vector_size(64)));
typedef float fa_v16u __attribute__((vector_size(64), aligned(4)));
#define fa_vec fa_v16
#define fa_vecu fa_v16u
#define fa_vsplat(x) ((fa_v16){0} + (x))
#define FA_VW 16
#define FA_TR 8
#define FA_AR 4
#define FA_T8 1  // AVX's 8×8 register transpose for the key tiles
#define FA_SUFFIX avx512
#define FA_ATTR AVX512_VEC
#include "attention-tiled.h"
#undef FA_SUFFIX
#undef FA_ATTR
#undef fa_vec
#undef fa_vecu
#undef fa_vsplat
#undef FA_VW
#undef FA_TR
#undef FA_AR
#undef FA_T8
#endif
typedef float fa_v8 __attribute__((vector_size(32)));
typedef float fa_v8u __attribute__((vector_size(32), aligned(4)));
#define fa_vec fa_v8
#define fa_vecu fa_v8u
#define fa_vsplat(x) ((fa_v8){0} + (x))
#define FA_VW 8
#define FA_TR 4
#define FA_AR 2  // two rows of a 4-vector panel: 8 accumulators, 4 loaded vectors and a broadcast in the 16 registers
#if defined(__x86_64__)
#define FA_T8 1
#else
#define FA_T8 0  // (the instantiation is then the baseline's twin: no AVX)
#endif
#define FA_SUFFIX avx2
#define FA_ATTR AVX2_FMA
#include "attention-tiled.h"
#undef FA_SUFFIX
#undef FA_ATTR
#undef FA_AR
#define FA_AR 1  // 16-byte registers: a panel is 8 of the 16
#undef FA_T8
#define FA_T8 0
#define FA_SUFFIX base
#define FA_ATTR
#include "attention-tiled.h"
#undef FA_SUFFIX
#undef FA_ATTR

// The tiled loops of the vector path in use.
static void forward_block(const fa_pair *x, int64_t i0, int64_t i1, fa_scratch *w) {
#if defined(__x86_64__)
  if (use_avx512) {
    forward_block_avx512(x, i0, i1, w);
    return;
  }
#endif
  if (use_avx2) forward_block_avx2(x, i0, i1, w);
  else forward_block_base(x, i0, i1, w);
}
static void backward_pair(const fa_pair *x, fa_scratch *w) {
#if defined(__x86_64__)
  if (use_avx512) {
    backward_pair_avx512(x, w);
    return;
  }
#endif
  if (use_avx2) backward_pair_avx2(x, w);
  else backward_pair_base(x, w);
}

enum { FA_Q, FA_K, FA_V, FA_SK, FA_SV, FA_MASK, FA_F, FA_LSE, FA_INFO_BUF, FA_LSE_U, FA_LSE_SH, FA_DF, FA_DLSE, FA_DLSE_U, FA_DLSE_SH,
       FA_DQ, FA_DK, FA_DV, FA_DSK, FA_DSV, FA_BUFFERS };

static void *fa_alloc(size_t floats) { return calloc(floats ? floats : 1, sizeof(float)); }

static int fa_scratch_new(fa_scratch *w, int64_t n, int64_t p) {
  const int64_t rows = n > BR ? n : BR;
  w->acc = fa_alloc((size_t)(BR * p));
  w->kt = fa_alloc((size_t)(BC * p));
  w->vt = fa_alloc((size_t)(BC * p));
  w->krows = fa_alloc((size_t)(BC * p));
  w->s = fa_alloc((size_t)(BR * BC));
  w->s2 = fa_alloc((size_t)(BR * BC));
  w->drop = fa_alloc((size_t)(BR * BC));
  w->dk = fa_alloc((size_t)(BC * p));
  w->dv = fa_alloc((size_t)(BC * p));
  float *rowf = fa_alloc((size_t)(7 * rows));
  w->mx = rowf, w->sum = rowf + rows, w->mxu = rowf + 2 * rows, w->sumu = rowf + 3 * rows, w->mxs = rowf + 4 * rows;
  w->sums = rowf + 5 * rows, w->dot = rowf + 6 * rows;
  w->lim = (int64_t *)calloc((size_t)rows, sizeof(int64_t));
  w->rng = (alea_lane *)calloc((size_t)rows, sizeof(alea_lane));
  return w->acc && w->kt && w->vt && w->krows && w->s && w->s2 && w->drop && w->dk && w->dv && rowf && w->lim && w->rng;
}

static void fa_scratch_free(fa_scratch *w) {
  free(w->acc), free(w->kt), free(w->vt), free(w->krows), free(w->s), free(w->s2), free(w->drop), free(w->dk), free(w->dv), free(w->mx);
  free(w->lim), free(w->rng);
}

typedef struct {
  float *buf[FA_BUFFERS];
  int64_t B, H, n, m, p, l, sk_batched, Hkv, ms[4];  // Hkv: key/value heads (grouped-query attention), dividing H
  double scale, masked, keep, inv_keep;
  int causal, dropout;
} fa_call;

// Reads (buffers[], offsets[], dims [B, H, n, m, p, l, skBatched, Hkv], maskStrides[4], params [scale, causal, maskedValue,
// keep, invKeep, dropout]) and checks every present buffer holds its operand; `required` lists the buffers that must be.
static int fa_read(napi_env env, napi_value *argv, fa_call *c, const char *name, const int *required, int nrequired, int backward) {
  int64_t dims[8], params_i[6];
  (void)params_i;
  if (!read_dims(env, argv[2], 8, dims)) return 0;
  c->B = dims[0], c->H = dims[1], c->n = dims[2], c->m = dims[3], c->p = dims[4], c->l = dims[5], c->sk_batched = dims[6];
  c->Hkv = dims[7];
  for (int d = 0; d < 4; d++) c->ms[d] = 0;
  napi_value v;
  bool has_mask_strides = false;
  napi_is_array(env, argv[3], &has_mask_strides);
  if (has_mask_strides && !read_dims(env, argv[3], 4, c->ms)) return 0;
  double params[6] = {1, 0, -1e4, 1, 1, 0};
  for (uint32_t i = 0; i < 6; i++) {
    if (napi_get_element(env, argv[4], i, &v) != napi_ok || napi_get_value_double(env, v, &params[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "peft_blas: tiled attention takes 6 numeric parameters");
      return 0;
    }
  }
  c->scale = params[0], c->causal = params[1] != 0, c->masked = params[2], c->keep = params[3], c->inv_keep = params[4];
  c->dropout = params[5] != 0;
  const int64_t B = c->B, H = c->H, n = c->n, m = c->m, p = c->p, l = c->l, Hkv = c->Hkv;
  const int64_t rows = B * H * n;
  const int64_t sizes[FA_BUFFERS] = {
      rows * p, B * Hkv * m * p, B * Hkv * m * p, (c->sk_batched ? B : 1) * H * l * p, (c->sk_batched ? B : 1) * H * l * p, 0,
      rows * p, rows, rows * FA_INFO, rows, rows, rows * p, rows, rows, rows,
      rows * p, B * Hkv * m * p, B * Hkv * m * p, B * H * l * p, B * H * l * p};
  if (B < 0 || H < 0 || n < 1 || m < n || p < 1 || l < 0 || (c->causal && m < 1) || Hkv < 1 || (H > 0 && H % Hkv != 0)) {
    napi_throw_range_error(env, NULL, "peft_blas: tiled attention dims [B, H, n, m, p, l, ·, Hkv] must have n ≥ 1, m ≥ n, p ≥ 1, Hkv dividing H");
    return 0;
  }
  for (int b = 0; b < (backward ? FA_BUFFERS : FA_DF); b++) {
    if (napi_get_element(env, argv[0], (uint32_t)b, &v) != napi_ok) return 0;
    napi_valuetype t;
    napi_typeof(env, v, &t);
    c->buf[b] = NULL;
    if (t == napi_null || t == napi_undefined) continue;
    size_t len;
    float *data = f32_view(env, v, &len);
    if (!data) return 0;
    napi_value ov;
    if (napi_get_element(env, argv[1], (uint32_t)b, &ov) != napi_ok) return 0;
    const int64_t off = get_i64(env, ov);
    int64_t last = sizes[b];
    if (b == FA_MASK) last = c->ms[0] * (B - 1) + c->ms[1] * (H - 1) + c->ms[2] * (n - 1) + c->ms[3] * (m - 1) + 1;
    if (off < 0 || (uint64_t)(off + last) > len) {
      char msg[160];
      snprintf(msg, sizeof msg, "peft_blas: %s: operand %d out of bounds (%lld + %lld > %zu)", name, b, (long long)off, (long long)last, len);
      napi_throw_range_error(env, NULL, msg);
      return 0;
    }
    c->buf[b] = data + off;
  }
  for (int i = 0; i < nrequired; i++) {
    if (!c->buf[required[i]] && !(required[i] >= FA_SK && required[i] <= FA_SV && l == 0) &&
        !(required[i] >= FA_DSK && required[i] <= FA_DSV && l == 0)) {
      char msg[120];
      snprintf(msg, sizeof msg, "peft_blas: %s: operand %d is required", name, required[i]);
      napi_throw_type_error(env, NULL, msg);
      return 0;
    }
  }
  return 1;
}

// The pair (b, h)'s view of a call: query head h reads key/value head h / (H / Hkv).
static fa_pair fa_pair_of(const fa_call *c, const int64_t *vis, int64_t b, int64_t h) {
  const int64_t H = c->H, n = c->n, m = c->m, p = c->p, l = c->l, bh = b * H + h, bkv = b * c->Hkv + h / (H / c->Hkv);
  const int64_t sh = ((c->sk_batched ? b : 0) * H + h) * l * p;
  float *const *u = c->buf;
  fa_pair x = {0};
  x.q = u[FA_Q] + bh * n * p, x.k = u[FA_K] + bkv * m * p, x.v = u[FA_V] + bkv * m * p;
  x.sk = u[FA_SK] ? u[FA_SK] + sh : NULL, x.sv = u[FA_SV] ? u[FA_SV] + sh : NULL;
  x.mask = u[FA_MASK] ? u[FA_MASK] + b * c->ms[0] + h * c->ms[1] : NULL;
  for (int d = 0; d < 4; d++) x.ms[d] = c->ms[d];
  x.f = u[FA_F] + bh * n * p, x.lse = u[FA_LSE] + bh * n;
  x.lse_u = u[FA_LSE_U] ? u[FA_LSE_U] + bh * n : NULL, x.lse_sh = u[FA_LSE_SH] ? u[FA_LSE_SH] + bh * n : NULL;
  x.info = (int32_t *)u[FA_INFO_BUF] + bh * n * FA_INFO;
  x.vis = vis, x.n = n, x.m = m, x.p = p, x.l = l;
  x.scale = (float)c->scale, x.masked = (float)c->masked, x.keep = (float)c->keep, x.inv_keep = (float)c->inv_keep;
  x.dropout = c->dropout, x.want_u = u[FA_LSE_U] != NULL, x.want_sh = u[FA_LSE_SH] != NULL && l > 0;
  return x;
}

static int64_t *fa_visible(const fa_call *c) {
  int64_t *vis = (int64_t *)malloc((size_t)c->n * sizeof(int64_t));
  if (vis) for (int64_t i = 0; i < c->n; i++) vis[i] = visible_keys(c->causal, i, c->n, c->m);
  return vis;
}

// attentionTiled(buffers[11], offsets[11], dims[7], maskStrides[4] | null, params[6], seed): fills f, lse, info and,
// where given, lse_u (scores without the padding mask) and lse_sh (over the shared keys only).
napi_value attention_tiled(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv, "attentionTiled")) return NULL;
  fa_call c;
  static const int required[] = {FA_Q, FA_K, FA_V, FA_SK, FA_SV, FA_F, FA_LSE, FA_INFO_BUF};
  if (!fa_read(env, argv, &c, "attentionTiled", required, 8, 0)) return NULL;
  char seed[128];
  size_t len = 0;
  if (c.dropout && (napi_get_value_string_utf8(env, argv[5], seed, sizeof seed, &len) != napi_ok || len >= sizeof seed - 1)) {
    napi_throw_type_error(env, NULL, "peft_blas: attentionTiled takes a seed string of under 127 characters");
    return NULL;
  }
  const int64_t rows = c.B * c.H * c.n, L = c.l + c.m;
  if (rows == 0) return NULL;
  if (c.dropout) {
    // the generator's state at each row's start: the stream of a [B, H, n, L] mask, one row after another
    alea_state a;
    alea_seed(&a, seed, len);
    int32_t *inf = (int32_t *)c.buf[FA_INFO_BUF];
#if ALEA_CAN_JUMP
    // one modular product a row instead of L draws (Y = m, the generator's fixed point, has odds 2^-117 per state)
    const alea_u128 jump = alea_jump_multiplier((uint64_t)L);
    alea_u128 y = alea_to_int(&a);
    for (int64_t r = 0; r < rows; r++) {
      alea_from_int(&a, y);
      memcpy(inf + r * FA_INFO, &a, sizeof a);
      y = alea_mulmod(y, jump);
    }
#else
    for (int64_t r = 0; r < rows; r++) {
      memcpy(inf + r * FA_INFO, &a, sizeof a);
      for (int64_t t = 0; t < L; t++) alea_next(&a);
    }
#endif
  }
  int64_t *vis = fa_visible(&c);
  if (!vis) {
    napi_throw_error(env, NULL, "peft_blas: attentionTiled could not allocate");
    return NULL;
  }
  const int64_t blocks = (c.n + BR - 1) / BR, tasks = c.B * c.H * blocks;
  const int threads = rows * L * c.p > HEAVY_PARALLEL_MIN && tasks > 1 ? max_threads : 1;
  (void)threads;
  int failed = 0;
#pragma omp parallel num_threads(threads)
  {
    fa_scratch w;
    const int ok = fa_scratch_new(&w, BR, c.p);
    if (!ok) failed = 1;
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < tasks; task++) {
      if (!ok) continue;
      // the last query blocks (the longest rows under the causal limit) first
      const int64_t k = tasks - 1 - task, blk = k % blocks, bh = k / blocks;
      const fa_pair x = fa_pair_of(&c, vis, bh / c.H, bh % c.H);
      const int64_t i0 = blk * BR, i1 = i0 + BR < c.n ? i0 + BR : c.n;
      forward_block(&x, i0, i1, &w);
    }
    fa_scratch_free(&w);
  }
  free(vis);
  if (failed) napi_throw_error(env, NULL, "peft_blas: attentionTiled could not allocate its scratch");
  return NULL;
}

// attentionTiledGrad(buffers[20], offsets[20], dims[7], maskStrides[4] | null, params[6], unused): dQ, dK, dV (and dSK,
// dSV [B, H, l, p]) from dF and the optional dLse, dLseU, dLseSh, recomputing the scores tile by tile.
napi_value attention_tiled_grad(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv, "attentionTiledGrad")) return NULL;
  fa_call c;
  static const int required[] = {FA_Q, FA_K, FA_V, FA_SK, FA_SV, FA_F, FA_LSE, FA_INFO_BUF, FA_DF, FA_DQ, FA_DK, FA_DV, FA_DSK, FA_DSV};
  if (!fa_read(env, argv, &c, "attentionTiledGrad", required, 14, 1)) return NULL;
  if ((c.buf[FA_DLSE_U] && !c.buf[FA_LSE_U]) || (c.buf[FA_DLSE_SH] && !c.buf[FA_LSE_SH])) {
    napi_throw_type_error(env, NULL, "peft_blas: attentionTiledGrad: dLseU needs lseU, dLseSh needs lseSh");
    return NULL;
  }
  const int64_t pairs = c.B * c.H;
  if (pairs * c.n == 0) return NULL;
  int64_t *vis = fa_visible(&c);
  if (!vis) {
    napi_throw_error(env, NULL, "peft_blas: attentionTiledGrad could not allocate");
    return NULL;
  }
  const int threads = pairs * c.n * (c.l + c.m) * c.p > HEAVY_PARALLEL_MIN && c.B * c.Hkv > 1 ? max_threads : 1;
  (void)threads;
  // one task per (b, key/value head): the query heads of its group add into the same dK, dV one after the other
  const int64_t groups = c.H / c.Hkv, tasks = c.B * c.Hkv;
  int failed = 0;
#pragma omp parallel num_threads(threads)
  {
    fa_scratch w;
    const int ok = fa_scratch_new(&w, c.n, c.p);
    if (!ok) failed = 1;
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < tasks; task++) {
      if (!ok) continue;
      const int64_t b = task / c.Hkv, bkv = task;
      for (int64_t g = 0; g < groups; g++) {
        const int64_t h = (task % c.Hkv) * groups + g, bh = b * c.H + h;
        fa_pair x = fa_pair_of(&c, vis, b, h);
        float *const *u = c.buf;
        const int64_t n = c.n, m = c.m, p = c.p, l = c.l;
        x.add_kv = g > 0;
        x.df = u[FA_DF] + bh * n * p;
        x.dlse = u[FA_DLSE] ? u[FA_DLSE] + bh * n : NULL;
        x.dlse_u = u[FA_DLSE_U] ? u[FA_DLSE_U] + bh * n : NULL;
        x.dlse_sh = u[FA_DLSE_SH] && l > 0 ? u[FA_DLSE_SH] + bh * n : NULL;
        x.dq = u[FA_DQ] + bh * n * p, x.dk = u[FA_DK] + bkv * m * p, x.dv = u[FA_DV] + bkv * m * p;
        x.dsk = u[FA_DSK] ? u[FA_DSK] + bh * l * p : NULL, x.dsv = u[FA_DSV] ? u[FA_DSV] + bh * l * p : NULL;
        backward_pair(&x, &w);
      }
    }
    fa_scratch_free(&w);
  }
  free(vis);
  if (failed) napi_throw_error(env, NULL, "peft_blas: attentionTiledGrad could not allocate its scratch");
  return NULL;
}
