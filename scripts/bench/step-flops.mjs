// The matrix-multiply FLOPs of one @peft training step, counted exactly from the shapes (2·m·n·k per product):
// GPT-2 (L blocks, width d, H heads, FFN 4d, vocabulary V) at batch B × T with the NLG inducer + LoRA preset (LoRA on
// W_q of rank r_l, inducer key MLP rank r_k, extended value MLP rank r_v), the tied LM head over the B·(T − 1) shifted
// rows, the backward pass (input gradients of the frozen products, input and weight gradients of the method's), and
// the forward pass of every rematerialised block once more.
// The bench checks this against the products the step actually runs (scripts/bench/matmul-count.mjs).

/** FLOPs of one block's forward products. */
function blockForward({ N, T, d, H, rl, rk, rv }) {
  const parts = {
    qkv: 2 * N * d * 3 * d,
    lora: 2 * N * d * rl * 2,
    inducerKey: 2 * N * d * rk * 2,
    attention: 2 * N * T * d * 2, // Q·Kᵀ and P·V over the B·H heads
    out: 2 * N * d * d,
    inducerValue: 2 * N * d * rv + 2 * N * H * rv * d,
    ffn: 2 * N * d * 4 * d * 2,
  };
  return { parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
}

/**
 * One block's backward products. Frozen products need only their input's gradient (one product each); the method's
 * products need both operands' (two); attention's four products (dV, dP, dQ, dK) are the fused custom gradient's
 * (computed whether or not K and V need them).
 * `inputGradient`: whether the block's input needs a gradient — not for block 0 on a plain tape (nothing trainable
 * lies before it), always for a rematerialised block (its backward differentiates with respect to its input).
 */
function blockBackward(shape, inputGradient) {
  const f = blockForward(shape).parts;
  const parts = {
    qkv: inputGradient ? f.qkv : 0,
    // both operands' gradients always, block 0's too: LoRA's A product is @peft/core's droppedMatMulT, whose custom
    // gradient returns dx with dA (2·N·d·r_l that block 0 discards; tfjs's own MatMul would skip it)
    lora: 2 * f.lora,
    inducerKey: 2 * f.inducerKey,
    attention: 2 * f.attention,
    out: f.out,
    inducerValue: 2 * f.inducerValue,
    ffn: f.ffn,
  };
  return { parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
}

/**
 * The step's products: { forward, backward, remat, total } in FLOPs (and `head`, the LM head's share of forward +
 * backward). Defaults: GPT-2 small, B 8 × T 128, the NLG inducer + LoRA preset (r_l 24, r_k 5, r_v 12), no
 * rematerialisation.
 */
export function stepFlops({ layers = 12, d = 768, heads = 12, vocab = 50257, batch = 8, seq = 128, remat = 0, rl = 24, rk = 5, rv = 12 } = {}) {
  const shape = { N: batch * seq, T: seq, d, H: heads, rl, rk, rv };
  const fwdBlock = blockForward(shape).total;
  const headRows = batch * (seq - 1);
  const headForward = 2 * headRows * d * vocab;
  const headBackward = 2 * headRows * vocab * d;
  const forward = layers * fwdBlock + headForward;
  let backward = headBackward;
  for (let l = 0; l < layers; l++) backward += blockBackward(shape, l > 0 || l < remat).total;
  const rematFlops = Math.min(remat, layers) * fwdBlock;
  return { forward, backward, remat: rematFlops, total: forward + backward + rematFlops, head: headForward + headBackward, perBlockForward: fwdBlock };
}
