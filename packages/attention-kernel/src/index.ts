export type { KernelAttentionInput, KernelAttentionOutput, ExplicitKernelAttentionOutput } from './types.js';
export { kernelAttention, broadcastShared } from './kernel-attention.js';
export { explicitKernelAttention } from './explicit.js';
export { attentionScores, sharedScores, perQueryLogits, causalKeep, maskScores } from './scores.js';
export { splitHeads, mergeHeads } from './heads.js';
export { repeatKeyValueHeads } from './grouped-heads.js';
export { logSumExpLast } from './logsumexp.js';
export { tiledAttention, hasTiledAttention } from './tiled-attention.js';
export type { TiledAttentionOptions, TiledAttentionOutput } from './tiled-attention.js';
