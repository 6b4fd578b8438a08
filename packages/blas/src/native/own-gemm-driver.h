// The blocked, packed GEMM driver, instantiated once per instruction set by the file that includes it.
//
// The includer defines:
//   OG_NAME(x)   a unique name for x (e.g. x##_avx2)
//   OG_ATTR      the function attribute of that instruction set (target("avx2,fma"), or nothing)
//   OG_MR, OG_NR the micro-tile: MR rows of C by NR columns, held in registers across the whole k loop
//   OG_KC, OG_MC, OG_NC  the cache blocks: a KC×NR sliver of packed B stays in L1 while the micro-kernel walks the
//                MC×KC packed block of A (in L2); a KC×NC packed block of B is shared by all blocks of A (in L3)
//   and, before the include, the micro-kernel
//     OG_ATTR static inline void OG_NAME(kernel)(int64_t kc, const float *a, int64_t rsa, int64_t csa,
//                                                 const float *b, int64_t rsb, float *c, int64_t ldc, int accumulate)
//   computing the MR×NR tile c (+)= A·B over kc steps, where A[i][p] is a[i·rsa + p·csa] and row p of B is the NR
//   contiguous floats at b + p·rsb. Packed operands are the case rsa = 1, csa = MR, rsb = NR (constants, so the
//   compiler specialises the inlined kernel); operands read in place pass their own strides.
//   Optionally OG_PACK_B_TRANS: OG_NAME(pack_b_trans)(src, ldb, kc, dst), a faster full-sliver pack of
//   transposed B (NR stored rows of kc floats, ldb apart, into kc rows of NR); and OG_PACK_A_ROWS:
//   OG_NAME(pack_a_rows)(src, lda, kc, dst), the same for a full sliver of A as stored (MR rows into kc groups of MR).
//
// Loop nest (outermost first), as in Goto & van de Geijn, "Anatomy of high-performance matrix multiplication"
// (ACM TOMS 34(3), 2008) and the BLIS framework:
//   jc over n by NC · pc over k by KC (pack B's KC×NC block) · ic over m by MC (pack A's MC×KC block) ·
//   jr over the block's columns by NR · ir over its rows by MR → micro-kernel.
// The first pc block writes C, later ones add to it. Packing takes every transpose form into the same layout, so
// the micro-kernel never sees one; tiles cut by the edges of C are computed whole into a scratch tile (the packed
// operands are zero-padded) and only their valid part is written.

#include <string.h>
#include "own-gemm.h"

#ifndef OG_SHARED_HELPERS
#define OG_SHARED_HELPERS
// Splits `total` into equal blocks of at most `cap` (rounded up to `unit`): 1000 by 256 gives 4 blocks of 250
// (not 3 of 256 and one of 232), so that the last block is not a sliver.
static inline int64_t og_block_size(int64_t total, int64_t cap, int64_t unit) {
  const int64_t blocks = (total + cap - 1) / cap;
  const int64_t size = (total + blocks - 1) / blocks;
  return (size + unit - 1) / unit * unit;
}
static inline int64_t og_min(int64_t a, int64_t b) { return a < b ? a : b; }
// OpenMP where the compiler has it (the addon's build), one thread otherwise (the C check built without it)
#ifdef _OPENMP
#include <omp.h>
#else
static inline int omp_get_thread_num(void) { return 0; }
static inline int omp_get_num_threads(void) { return 1; }
#endif
// Thread t of nt's share of `count` units of `unit` elements each, clipped to `limit`: elements [*lo, *hi).
static inline void og_share(int64_t count, int64_t t, int64_t nt, int64_t unit, int64_t limit, int64_t *lo, int64_t *hi) {
  *lo = og_min(limit, count * t / nt * unit);
  *hi = og_min(limit, count * (t + 1) / nt * unit);
}
// Inside a parallel region: this thread's scratch slot, or NULL with *missing raised (the product is then done again
// on one thread).
static inline float *og_thread_scratch(int slot, int64_t floats, int *missing) {
  float *p = own_gemm_scratch(slot, floats);
  if (!p) {
#pragma omp atomic write
    *missing = 1;
  }
  return p;
}
#endif

// Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] into slivers of MR rows: sliver r holds, for each p, rows r·MR .. r·MR+MR−1
// (zero past mc). op(A)[i][p] is a[i·lda + p], or a[p·lda + i] when ta.
OG_ATTR static void OG_NAME(pack_a)(int ta, const float *restrict a, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                                    int64_t kc, float *restrict ap) {
  for (int64_t ir = 0; ir < mc; ir += OG_MR) {
    const int64_t mr = og_min(OG_MR, mc - ir);
    float *restrict dst = ap + ir * kc;
    if (ta) {
      for (int64_t p = 0; p < kc; p++) {
        const float *restrict src = a + (p0 + p) * lda + i0 + ir;
        float *restrict d = dst + p * OG_MR;
        if (mr == OG_MR) {
          for (int i = 0; i < OG_MR; i++) d[i] = src[i];
        } else {
          for (int i = 0; i < OG_MR; i++) d[i] = i < mr ? src[i] : 0.0f;
        }
      }
    } else if (mr == OG_MR) {
#ifdef OG_PACK_A_ROWS
      OG_NAME(pack_a_rows)(a + (i0 + ir) * lda + p0, lda, kc, dst);
#else
      const float *rows[OG_MR];
      for (int i = 0; i < OG_MR; i++) rows[i] = a + (i0 + ir + i) * lda + p0;
      for (int64_t p = 0; p < kc; p++) {
        for (int i = 0; i < OG_MR; i++) dst[p * OG_MR + i] = rows[i][p];
      }
#endif
    } else {
      for (int64_t p = 0; p < kc; p++) {
        for (int i = 0; i < OG_MR; i++) dst[p * OG_MR + i] = i < mr ? a[(i0 + ir + i) * lda + p0 + p] : 0.0f;
      }
    }
  }
}

// Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] into slivers of NR columns: sliver s holds, for each p, columns
// s·NR .. s·NR+NR−1 (zero past nc). op(B)[p][j] is b[p·ldb + j], or b[j·ldb + p] when tb.
OG_ATTR static void OG_NAME(pack_b)(int tb, const float *restrict b, int64_t ldb, int64_t p0, int64_t j0, int64_t nc,
                                    int64_t kc, float *restrict bp) {
  for (int64_t jr = 0; jr < nc; jr += OG_NR) {
    const int64_t nr = og_min(OG_NR, nc - jr);
    float *restrict dst = bp + jr * kc;
    if (!tb) {
      for (int64_t p = 0; p < kc; p++) {
        const float *restrict src = b + (p0 + p) * ldb + j0 + jr;
        float *restrict d = dst + p * OG_NR;
        if (nr == OG_NR) {
          for (int j = 0; j < OG_NR; j++) d[j] = src[j];
        } else {
          for (int j = 0; j < OG_NR; j++) d[j] = j < nr ? src[j] : 0.0f;
        }
      }
      continue;
    }
#ifdef OG_PACK_B_TRANS
    if (nr == OG_NR) {
      OG_NAME(pack_b_trans)(b + (j0 + jr) * ldb + p0, ldb, kc, dst);
      continue;
    }
#endif
    for (int j = 0; j < OG_NR; j++) {
      if (j < nr) {
        const float *restrict src = b + (j0 + jr + j) * ldb + p0;
        for (int64_t p = 0; p < kc; p++) dst[p * OG_NR + j] = src[p];
      } else {
        for (int64_t p = 0; p < kc; p++) dst[p * OG_NR + j] = 0.0f;
      }
    }
  }
}

// When an operand is read in place instead of packed. Packing A pays for itself when each packed sliver serves many
// slivers of B (n large), packing B when each serves many slivers of A (m large); in small products (the batched
// attention products: 128×128 by 64) the copies cost ~20 % of the time and the operands sit in L1/L2 anyway.
// Transposed B is always packed: its k steps are not rows of NR contiguous floats.
#ifndef OG_PACK_A_MIN_N
#define OG_PACK_A_MIN_N 512
#endif
#ifndef OG_PACK_B_MIN_M
#define OG_PACK_B_MIN_M 512
#endif
#ifndef OG_NARROW_TRANSPOSED
#define OG_NARROW_TRANSPOSED 1
#endif

// How a product is blocked, for every driver alike: which operands are packed, and the cache blocks (og_block_size).
#ifndef OG_PLAN_TYPE
#define OG_PLAN_TYPE
typedef struct {
  int pack_a, pack_b;
  int64_t kcb, mcb, ncb;
} og_plan;
#endif
static inline og_plan OG_NAME(plan)(int tb, int64_t m, int64_t n, int64_t k) {
  const og_plan p = {n >= OG_PACK_A_MIN_N, tb || m >= OG_PACK_B_MIN_M, og_block_size(k, OG_KC, 1),
                     og_block_size(m, OG_MC, OG_MR), og_block_size(n, OG_NC, OG_NR)};
  return p;
}
// A product at most half a micro-tile wide with rows for a few tiles: computed transposed (OG_NAME(sgemm))
static inline int OG_NAME(narrow)(int64_t m, int64_t n) { return OG_NARROW_TRANSPOSED && 2 * n <= OG_NR && m >= 2 * OG_NR; }

// The micro-tiles of rows ic .. ic + mc of C (A's block packed at ap, or read in place) by the slivers of B's block
// in columns [j0, j1) (multiples of NR from the block's first column jc; B's block packed at bp, or read in place, bp
// then holding an edge sliver), k from pc for kc. The first pc block writes C, later ones add to it.
OG_ATTR static void OG_NAME(block_tiles)(int ta, const float *a, int64_t lda, int pack_a, float *ap, const float *b,
                                         int64_t ldb, int pack_b, float *bp, int64_t ic, int64_t mc, int64_t jc,
                                         int64_t j0, int64_t j1, int64_t pc, int64_t kc, float *c, int64_t ldc) {
  const int accumulate = pc > 0;
  // A[i][p] read in place: element (i, p) of op(A) is at i·rsa + p·csa
  const int64_t rsa = ta ? 1 : lda, csa = ta ? lda : 1;
  _Alignas(64) float tile[OG_MR * OG_NR];
  // A read in place: its last sliver, when cut short by the block's edge, is packed (zero-padded) once for all the
  // slivers of B, not once per sliver (the inducer's 96 products of 5 × 64 by 64 × 128 had spent half their time so)
  const int64_t edge = mc % OG_MR ? mc - mc % OG_MR : mc;
  if (!pack_a && edge < mc) OG_NAME(pack_a)(ta, a, lda, ic + edge, pc, mc - edge, kc, ap);
  for (int64_t jr = j0; jr < j1; jr += OG_NR) {
    const int64_t nr = og_min(OG_NR, j1 - jr);
    const float *bs = bp + jr * kc;
    int64_t rsb = OG_NR;
    if (!pack_b && nr == OG_NR) {
      bs = b + pc * ldb + jc + jr;
      rsb = ldb;
    } else if (!pack_b) {
      OG_NAME(pack_b)(0, b, ldb, pc, jc + jr, nr, kc, bp);
      bs = bp;
    }
    for (int64_t ir = 0; ir < mc; ir += OG_MR) {
      const int64_t mr = og_min(OG_MR, mc - ir);
      float *cij = c + (ic + ir) * ldc + jc + jr;
      const int whole = mr == OG_MR && nr == OG_NR;
      float *out = whole ? cij : tile;
      const int64_t ldo = whole ? ldc : OG_NR;
      const int acc = whole && accumulate;
      if (pack_a && pack_b) {
        // both packed: constant strides, the fastest form of the kernel
        OG_NAME(kernel)(kc, ap + ir * kc, 1, OG_MR, bs, OG_NR, out, ldo, acc);
      } else if (pack_a || mr < OG_MR) {
        OG_NAME(kernel)(kc, pack_a ? ap + ir * kc : ap, 1, OG_MR, bs, rsb, out, ldo, acc);
      } else {
        OG_NAME(kernel)(kc, a + (ic + ir) * rsa + pc * csa, rsa, csa, bs, rsb, out, ldo, acc);
      }
      if (!whole) {
        for (int64_t i = 0; i < mr; i++)
          for (int64_t j = 0; j < nr; j++)
            cij[i * ldc + j] = accumulate ? cij[i * ldc + j] + tile[i * OG_NR + j] : tile[i * OG_NR + j];
      }
    }
  }
}

// Rows [i0, i1) of C's (jc, pc) block, A's blocks of mcb rows packed in turn into ap (or read in place), against all
// nc columns of B's block.
OG_ATTR static void OG_NAME(rows_of_block)(int ta, const float *a, int64_t lda, const float *b, int64_t ldb, int pack_a,
                                           int pack_b, float *ap, float *bp, int64_t i0, int64_t i1, int64_t mcb,
                                           int64_t jc, int64_t nc, int64_t pc, int64_t kc, float *c, int64_t ldc) {
  for (int64_t ic = i0; ic < i1; ic += mcb) {
    const int64_t mc = og_min(mcb, i1 - ic);
    if (pack_a) OG_NAME(pack_a)(ta, a, lda, ic, pc, mc, kc, ap);
    OG_NAME(block_tiles)(ta, a, lda, pack_a, ap, b, ldb, pack_b, bp, ic, mc, jc, 0, nc, pc, kc, c, ldc);
  }
}

// The naive product, for when there is no memory for a few MB of scratch: slowly but right.
static void OG_NAME(naive)(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                           const float *b, int64_t ldb, float *c, int64_t ldc) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      float s = 0.0f;
      for (int64_t p = 0; p < k; p++) s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
      c[i * ldc + j] = s;
    }
}

OG_ATTR static void OG_NAME(sgemm)(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                                   const float *b, int64_t ldb, float *c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
    return;
  }
  if (OG_NAME(narrow)(m, n)) {
    // A product at most half a micro-tile wide (the inducer's MLP ranks 5 and 12 against NR = 32 columns) leaves most
    // of each tile empty: computed transposed instead, Cᵀ = op(B)ᵀ·op(A)ᵀ [n × m], its n rows fill MR-row tiles, and
    // written back transposed (n·m floats): 1.5–3.0× on the inducer's products (scripts/bench/gemm-blocks.mjs).
    // Wider ones (LoRA's rank 24) lose more to the transposed packing than they gain. The inner product is m wide,
    // so it never comes back here.
    float *ct = own_gemm_scratch(2, n * m);
    if (ct) {
      OG_NAME(sgemm)(!tb, !ta, n, m, k, b, ldb, a, lda, ct, m);
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) c[i * ldc + j] = ct[j * m + i];
      return;
    }
  }
  const og_plan pl = OG_NAME(plan)(tb, m, n, k);
  const int pack_a = pl.pack_a, pack_b = pl.pack_b;
  const int64_t kcb = pl.kcb, mcb = pl.mcb, ncb = pl.ncb;
  // scratch: the packed blocks, or one edge sliver of each operand read in place
  float *ap = own_gemm_scratch(0, (pack_a ? mcb : OG_MR) * kcb);
  float *bp = own_gemm_scratch(1, (pack_b ? ncb : OG_NR) * kcb);
  if (!ap || !bp) {
    OG_NAME(naive)(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
    return;
  }
  for (int64_t jc = 0; jc < n; jc += ncb) {
    const int64_t nc = og_min(ncb, n - jc);
    for (int64_t pc = 0; pc < k; pc += kcb) {
      const int64_t kc = og_min(kcb, k - pc);
      if (pack_b) OG_NAME(pack_b)(tb, b, ldb, pc, jc, nc, kc, bp);
      OG_NAME(rows_of_block)(ta, a, lda, b, ldb, pack_a, pack_b, ap, bp, 0, m, mcb, jc, nc, pc, kc, c, ldc);
    }
  }
}

// Split by rows (m ≥ n): the threads share each packed block of B. They pack its slivers side by side, then each
// multiplies its own rows of A (its own packed blocks) by the whole block. One whole GEMM per block of rows instead
// packs all of B once per thread: on two threads 3–4 % of the time of x·W_proj [1024 × 3072]·[3072 × 768], and on T
// threads the packing grows T-fold while each thread's share of the work shrinks. −1 (nothing written) where B is
// read in place or there is no scratch.
OG_ATTR static int OG_NAME(threads_rows)(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                                        const float *b, int64_t ldb, float *c, int64_t ldc, int threads) {
  const og_plan pl = OG_NAME(plan)(tb, m, n, k);
  if (!pl.pack_b) return -1;
  const int pack_a = pl.pack_a;
  const int64_t kcb = pl.kcb, mcb = pl.mcb, ncb = pl.ncb;
  float *bp = own_gemm_scratch(1, ncb * kcb);  // the calling thread's: shared by all
  if (!bp) return -1;
  const int64_t tiles = (m + OG_MR - 1) / OG_MR;
  int missing = 0;  // a thread without scratch for its blocks of A
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t i0, i1;  // this thread's rows, whole micro-tiles
    og_share(tiles, t, nt, OG_MR, m, &i0, &i1);
    float *ap = og_thread_scratch(0, (pack_a ? mcb : OG_MR) * kcb, &missing);
    for (int64_t jc = 0; jc < n; jc += ncb) {
      const int64_t nc = og_min(ncb, n - jc);
      int64_t j0, j1;  // this thread's slivers of the block to pack
      og_share((nc + OG_NR - 1) / OG_NR, t, nt, OG_NR, nc, &j0, &j1);
      for (int64_t pc = 0; pc < k; pc += kcb) {
        const int64_t kc = og_min(kcb, k - pc);
        if (j1 > j0) OG_NAME(pack_b)(tb, b, ldb, pc, jc + j0, j1 - j0, kc, bp + j0 * kc);
#pragma omp barrier
        if (ap && i1 > i0) OG_NAME(rows_of_block)(ta, a, lda, b, ldb, pack_a, 1, ap, bp, i0, i1, mcb, jc, nc, pc, kc, c, ldc);
#pragma omp barrier
      }
    }
  }
  if (missing) OG_NAME(sgemm)(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);  // all of it again, on this thread
  return 0;
}

// Split by columns (m < n): each thread packs and multiplies its own slivers of each block of B, and the threads share
// each packed block of A, packing its row slivers side by side. One whole GEMM per block of columns packs all of A once
// per thread wherever a thread's columns fit fewer blocks of NC than a T-th of the whole (the LM head's dz·E
// [339 × 50,257]·[50,257 × 768]: 68 MB of A packed by each thread). −1 (nothing written) where that does not happen,
// where A is read in place, or there is no scratch.
OG_ATTR static int OG_NAME(threads_cols)(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                                        const float *b, int64_t ldb, float *c, int64_t ldc, int threads) {
  const og_plan pl = OG_NAME(plan)(tb, m, n, k);
  const int pack_a = pl.pack_a, pack_b = pl.pack_b;
  const int64_t kcb = pl.kcb, mcb = pl.mcb, ncb = pl.ncb;
  const int64_t share = (n + threads - 1) / threads, own_blocks = (share + OG_NC - 1) / OG_NC;
  if (!pack_a || own_blocks * threads <= (n + ncb - 1) / ncb) return -1;
  float *ap = own_gemm_scratch(0, mcb * kcb);  // the calling thread's: shared by all
  if (!ap) return -1;
  int missing = 0;  // a thread without scratch for its slivers of B
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    float *bp = og_thread_scratch(1, (pack_b ? ncb : OG_NR) * kcb, &missing);
    for (int64_t jc = 0; jc < n; jc += ncb) {
      const int64_t nc = og_min(ncb, n - jc);
      int64_t j0, j1;  // this thread's slivers of the block: columns [j0, j1)
      og_share((nc + OG_NR - 1) / OG_NR, t, nt, OG_NR, nc, &j0, &j1);
      for (int64_t pc = 0; pc < k; pc += kcb) {
        const int64_t kc = og_min(kcb, k - pc);
        if (bp && pack_b && j1 > j0) OG_NAME(pack_b)(tb, b, ldb, pc, jc + j0, j1 - j0, kc, bp + j0 * kc);
        for (int64_t ic = 0; ic < m; ic += mcb) {
          const int64_t mc = og_min(mcb, m - ic);
          int64_t r0, r1;  // this thread's row slivers of A's block
          og_share((mc + OG_MR - 1) / OG_MR, t, nt, OG_MR, mc, &r0, &r1);
          if (r1 > r0) OG_NAME(pack_a)(ta, a, lda, ic + r0, pc, r1 - r0, kc, ap + r0 * kc);
#pragma omp barrier
          if (bp && j1 > j0) OG_NAME(block_tiles)(ta, a, lda, 1, ap, b, ldb, pack_b, bp, ic, mc, jc, j0, j1, pc, kc, c, ldc);
#pragma omp barrier
        }
      }
    }
  }
  if (missing) OG_NAME(sgemm)(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);  // all of it again, on this thread
  return 0;
}

// C = op(A)·op(B) on `threads` threads with nothing packed twice: rows split with B's blocks shared (m ≥ n), columns
// split with A's blocks shared (m < n). −1, nothing written, where neither applies; the caller then runs one whole
// GEMM per block of rows or columns.
OG_ATTR static int OG_NAME(sgemm_threads)(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                                          const float *b, int64_t ldb, float *c, int64_t ldc, int threads) {
  if (m <= 0 || n <= 0 || k <= 0 || threads < 2 || OG_NAME(narrow)(m, n)) return -1;
  return m >= n ? OG_NAME(threads_rows)(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, threads)
                : OG_NAME(threads_cols)(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, threads);
}
