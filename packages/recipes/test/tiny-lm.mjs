// A tiny pure-tfjs causal LM for the training-loop tests (no @peft model needed): logits = dropout(E[ids]) · W.
// Written against injected `tf` and `recipes` modules so that the in-process tests (sources) and the kill -9 child
// process (built dist) run the very same model.

/** Deterministic toy data: sequences of ids where each token predicts the next by a fixed rule. */
export function toyExamples(n, vocab, length, seed = 1) {
  const out = [];
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) {
    const len = 3 + Math.floor(rnd() * (length - 3));
    const ids = [Math.floor(rnd() * vocab)];
    for (let t = 1; t < len; t++) ids.push((ids[t - 1] * 3 + 1) % vocab);
    out.push({ inputIds: ids, tokenTypeIds: ids.map(() => 0), labels: ids.map((x, t) => (t === 0 ? -100 : x)) });
  }
  return out;
}

export function makeTinyLm(tf, vocab = 11, dim = 6, dropout = 0.1) {
  const init = (shape, k) => tf.tensor(Array.from({ length: shape[0] * shape[1] }, (_, i) => 0.3 * Math.sin(0.7 * i + 1.1 * k + 0.3)), shape);
  const E = tf.variable(init([vocab, dim], 1), true, `tiny.E#${Math.random()}`);
  const W = tf.variable(init([dim, vocab], 2), true, `tiny.W#${Math.random()}`);
  const b = tf.variable(tf.zeros([vocab]), true, `tiny.b#${Math.random()}`);
  const logits = (batch, ctx) =>
    tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputIds, [batch.batchSize, batch.length], 'int32');
      const h = ctx.dropout(tf.gather(E, ids), dropout); // [B, n, d]
      const flat = tf.reshape(h, [batch.batchSize * batch.length, dim]);
      return tf.reshape(tf.add(tf.matMul(flat, W), b), [batch.batchSize, batch.length, vocab]);
    });
  return {
    parameters: [['embed.weight', E], ['head.weight', W], ['head.bias', b]],
    logits,
    dispose: () => tf.dispose([E, W, b]),
  };
}

/** The loop's Trainable for the tiny LM with the recipes' shifted loss. */
export function tinyTrainable(tf, recipes, model, labelSmoothing = 0.1) {
  return {
    parameters: model.parameters,
    loss: (batch, ctx) =>
      tf.tidy(() => {
        const lg = model.logits(batch, ctx);
        const labels = tf.tensor2d(batch.labels, [batch.batchSize, batch.length], 'int32');
        return recipes.shiftedLmLoss(lg, labels, labelSmoothing);
      }),
  };
}
