// The tiled attention's loops (attention.c), included once per vector path: FA_SUFFIX names the functions, FA_ATTR
// is their target attribute (AVX2+FMA, or nothing for the baseline). Everything here works on one (b, h) pair:
//
//   Q [n, p], the key supports t ∈ [0, L) = the l shared keys SK [l, p] then the m ordinary keys K [m, p] (values
//   alike), scores z_t = scale·⟨q_i, key_t⟩ (+ mask_ij on ordinary keys; ordinary keys past query i's causal limit
//   score maskedValue + mask_ij instead), P = softmax_t(z), f_i = Σ_t P_t·drop_t·value_t.
//
// A row never holds more than BC scores: the keys go by in tiles of BC, and each query row keeps its running maximum
// M and sum S (the online softmax), so a (b, h) pair needs O((n + L)·p) memory, never [n, L].
#ifndef FA_SUFFIX
#error "define FA_SUFFIX and FA_ATTR before including attention-tiled.h"
#endif
#define FA_CAT2(a, b) a##_##b
#define FA_CAT(a, b) FA_CAT2(a, b)
#define FA(name) FA_CAT(name, FA_SUFFIX)

// C[i][jj] = ⟨A_i, B_jj⟩ for i < R, jj < BC, with Bt = Bᵀ [p][BC] (keys transposed, zero past the tile): two rows
// at a time, BC columns held in vector registers.
FA_ATTR static void FA(tile_products)(const float *restrict a, int64_t R, const float *restrict bt, int64_t p, float *restrict c) {
  int64_t i = 0;
  for (; i + 1 < R; i += 2) {
    float c0[BC], c1[BC];
    for (int64_t jj = 0; jj < BC; jj++) c0[jj] = c1[jj] = 0.0f;
    const float *a0 = a + i * p, *a1 = a0 + p;
    for (int64_t d = 0; d < p; d++) {
      const float x0 = a0[d], x1 = a1[d];
      const float *b = bt + d * BC;
      _Pragma("omp simd") for (int64_t jj = 0; jj < BC; jj++) {
        c0[jj] += x0 * b[jj];
        c1[jj] += x1 * b[jj];
      }
    }
    for (int64_t jj = 0; jj < BC; jj++) {
      c[i * BC + jj] = c0[jj];
      c[(i + 1) * BC + jj] = c1[jj];
    }
  }
  for (; i < R; i++) {
    float c0[BC];
    for (int64_t jj = 0; jj < BC; jj++) c0[jj] = 0.0f;
    const float *a0 = a + i * p;
    for (int64_t d = 0; d < p; d++) {
      const float x0 = a0[d];
      const float *b = bt + d * BC;
      _Pragma("omp simd") for (int64_t jj = 0; jj < BC; jj++) c0[jj] += x0 * b[jj];
    }
    for (int64_t jj = 0; jj < BC; jj++) c[i * BC + jj] = c0[jj];
  }
}

// y[0, p) += Σ_{jj < tc} w[jj]·rows[jj][0, p) (rows with stride p)
FA_ATTR static void FA(accumulate_rows)(float *restrict y, const float *restrict w, const float *restrict rows, int64_t tc, int64_t p) {
  int64_t jj = 0;
  for (; jj + 3 < tc; jj += 4) {
    const float w0 = w[jj], w1 = w[jj + 1], w2 = w[jj + 2], w3 = w[jj + 3];
    const float *r0 = rows + jj * p, *r1 = r0 + p, *r2 = r1 + p, *r3 = r2 + p;
    _Pragma("omp simd") for (int64_t d = 0; d < p; d++) y[d] += w0 * r0[d] + w1 * r1[d] + w2 * r2[d] + w3 * r3[d];
  }
  for (; jj < tc; jj++) {
    const float w0 = w[jj];
    const float *r0 = rows + jj * p;
    _Pragma("omp simd") for (int64_t d = 0; d < p; d++) y[d] += w0 * r0[d];
  }
}

// y[0, p) += Σ_{i < R} w[i·BC]·rows[i][0, p): a column of a tile (stride BC) against R rows of stride p
FA_ATTR static void FA(accumulate_column)(float *restrict y, const float *restrict w, const float *restrict rows, int64_t R, int64_t p) {
  int64_t i = 0;
  for (; i + 3 < R; i += 4) {
    const float w0 = w[i * BC], w1 = w[(i + 1) * BC], w2 = w[(i + 2) * BC], w3 = w[(i + 3) * BC];
    if (w0 == 0.0f && w1 == 0.0f && w2 == 0.0f && w3 == 0.0f) continue;
    const float *r0 = rows + i * p, *r1 = r0 + p, *r2 = r1 + p, *r3 = r2 + p;
    _Pragma("omp simd") for (int64_t d = 0; d < p; d++) y[d] += w0 * r0[d] + w1 * r1[d] + w2 * r2[d] + w3 * r3[d];
  }
  for (; i < R; i++) {
    const float w0 = w[i * BC];
    const float *r0 = rows + i * p;
    _Pragma("omp simd") for (int64_t d = 0; d < p; d++) y[d] += w0 * r0[d];
  }
}

// Keys t0 .. t0 + tc of the (b, h) pair: transposed into kt [p][BC] (zero past tc) and, when rows is given, copied
// as rows [tc][p].
FA_ATTR static void FA(gather_tile)(const fa_pair *x, const float *shared, const float *ordinary, int64_t t0, int64_t tc,
                                     float *restrict kt, float *restrict rows) {
  const int64_t p = x->p;
  for (int64_t jj = 0; jj < BC; jj++) {
    if (jj >= tc) {
      for (int64_t d = 0; d < p; d++) kt[d * BC + jj] = 0.0f;
      continue;
    }
    const int64_t t = t0 + jj;
    const float *src = t < x->l ? shared + t * p : ordinary + (t - x->l) * p;
    for (int64_t d = 0; d < p; d++) kt[d * BC + jj] = src[d];
    if (rows) memcpy(rows + jj * p, src, (size_t)p * sizeof(float));
  }
}

// The score of key t for query i, from its product s (unscaled): z (what P normalises) and, through *zu, the score
// without the padding mask (RoBERTa's λ quirk). Sets *visible to whether the causal limit lets i see t.
FA_ATTR static inline float FA(score)(const fa_pair *x, int64_t i, int64_t t, float s, float *zu, int *visible) {
  if (t < x->l) {
    *visible = 1;
    *zu = x->scale * s;
    return *zu;
  }
  const int64_t j = t - x->l;
  *visible = j < x->vis[i];
  *zu = *visible ? x->scale * s : x->masked;
  return x->mask ? *zu + x->mask[i * x->ms[2] + j * x->ms[3]] : *zu;
}

// The dropout factor of the row's next key (0 or 1/keep), advancing the row's generator; 1 without dropout.
static inline float FA(drop)(const fa_pair *x, alea_state *rng) {
  if (!x->dropout) return 1.0f;
  const float u = (float)alea_next(rng);
  return floorf(u + x->keep) * x->inv_keep;
}

// Merges value z (count times) into a running (max, sum).
static inline void FA(merge)(float *mx, float *sum, float z, float count) {
  if (count <= 0.0f) return;
  if (z > *mx) {
    *sum = *sum * exp_f(*mx - z) + count;
    *mx = z;
  } else {
    *sum += count * exp_f(z - *mx);
  }
}

// Forward, query rows [i0, i1) of one pair: f, lse (and lse_u, lse_sh) and each row's key count into info.
FA_ATTR static void FA(forward_block)(const fa_pair *x, int64_t i0, int64_t i1, fa_scratch *w) {
  const int64_t p = x->p, R = i1 - i0, l = x->l, L = x->l + x->m;
  float *o = w->acc;  // [R][p]
  for (int64_t k = 0; k < R * p; k++) o[k] = 0.0f;
  int64_t tmax = 0;
  for (int64_t ii = 0; ii < R; ii++) {
    const int64_t i = i0 + ii;
    w->lim[ii] = l + x->vis[i];
    tmax = w->lim[ii] > tmax ? w->lim[ii] : tmax;
    w->mx[ii] = -INFINITY;
    w->sum[ii] = 0.0f;
    w->mxu[ii] = -INFINITY;
    w->sumu[ii] = 0.0f;
    w->mxs[ii] = -INFINITY;
    w->sums[ii] = 0.0f;
    if (x->dropout) memcpy(&w->rng[ii], x->info + i * FA_INFO, sizeof(alea_state));
  }
  const float *q = x->q + i0 * p;
  for (int64_t t0 = 0; t0 < tmax; t0 += BC) {
    const int64_t tc = tmax - t0 < BC ? tmax - t0 : BC;
    FA(gather_tile)(x, x->sk, x->k, t0, tc, w->kt, NULL);
    FA(tile_products)(q, R, w->kt, p, w->s);
    for (int64_t ii = 0; ii < R; ii++) {
      const int64_t i = i0 + ii, lim = w->lim[ii];
      float *sr = w->s + ii * BC;
      const int64_t cnt = lim - t0 < tc ? lim - t0 : tc;
      if (cnt <= 0) continue;
      float tile_max = -INFINITY;
      for (int64_t jj = 0; jj < cnt; jj++) {
        float zu;
        int vis;
        const int64_t t = t0 + jj;
        const float z = FA(score)(x, i, t, sr[jj], &zu, &vis);
        sr[jj] = z;
        tile_max = z > tile_max ? z : tile_max;
        if (x->want_u) FA(merge)(&w->mxu[ii], &w->sumu[ii], zu, 1.0f);
        if (t < l && x->want_sh) FA(merge)(&w->mxs[ii], &w->sums[ii], z, 1.0f);
      }
      const float mnew = tile_max > w->mx[ii] ? tile_max : w->mx[ii];
      const float corr = exp_f(w->mx[ii] - mnew);
      float *orow = o + ii * p;
      if (corr != 1.0f) _Pragma("omp simd") for (int64_t d = 0; d < p; d++) orow[d] *= corr;
      float s = w->sum[ii] * corr;
      for (int64_t jj = 0; jj < cnt; jj++) {
        const float e = exp_f(sr[jj] - mnew);
        s += e;
        sr[jj] = e * FA(drop)(x, &w->rng[ii]);
      }
      w->sum[ii] = s;
      w->mx[ii] = mnew;
      // values of the tile's keys: shared ones from sv, ordinary ones from v (contiguous rows either side)
      const int64_t split = l - t0 > 0 ? (l - t0 < cnt ? l - t0 : cnt) : 0;
      if (split > 0) FA(accumulate_rows)(orow, sr, x->sv + t0 * p, split, p);
      if (cnt > split) FA(accumulate_rows)(orow, sr + split, x->v + (t0 + split - l) * p, cnt - split, p);
    }
  }
  for (int64_t ii = 0; ii < R; ii++) {
    const int64_t i = i0 + ii;
    float *orow = o + ii * p;
    if (x->vis[i] < x->m) {
      // keys past the causal limit score maskedValue (+ mask): nothing next to a visible score, but where a row's
      // visible keys are all padded they are what the row sees. Such a row goes on over them, as the dense path does.
      float zmax = -INFINITY;
      for (int64_t j = x->vis[i]; j < x->m; j++) {
        const float z = x->mask ? x->masked + x->mask[i * x->ms[2] + j * x->ms[3]] : x->masked;
        zmax = z > zmax ? z : zmax;
      }
      if (zmax - w->mx[ii] > -40.0f) {
        for (int64_t t = w->lim[ii]; t < L; t++) {
          float zu;
          int vis;
          const float z = FA(score)(x, i, t, 0.0f, &zu, &vis);
          const float mnew = z > w->mx[ii] ? z : w->mx[ii];
          const float corr = exp_f(w->mx[ii] - mnew);
          if (corr != 1.0f) _Pragma("omp simd") for (int64_t d = 0; d < p; d++) orow[d] *= corr;
          const float e = exp_f(z - mnew);
          w->sum[ii] = w->sum[ii] * corr + e;
          w->mx[ii] = mnew;
          const float pe = e * FA(drop)(x, &w->rng[ii]);
          const float *vr = x->v + (t - l) * p;
          _Pragma("omp simd") for (int64_t d = 0; d < p; d++) orow[d] += pe * vr[d];
        }
        w->lim[ii] = L;
      }
      if (x->want_u) FA(merge)(&w->mxu[ii], &w->sumu[ii], x->masked, (float)(x->m - x->vis[i]));
    }
    const float inv = 1.0f / w->sum[ii];
    float *f = x->f + i * p;
    _Pragma("omp simd") for (int64_t d = 0; d < p; d++) f[d] = orow[d] * inv;
    x->lse[i] = w->mx[ii] + log_f(w->sum[ii]);
    if (x->want_u) x->lse_u[i] = w->mxu[ii] + log_f(w->sumu[ii]);
    if (x->want_sh) x->lse_sh[i] = w->mxs[ii] + log_f(w->sums[ii]);
    x->info[i * FA_INFO + 8] = (int32_t)w->lim[ii];
  }
}

// Backward of one pair: dQ, dK, dV (and dSK, dSV), recomputing each tile's scores from Q, K and the saved lse.
FA_ATTR static void FA(backward_pair)(const fa_pair *x, fa_scratch *w) {
  const int64_t p = x->p, n = x->n, l = x->l;
  int64_t lmax = 0;
  for (int64_t i = 0; i < n; i++) {
    w->lim[i] = x->info[i * FA_INFO + 8];
    lmax = w->lim[i] > lmax ? w->lim[i] : lmax;
    float dot = 0.0f;
    const float *df = x->df + i * p, *f = x->f + i * p;
    _Pragma("omp simd reduction(+ : dot)") for (int64_t d = 0; d < p; d++) dot += df[d] * f[d];
    w->dot[i] = dot;
    if (x->dropout) memcpy(&w->rng[i], x->info + i * FA_INFO, sizeof(alea_state));
  }
  for (int64_t k = 0; k < n * p; k++) x->dq[k] = 0.0f;
  for (int64_t t0 = 0; t0 < lmax; t0 += BC) {
    const int64_t tc = lmax - t0 < BC ? lmax - t0 : BC;
    FA(gather_tile)(x, x->sk, x->k, t0, tc, w->kt, w->krows);
    FA(gather_tile)(x, x->sv, x->v, t0, tc, w->vt, NULL);
    for (int64_t k = 0; k < BC * p; k++) w->dk[k] = w->dv[k] = 0.0f;
    for (int64_t i0 = 0; i0 < n; i0 += BR) {
      const int64_t R = n - i0 < BR ? n - i0 : BR;
      int64_t any = 0;
      for (int64_t ii = 0; ii < R; ii++) any |= w->lim[i0 + ii] > t0;
      if (!any) continue;
      FA(tile_products)(x->q + i0 * p, R, w->kt, p, w->s);
      FA(tile_products)(x->df + i0 * p, R, w->vt, p, w->s2);
      for (int64_t ii = 0; ii < R; ii++) {
        const int64_t i = i0 + ii;
        float *sr = w->s + ii * BC, *dpr = w->s2 + ii * BC;
        const int64_t cnt = w->lim[i] - t0 < tc ? w->lim[i] - t0 : tc;
        const float lse = x->lse[i], dot = w->dot[i];
        const float dl = x->dlse ? x->dlse[i] : 0.0f, dlu = x->dlse_u ? x->dlse_u[i] : 0.0f, dls = x->dlse_sh ? x->dlse_sh[i] : 0.0f;
        int64_t jj = 0;
        for (; jj < cnt; jj++) {
          const int64_t t = t0 + jj;
          float zu;
          int vis;
          const float z = FA(score)(x, i, t, sr[jj], &zu, &vis);
          const float pr = exp_f(z - lse);
          const float drop = FA(drop)(x, &w->rng[i]);
          float dz = pr * (dpr[jj] * drop - dot) + dl * pr;
          if (x->dlse_u) dz += dlu * exp_f(zu - x->lse_u[i]);
          if (x->dlse_sh && t < l) dz += dls * exp_f(z - x->lse_sh[i]);
          sr[jj] = vis ? x->scale * dz : 0.0f;  // dS (raw scores)
          dpr[jj] = pr * drop;                  // the dropped probability, for dV
        }
        for (; jj < BC; jj++) sr[jj] = dpr[jj] = 0.0f;
        // dQ_i += Σ_jj dS_ij·K_jj
        FA(accumulate_rows)(x->dq + i * p, sr, w->krows, cnt > 0 ? cnt : 0, p);
      }
      // dK_jj += Σ_i dS_ij·Q_i, dV_jj += Σ_i P̃_ij·dF_i
      for (int64_t jj = 0; jj < tc; jj++) {
        FA(accumulate_column)(w->dk + jj * p, w->s + jj, x->q + i0 * p, R, p);
        FA(accumulate_column)(w->dv + jj * p, w->s2 + jj, x->df + i0 * p, R, p);
      }
    }
    for (int64_t jj = 0; jj < tc; jj++) {
      const int64_t t = t0 + jj;
      float *dk = t < l ? x->dsk + t * p : x->dk + (t - l) * p;
      float *dv = t < l ? x->dsv + t * p : x->dv + (t - l) * p;
      memcpy(dk, w->dk + jj * p, (size_t)p * sizeof(float));
      memcpy(dv, w->dv + jj * p, (size_t)p * sizeof(float));
    }
  }
  // keys no row reached (past every row's limit) get zero gradients
  for (int64_t t = lmax; t < l + x->m; t++) {
    float *dk = t < l ? x->dsk + t * p : x->dk + (t - l) * p;
    float *dv = t < l ? x->dsv + t * p : x->dv + (t - l) * p;
    memset(dk, 0, (size_t)p * sizeof(float));
    memset(dv, 0, (size_t)p * sizeof(float));
  }
}

#undef FA
#undef FA_CAT
#undef FA_CAT2
