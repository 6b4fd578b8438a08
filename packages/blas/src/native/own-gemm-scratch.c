// Per-thread scratch for the own GEMM's packed operands: allocated on first use, grown when a product needs more,
// kept for the thread's life (the OpenMP pool's threads and Node's main thread live as long as the process).
#include <stdlib.h>
#include "own-gemm.h"

#define SLOTS 3
static _Thread_local float *buffers[SLOTS];
static _Thread_local int64_t sizes[SLOTS];

float *own_gemm_scratch(int slot, int64_t floats) {
  if (slot < 0 || slot >= SLOTS) return NULL;
  if (floats <= sizes[slot]) return buffers[slot];
  free(buffers[slot]);
  const size_t bytes = ((size_t)floats * sizeof(float) + 63) & ~(size_t)63;
  buffers[slot] = aligned_alloc(64, bytes);
  sizes[slot] = buffers[slot] ? floats : 0;
  return buffers[slot];
}
