// The tiled attention's dropout draws (attention-tiled.h's draw_block) on a tile of 32 query rows × 64 keys, every
// row full: the loop before the lanes (4 rows' generators side by side in doubles, kept here as the reference) against
// Alea's lanes (alea-lanes.c: 8 rows at once) on each x86-64 path, ns per draw (best of 5 rounds) and whether both
// drew the same bits. No Node needed:
//   cc -O3 -std=gnu11 -fno-math-errno -fno-trapping-math -I/usr/include/node -Isrc/native \
//      bench/attention-dropout-draws.c src/native/alea-lanes.c -o /tmp/draws -lm && /tmp/draws
// (run from packages/blas; -I names the directory holding node_api.h where it is elsewhere). The CPU must have the
// paths it times (AVX-512F and AVX2+FMA).
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include "common.h"
#include "alea-lanes.h"
// the globals addon.c defines, which alea_mask_lanes reads
int max_threads = 1, use_avx2 = 1, use_avx512 = 1, use_neon = 0;
#define BC 64
// the loop before the lanes, compiled as the addon compiled attention-tiled.h for each path: with AVX2+FMA (its
// AVX2 and AVX-512 paths) and for the baseline
#define OLD_BLOCK(name, attr) attr static void name(alea_state *rng, int64_t R, float k, float s, float *out) { \
  for (int64_t r = 0; r + 3 < R; r += 4) { \
    alea_state a0 = rng[r], a1 = rng[r + 1], a2 = rng[r + 2], a3 = rng[r + 3]; \
    float *o0 = out + r * BC, *o1 = o0 + BC, *o2 = o1 + BC, *o3 = o2 + BC; \
    for (int64_t c = 0; c < BC; c++) { \
      o0[c] = floorf((float)alea_next(&a0) + k) * s; o1[c] = floorf((float)alea_next(&a1) + k) * s; \
      o2[c] = floorf((float)alea_next(&a2) + k) * s; o3[c] = floorf((float)alea_next(&a3) + k) * s; \
    } \
    rng[r] = a0, rng[r + 1] = a1, rng[r + 2] = a2, rng[r + 3] = a3; \
  } \
}
OLD_BLOCK(old_block_avx2, AVX2_FMA)
OLD_BLOCK(old_block_base, )
static double now(void){struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec+t.tv_nsec*1e-9;}
int main(void){
  static float o1[32*BC], o2[32*BC]; alea_state st[32]; alea_lane ln[32];
  alea_state a; alea_seed(&a,"9",1); for(int r=0;r<32;r++){ st[r]=a; ln[r]=alea_lane_of(&a); for(int q=0;q<1000;q++) alea_next(&a);} 
  const int tiles=20000; int same=1;
  for (int isa=0; isa<3; isa++){ use_avx512 = isa==0; use_avx2 = isa<=1; alea_mask_lanes_fn f = alea_mask_lanes();
    alea_state s1[32]; alea_lane l2[32]; memcpy(s1,st,sizeof st); memcpy(l2,ln,sizeof ln);
    double bo=1e9, bn=1e9;
    for(int rep=0;rep<5;rep++){ double t0=now(); for(int t=0;t<tiles/5;t++) (isa < 2 ? old_block_avx2 : old_block_base)(s1,32,0.9f,1.1111112f,o1); double t1=now(); for(int t=0;t<tiles/5;t++) for(int r=0;r<32;r+=8) f(l2+r,o2+r*BC,BC,BC,0.9f,1.1111112f); double t2=now();
      same &= memcmp(o1,o2,sizeof o1)==0; bo = fmin(bo,(t1-t0)/(tiles/5*32.0*BC)*1e9); bn=fmin(bn,(t2-t1)/(tiles/5*32.0*BC)*1e9);}
    printf("%s: old 4 rows in doubles %.2f ns/draw, lanes %.2f ns/draw (%.1fx) same=%d\n", isa==0?"avx512":isa==1?"avx2":"baseline", bo, bn, bo/bn, same);
  }
}
