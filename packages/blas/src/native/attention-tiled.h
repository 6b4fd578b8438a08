// The tiled attention's loops (attention.c), included once per vector path: FA_SUFFIX names the functions, FA_ATTR
// is their target attribute (AVX-512, AVX2+FMA, or nothing for the baseline), fa_vec their vector of
// FA_VW floats. Everything here works on one (b, h) pair:
//
//   Q [n, p], the key supports t ∈ [0, L) = the l shared keys SK [l, p] then the m ordinary keys K [m, p] (values
//   alike), scores z_t = scale·⟨q_i, key_t⟩ (+ mask_ij on ordinary keys; ordinary keys past query i's causal limit
//   score maskedValue + mask_ij instead), P = softmax_t(z), f_i = Σ_t P_t·drop_t·value_t.
//
// A row never holds more than BC scores: the keys go by in tiles of BC, and each query row keeps its running maximum
// M and sum S (the online softmax), so a (b, h) pair needs O((n + L)·p) memory, never [n, L].
#if !defined(FA_SUFFIX) || !defined(FA_VW) || !defined(FA_TR) || !defined(FA_T8)
#error "define FA_SUFFIX, FA_ATTR, FA_VW, FA_TR, FA_T8, fa_vec, fa_vecu and fa_vsplat before including attention-tiled.h"
#endif
#define FA_CAT2(a, b) a##_##b
#define FA_CAT(a, b) FA_CAT2(a, b)
#define FA(name) FA_CAT(name, FA_SUFFIX)

// C[i][jj] = ⟨A_i, B_jj⟩ for i < R, jj < BC, with Bt = Bᵀ [p][BC] (keys transposed, zero past the tile): blocks of
// FA_TR rows × 2·FA_VW columns held in registers (GCC's vector extension, FA_VW floats wide: 8 on the AVX2 path and
// SSE pairs on the baseline, rows of 4; 16 on AVX-512, rows of 8), one broadcast of A per row and two loads of Bt
// per k step.
FA_ATTR static void FA(tile_products)(const float *restrict a, int64_t R, const float *restrict bt, int64_t p, float *restrict c) {
  int64_t i = 0;
  for (; i + FA_TR <= R; i += FA_TR) {
    for (int64_t cb = 0; cb < BC; cb += 2 * FA_VW) {
      fa_vec acc[FA_TR][2];
#pragma GCC unroll 8
      for (int r = 0; r < FA_TR; r++) acc[r][0] = acc[r][1] = fa_vsplat(0.0f);
      for (int64_t d = 0; d < p; d++) {
        const fa_vec b0 = *(const fa_vecu *)(bt + d * BC + cb), b1 = *(const fa_vecu *)(bt + d * BC + cb + FA_VW);
#pragma GCC unroll 8
        for (int r = 0; r < FA_TR; r++) {
          const fa_vec x = fa_vsplat(a[(i + r) * p + d]);
          acc[r][0] += x * b0, acc[r][1] += x * b1;
        }
      }
#pragma GCC unroll 8
      for (int r = 0; r < FA_TR; r++) {
        *(fa_vecu *)(c + (i + r) * BC + cb) = acc[r][0];
        *(fa_vecu *)(c + (i + r) * BC + cb + FA_VW) = acc[r][1];
      }
    }
  }
  for (; i < R; i++) {
    const float *a0 = a + i * p;
    for (int64_t cb = 0; cb < BC; cb += 2 * FA_VW) {
      fa_vec c00 = fa_vsplat(0.0f), c01 = fa_vsplat(0.0f);
      for (int64_t d = 0; d < p; d++) {
        const fa_vec x0 = fa_vsplat(a0[d]);
        c00 += x0 * *(const fa_vecu *)(bt + d * BC + cb), c01 += x0 * *(const fa_vecu *)(bt + d * BC + cb + FA_VW);
      }
      *(fa_vecu *)(c + i * BC + cb) = c00, *(fa_vecu *)(c + i * BC + cb + FA_VW) = c01;
    }
  }
}

// y[0, p) += Σ_k w[k·ws]·rows[k][0, p) for k < cnt (rows of stride p): y in registers where p is at most 8 vectors
// and a multiple of one (p 64: eight on the 8-wide paths, four on AVX-512), one broadcast and p/FA_VW loads per
// p/FA_VW FMAs.
FA_ATTR static void FA(accumulate)(float *restrict y, const float *restrict w, int64_t ws, const float *restrict rows, int64_t cnt, int64_t p) {
  if (p % FA_VW == 0 && p <= 8 * FA_VW) {
    fa_vec acc[8];
    const int64_t nv = p / FA_VW;
    for (int64_t u = 0; u < nv; u++) acc[u] = *(const fa_vecu *)(y + FA_VW * u);
    for (int64_t k = 0; k < cnt; k++) {
      const float wk = w[k * ws];
      if (wk == 0.0f) continue;
      const fa_vec x = fa_vsplat(wk);
      const float *r = rows + k * p;
      for (int64_t u = 0; u < nv; u++) acc[u] += x * *(const fa_vecu *)(r + FA_VW * u);
    }
    for (int64_t u = 0; u < nv; u++) *(fa_vecu *)(y + FA_VW * u) = acc[u];
    return;
  }
  for (int64_t k = 0; k < cnt; k++) {
    const float wk = w[k * ws];
    const float *r = rows + k * p;
    _Pragma("omp simd") for (int64_t d = 0; d < p; d++) y[d] += wk * r[d];
  }
}

// Y[r][0, p) += Σ_{k < cnt} w[r·wrs + k·wks]·rows[k][0, p) for r < nr (Y and rows of stride p): a small product
// Y += W·Rows. Where p is a multiple of four vectors (p 64: one such panel on AVX-512, two on AVX2), FA_AR rows of Y
// stay in registers a panel at a time (FA_AR·4 accumulators: independent chains that keep both FMA pipes busy) and
// each loaded piece of Rows serves all of them; otherwise row by row. Every term is added, zero weights too (as a
// product does: 0·inf is NaN here as on the dense path). P·V (w = P's rows: wrs BC, wks 1), dS·K alike, and dSᵀ·Q,
// P̃ᵀ·dF (w = a tile's columns: wrs 1, wks BC). Row by row, row r stops at key lim[r] − t (lim given): its weights are
// zero past it, and the blocked loop reads them anyway.
FA_ATTR static void FA(accumulate_block)(float *restrict y, int64_t nr, const float *restrict w, int64_t wrs, int64_t wks,
                                         const float *restrict rows, int64_t cnt, int64_t p, const int64_t *lim, int64_t t) {
  int64_t r = 0;
#if FA_AR > 1
  if (p % (4 * FA_VW) == 0) {
    for (; r + FA_AR <= nr; r += FA_AR) {
      const float *wr = w + r * wrs;
      for (int64_t u0 = 0; u0 < p; u0 += 4 * FA_VW) {
        fa_vec acc[FA_AR][4];
        float *yr = y + r * p + u0;
#pragma GCC unroll 8
        for (int a = 0; a < FA_AR; a++)
          for (int u = 0; u < 4; u++) acc[a][u] = *(const fa_vecu *)(yr + a * p + u * FA_VW);
        for (int64_t k = 0; k < cnt; k++) {
          const float *row = rows + k * p + u0;
          const fa_vec v0 = *(const fa_vecu *)row, v1 = *(const fa_vecu *)(row + FA_VW),
                       v2 = *(const fa_vecu *)(row + 2 * FA_VW), v3 = *(const fa_vecu *)(row + 3 * FA_VW);
#pragma GCC unroll 8
          for (int a = 0; a < FA_AR; a++) {
            const fa_vec x = fa_vsplat(wr[a * wrs + k * wks]);
            acc[a][0] += x * v0, acc[a][1] += x * v1, acc[a][2] += x * v2, acc[a][3] += x * v3;
          }
        }
#pragma GCC unroll 8
        for (int a = 0; a < FA_AR; a++)
          for (int u = 0; u < 4; u++) *(fa_vecu *)(yr + a * p + u * FA_VW) = acc[a][u];
      }
    }
  }
#endif
  for (; r < nr; r++) {
    const int64_t c = lim ? (lim[r] - t < 0 ? 0 : lim[r] - t < cnt ? lim[r] - t : cnt) : cnt;
    FA(accumulate)(y + r * p, w + r * wrs, wks, rows, c, p);
  }
}

// Keys t0 .. t0 + tc of the (b, h) pair: transposed into kt [p][BC] (zero past tc) and, when rows is given, copied
// as rows [tc][p]. On the x86 vector paths, eight keys at a time as 8×8 register transposes: element by element, the
// transpose's scattered stores were about a quarter of the forward loop (perf), which transposes each tile once per
// block of query rows.
FA_ATTR static void FA(gather_tile)(const fa_pair *x, const float *shared, const float *ordinary, int64_t t0, int64_t tc,
                                     float *restrict kt, float *restrict rows) {
  const int64_t p = x->p;
  const float *src[BC];
  for (int64_t jj = 0; jj < tc; jj++) {
    const int64_t t = t0 + jj;
    src[jj] = t < x->l ? shared + t * p : ordinary + (t - x->l) * p;
  }
  int64_t jj = 0;
#if FA_T8
  if (p % 8 == 0) {
    for (; jj + 8 <= tc; jj += 8) {
      for (int64_t d = 0; d < p; d += 8) {
        __m256 r[8];
        for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src[jj + i] + d);
        TRANSPOSE8_PS(r);
        for (int i = 0; i < 8; i++) _mm256_storeu_ps(kt + (d + i) * BC + jj, r[i]);
      }
    }
  }
#endif
  for (; jj < BC; jj++) {
    if (jj >= tc) {
      for (int64_t d = 0; d < p; d++) kt[d * BC + jj] = 0.0f;
      continue;
    }
    for (int64_t d = 0; d < p; d++) kt[d * BC + jj] = src[jj][d];
  }
  if (rows)
    for (int64_t k = 0; k < tc; k++) memcpy(rows + k * p, src[k], (size_t)p * sizeof(float));
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
static inline float FA(drop)(const fa_pair *x, alea_lane *rng) {
  if (!x->dropout) return 1.0f;
  return floorf(alea_lane_next_f32(rng) + x->keep) * x->inv_keep;
}

// The dropout factors of keys t0 .. t0 + min(tc, lim_r − t0) for R rows (their generators and key counts given),
// into out [R][BC]: eight rows' generators advance side by side as Alea's lanes (alea-lanes.h: one vector register on
// AVX-512) for the keys all eight take, then each row's rest on its own.
FA_ATTR static void FA(draw_block)(const fa_pair *x, alea_lane *rng, const int64_t *lim, int64_t R, int64_t t0, int64_t tc, float *restrict out) {
  const float k = x->keep, s = x->inv_keep;
  const alea_mask_lanes_fn lanes = alea_mask_lanes();
  int64_t r = 0;
  for (; r + ALEA_LANES <= R; r += ALEA_LANES) {
    int64_t cnt[ALEA_LANES], lo = BC;
    for (int u = 0; u < ALEA_LANES; u++) {
      const int64_t c = lim[r + u] - t0 < tc ? lim[r + u] - t0 : tc;
      cnt[u] = c > 0 ? c : 0;
      lo = cnt[u] < lo ? cnt[u] : lo;
    }
    lo &= ~(int64_t)7;
    if (lo > 0) lanes(rng + r, out + r * BC, BC, lo, k, s);
    for (int u = 0; u < ALEA_LANES; u++)
      for (int64_t c = lo; c < cnt[u]; c++) out[(r + u) * BC + c] = floorf(alea_lane_next_f32(&rng[r + u]) + k) * s;
  }
  for (; r < R; r++) {
    const int64_t c = lim[r] - t0 < tc ? lim[r] - t0 : tc;
    for (int64_t j = 0; j < c; j++) out[r * BC + j] = floorf(alea_lane_next_f32(&rng[r]) + k) * s;
  }
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

// Whether keys t0 .. t0 + cnt are all ordinary keys query i sees (the tiles that take the vector path).
static inline int FA(all_visible)(const fa_pair *x, int64_t i, int64_t t0, int64_t cnt) {
  return t0 >= x->l && t0 + cnt <= x->l + x->vis[i];
}

// z = scale·s (+ mask) over cnt visible ordinary keys from j0, in place; zu (when given) without the mask.
FA_ATTR static void FA(scores_visible)(const fa_pair *x, int64_t i, int64_t j0, int64_t cnt, float *restrict z, float *restrict zu) {
  const float sc = x->scale;
  _Pragma("omp simd") for (int64_t jj = 0; jj < cnt; jj++) z[jj] *= sc;
  if (zu) memcpy(zu, z, (size_t)cnt * sizeof(float));
  if (!x->mask) return;
  const float *mr = x->mask + i * x->ms[2] + j0 * x->ms[3];
  const int64_t mj = x->ms[3];
  if (mj == 1) _Pragma("omp simd") for (int64_t jj = 0; jj < cnt; jj++) z[jj] += mr[jj];
  else if (mj == 0) { const float m0 = mr[0]; _Pragma("omp simd") for (int64_t jj = 0; jj < cnt; jj++) z[jj] += m0; }
  else for (int64_t jj = 0; jj < cnt; jj++) z[jj] += mr[jj * mj];
}

// Merges cnt scores z into a running (max, sum) of exponentials.
FA_ATTR static void FA(merge_tile)(float *mx, float *sum, const float *restrict z, int64_t cnt) {
  float tm = -INFINITY;
  _Pragma("omp simd reduction(max : tm)") for (int64_t jj = 0; jj < cnt; jj++) tm = z[jj] > tm ? z[jj] : tm;
  if (cnt <= 0 || tm == -INFINITY) return;
  const float mnew = tm > *mx ? tm : *mx;
  float s = *mx == -INFINITY ? 0.0f : *sum * exp_f(*mx - mnew);
  _Pragma("omp simd reduction(+ : s)") for (int64_t jj = 0; jj < cnt; jj++) s += exp_f(z[jj] - mnew);
  *sum = s;
  *mx = mnew;
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
    if (x->dropout) w->rng[ii] = fa_row_generator(x, i);
  }
  const float *q = x->q + i0 * p;
  for (int64_t t0 = 0; t0 < tmax; t0 += BC) {
    const int64_t tc = tmax - t0 < BC ? tmax - t0 : BC;
    FA(gather_tile)(x, x->sk, x->k, t0, tc, w->kt, NULL);
    FA(tile_products)(q, R, w->kt, p, w->s);
    if (x->dropout) FA(draw_block)(x, w->rng, w->lim, R, t0, tc, w->drop);
    for (int64_t ii = 0; ii < R; ii++) {
      const int64_t i = i0 + ii, lim = w->lim[ii];
      float *sr = w->s + ii * BC;
      const int64_t cnt = lim - t0 < tc ? lim - t0 : tc;
      if (cnt <= 0) {
        for (int64_t jj = 0; jj < tc; jj++) sr[jj] = 0.0f;
        continue;
      }
      float *zur = w->s2 + ii * BC;  // the scores without the padding mask, for λ's quirk
      float tile_max = -INFINITY;
      if (FA(all_visible)(x, i, t0, cnt)) {
        FA(scores_visible)(x, i, t0 - l, cnt, sr, x->want_u ? zur : NULL);
        _Pragma("omp simd reduction(max : tile_max)") for (int64_t jj = 0; jj < cnt; jj++) tile_max = sr[jj] > tile_max ? sr[jj] : tile_max;
      } else {
        for (int64_t jj = 0; jj < cnt; jj++) {
          float zu;
          int vis;
          const float z = FA(score)(x, i, t0 + jj, sr[jj], &zu, &vis);
          sr[jj] = z;
          zur[jj] = zu;
          tile_max = z > tile_max ? z : tile_max;
        }
      }
      if (x->want_u) FA(merge_tile)(&w->mxu[ii], &w->sumu[ii], zur, cnt);
      if (x->want_sh && t0 < l) FA(merge_tile)(&w->mxs[ii], &w->sums[ii], sr, l - t0 < cnt ? l - t0 : cnt);
      const float mnew = tile_max > w->mx[ii] ? tile_max : w->mx[ii];
      const float corr = exp_f(w->mx[ii] - mnew);
      float *orow = o + ii * p;
      if (corr != 1.0f) _Pragma("omp simd") for (int64_t d = 0; d < p; d++) orow[d] *= corr;
      float s = w->sum[ii] * corr;
      _Pragma("omp simd reduction(+ : s)") for (int64_t jj = 0; jj < cnt; jj++) {
        const float e = exp_f(sr[jj] - mnew);
        s += e;
        sr[jj] = e;
      }
      if (x->dropout) _Pragma("omp simd") for (int64_t jj = 0; jj < cnt; jj++) sr[jj] *= w->drop[ii * BC + jj];
      for (int64_t jj = cnt; jj < tc; jj++) sr[jj] = 0.0f;  // keys past the row's limit weigh nothing below
      w->sum[ii] = s;
      w->mx[ii] = mnew;
    }
    // O += P̃·V over the tile's keys, all rows at once: shared ones from sv, ordinary ones from v (contiguous rows
    // either side)
    const int64_t split = l - t0 > 0 ? (l - t0 < tc ? l - t0 : tc) : 0;
    if (split > 0) FA(accumulate_block)(o, R, w->s, BC, 1, x->sv + t0 * p, split, p, w->lim, t0);
    if (tc > split) FA(accumulate_block)(o, R, w->s + split, BC, 1, x->v + (t0 + split - l) * p, tc - split, p, w->lim, t0 + split);
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
    if (x->dropout) w->rng[i] = fa_row_generator(x, i);
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
      if (x->dropout) FA(draw_block)(x, w->rng + i0, w->lim + i0, R, t0, tc, w->drop);
      for (int64_t ii = 0; ii < R; ii++) {
        const int64_t i = i0 + ii;
        float *sr = w->s + ii * BC, *dpr = w->s2 + ii * BC;
        const int64_t cnt = w->lim[i] - t0 < tc ? w->lim[i] - t0 : tc;
        const float lse = x->lse[i], dot = w->dot[i];
        const float dl = x->dlse ? x->dlse[i] : 0.0f, dlu = x->dlse_u ? x->dlse_u[i] : 0.0f, dls = x->dlse_sh ? x->dlse_sh[i] : 0.0f;
        int64_t jj = 0;
        if (cnt > 0 && FA(all_visible)(x, i, t0, cnt)) {
          // the vector path: every key of the tile visible, ordinary
          float zu[BC], ones[BC];
          FA(scores_visible)(x, i, t0 - l, cnt, sr, x->dlse_u ? zu : NULL);
          const float *drop = x->dropout ? w->drop + ii * BC : ones;
          if (!x->dropout) for (int64_t c = 0; c < cnt; c++) ones[c] = 1.0f;
          const float sc = x->scale, lu = x->dlse_u ? x->lse_u[i] : 0.0f;
          _Pragma("omp simd") for (int64_t c = 0; c < cnt; c++) {
            const float pr = exp_f(sr[c] - lse);
            float dz = pr * (dpr[c] * drop[c] - dot) + dl * pr;
            if (x->dlse_u) dz += dlu * exp_f(zu[c] - lu);
            sr[c] = sc * dz;
            dpr[c] = pr * drop[c];
          }
          jj = cnt;
        }
        for (; jj < cnt; jj++) {
          const int64_t t = t0 + jj;
          float zu;
          int vis;
          const float z = FA(score)(x, i, t, sr[jj], &zu, &vis);
          const float pr = exp_f(z - lse);
          const float drop = x->dropout ? w->drop[ii * BC + jj] : 1.0f;
          float dz = pr * (dpr[jj] * drop - dot) + dl * pr;
          if (x->dlse_u) dz += dlu * exp_f(zu - x->lse_u[i]);
          if (x->dlse_sh && t < l) dz += dls * exp_f(z - x->lse_sh[i]);
          sr[jj] = vis ? x->scale * dz : 0.0f;  // dS (raw scores)
          dpr[jj] = pr * drop;                  // the dropped probability, for dV
        }
        for (; jj < BC; jj++) sr[jj] = dpr[jj] = 0.0f;
      }
      // dQ_i += Σ_jj dS_ij·K_jj (rows past a row's count weigh 0)
      FA(accumulate_block)(x->dq + i0 * p, R, w->s, BC, 1, w->krows, tc, p, w->lim + i0, t0);
      // dK_jj += Σ_i dS_ij·Q_i, dV_jj += Σ_i P̃_ij·dF_i
      FA(accumulate_block)(w->dk, tc, w->s, 1, BC, x->q + i0 * p, R, p, NULL, 0);
      FA(accumulate_block)(w->dv, tc, w->s2, 1, BC, x->df + i0 * p, R, p, NULL, 0);
    }
    for (int64_t jj = 0; jj < tc; jj++) {
      const int64_t t = t0 + jj;
      float *dk = t < l ? x->dsk + t * p : x->dk + (t - l) * p;
      float *dv = t < l ? x->dsv + t * p : x->dv + (t - l) * p;
      if (x->add_kv && t >= l) {
        // a later query head of the key/value head's group: its share adds to the ordinary keys' gradients
        const float *gk = w->dk + jj * p, *gv = w->dv + jj * p;
        _Pragma("omp simd") for (int64_t d = 0; d < p; d++) dk[d] += gk[d], dv[d] += gv[d];
        continue;
      }
      memcpy(dk, w->dk + jj * p, (size_t)p * sizeof(float));
      memcpy(dv, w->dv + jj * p, (size_t)p * sizeof(float));
    }
  }
  // keys no row reached (past every row's limit) get zero gradients (written by the group's first head)
  for (int64_t t = lmax; t < l + x->m; t++) {
    if (x->add_kv && t >= l) break;
    float *dk = t < l ? x->dsk + t * p : x->dk + (t - l) * p;
    float *dv = t < l ? x->dsv + t * p : x->dv + (t - l) * p;
    memset(dk, 0, (size_t)p * sizeof(float));
    memset(dv, 0, (size_t)p * sizeof(float));
  }
}

#undef FA
#undef FA_CAT
#undef FA_CAT2
