// Alea drawn on ALEA_LANES independent lanes at once (alea-lanes.c): the dropout masks' sub-runs (random.c) and the
// tiled attention's query rows (attention-tiled.h), each lane its own generator state in integer form (alea.h).
#ifndef PEFT_BLAS_ALEA_LANES_H
#define PEFT_BLAS_ALEA_LANES_H
#include <stdint.h>
#include "alea.h"

#define ALEA_LANES 8

// Advances the 8 lanes `steps` steps (a multiple of 8), lane j writing floor(u + k)·s (float32, u its value rounded
// to float) at out[j·stride + i] for i < steps: bit for bit what alea_next one value at a time gives.
typedef void (*alea_mask_lanes_fn)(alea_lane *lanes, float *out, int64_t stride, int64_t steps, float k, float s);

// the lanes on the vector path in use (use_avx512, use_avx2, else the baseline)
alea_mask_lanes_fn alea_mask_lanes(void);

#endif
