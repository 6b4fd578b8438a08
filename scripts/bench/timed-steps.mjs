// The timed training loop the step benchmarks share (llama-step.mjs, roberta-step.mjs): per step a training context,
// the loss's gradients (@peft/core's leanVariableGrads, as `peft train` runs, or tfjs's variableGrads), clipping at
// 1.0 and one AdamW update; wall and CPU seconds per step.
import * as tf from '@tensorflow/tfjs-core';
import { leanVariableGrads, trainingContext } from '@peft/core';
import { clipByGlobalNorm, tensorsFinite } from '@peft/recipes';

/**
 * Runs `steps` steps of `loss(ctx)` over `vars` with `opt` at `lr`; `grads: 'tfjs'` takes tfjs's own backward;
 * `checkFinite` refuses a step that leaves a weight NaN or infinite. → { times, cpu, loss, median } (seconds; the
 * median leaves out the first, warm-up, step).
 */
export async function timedSteps({ steps, vars, opt, lr, loss, grads = 'lean', checkFinite = false }) {
  const times = [];
  const cpu = [];
  let last = NaN;
  for (let step = 0; step < steps; step++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const ctx = trainingContext(0, step);
    const { value, grads: g } = (grads === 'tfjs' ? tf.variableGrads : leanVariableGrads)(() => loss(ctx), vars);
    last = (await value.data())[0];
    const clipped = await clipByGlobalNorm(vars.map((v) => g[v.name]), 1.0);
    opt.apply(clipped.grads, lr);
    tf.dispose(clipped.grads);
    if (checkFinite && !(await tensorsFinite(vars))) throw new Error(`step ${step}: a weight is not finite after the update`);
    tf.dispose([value, ...Object.values(g)]);
    times.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  const steady = (times.length > 1 ? times.slice(1) : times).sort((a, b) => a - b);
  return { times, cpu, loss: last, median: steady[Math.floor(steady.length / 2)] };
}
