// The C allocator's policy for the cpu backend, whose every op allocates its output as a new JavaScript typed array
// (calloc underneath). glibc serves blocks above a dynamic threshold with mmap and returns freed heap tops to the
// kernel, so the next op's output faults every page in again — measured at several times the cost of the arithmetic
// on a [1024, 768] tensor. Keeping blocks below 32 MiB (glibc's ceiling) on the heap and up to `trim` bytes of free
// heap top reuses warm pages instead.
#include "common.h"
#ifdef __GLIBC__
#include <malloc.h>
#endif

// configureAllocator(trimBytes): mmap threshold 32 MiB (fixed), trim threshold trimBytes. Returns whether glibc took it.
napi_value configure_allocator(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv, "configureAllocator")) return NULL;
  int64_t trim = get_i64(env, argv[0]);
  if (trim < 0) trim = 0;
  int ok = 0;
#ifdef __GLIBC__
  ok = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) && mallopt(M_TRIM_THRESHOLD, (int)(trim > 0x7fffffff ? 0x7fffffff : trim));
#endif
  napi_value r;
  CHECK(napi_get_boolean(env, ok, &r));
  return r;
}
