// Strided copies: Tile, SplitV and the like as one N-d copy of 4-byte elements.
#include <string.h>
#include "common.h"

#define MAX_COPY_RANK 16

static void copy_dims(const uint32_t *src, uint32_t *dst, int d, int rank, const int64_t *shape, const int64_t *ss,
                      const int64_t *ds) {
  if (d == rank - 1) {
    const int64_t n = shape[d];
    if (ss[d] == 1 && ds[d] == 1) {
      memcpy(dst, src, (size_t)n * 4);
    } else if (ss[d] == 0) {
      const uint32_t v = *src;
      for (int64_t i = 0; i < n; i++) dst[i * ds[d]] = v;
    } else {
      for (int64_t i = 0; i < n; i++) dst[i * ds[d]] = src[i * ss[d]];
    }
    return;
  }
  for (int64_t i = 0; i < shape[d]; i++) copy_dims(src + i * ss[d], dst + i * ds[d], d + 1, rank, shape, ss, ds);
}

// stridedCopy(src, srcOffset, dst, dstOffset, shape, srcStrides, dstStrides): dst[Σ i_d·ds_d] = src[Σ i_d·ss_d] over
// the index box `shape` (plain arrays of numbers, in elements; a source stride of 0 repeats). 4-byte elements; the
// views are Float32Arrays whatever the tensor's 4-byte dtype.
napi_value strided_copy(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!get_args(env, info, 7, argv, "stridedCopy")) return NULL;
  size_t ls, ld;
  float *src = f32_view(env, argv[0], &ls);
  if (!src) return NULL;
  float *dst = f32_view(env, argv[2], &ld);
  if (!dst) return NULL;
  const int64_t so = get_i64(env, argv[1]), dof = get_i64(env, argv[3]);
  uint32_t rank = 0;
  CHECK(napi_get_array_length(env, argv[4], &rank));
  if (rank < 1 || rank > MAX_COPY_RANK) {
    napi_throw_range_error(env, NULL, "peft_blas: stridedCopy rank must be 1..16");
    return NULL;
  }
  int64_t shape[MAX_COPY_RANK], ss[MAX_COPY_RANK], ds[MAX_COPY_RANK];
  int64_t slast = so, dlast = dof;
  int empty = 0;
  for (uint32_t d = 0; d < rank; d++) {
    napi_value v;
    CHECK(napi_get_element(env, argv[4], d, &v));
    shape[d] = get_i64(env, v);
    CHECK(napi_get_element(env, argv[5], d, &v));
    ss[d] = get_i64(env, v);
    CHECK(napi_get_element(env, argv[6], d, &v));
    ds[d] = get_i64(env, v);
    if (shape[d] < 0 || ss[d] < 0 || ds[d] < 0) {
      napi_throw_range_error(env, NULL, "peft_blas: stridedCopy sizes and strides must be non-negative");
      return NULL;
    }
    if (shape[d] == 0) empty = 1;
    else {
      slast += (shape[d] - 1) * ss[d];
      dlast += (shape[d] - 1) * ds[d];
    }
  }
  if (empty) return NULL;
  if (so < 0 || dof < 0 || (uint64_t)slast >= ls || (uint64_t)dlast >= ld) {
    napi_throw_range_error(env, NULL, "peft_blas: stridedCopy out of the bounds of its Float32Array");
    return NULL;
  }
  copy_dims((const uint32_t *)(src + so), (uint32_t *)(dst + dof), 0, (int)rank, shape, ss, ds);
  return NULL;
}
