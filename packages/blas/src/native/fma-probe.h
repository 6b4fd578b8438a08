// The machine's fused multiply-add throughput on one instruction set (fma-probe.c).
#ifndef PEFT_BLAS_FMA_PROBE_H
#define PEFT_BLAS_FMA_PROBE_H
#include <stdint.h>

// GFLOP/s of one thread on `isa` ("avx512", "avx2", "neon", "baseline"): the best of three register-only FMA runs of
// about min_seconds / 3 each. −1 when this build or CPU has no such path.
double fma_probe(const char *isa, double min_seconds);

#endif
