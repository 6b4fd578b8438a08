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
