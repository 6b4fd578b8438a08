/**
 * Gradients whose backward pass frees as it goes. tfjs-core's `engine.gradients` keeps every intermediate gradient
 * (each activation's dy) and every tensor the tape saved until the whole backward pass ends: on a GPT-2 small step
 * (B 8 × T 128, wasm) that is 1.3 GB above the 0.7 GB the tape holds when the backward starts — the wasm heap, which
 * never shrinks, grows to hold it all. Here a node's output gradients and its saved tensors are disposed as soon as
 * its gradient has run (nothing later reads them: the tape runs backward, and every consumer of an output comes after
 * it), so the peak is the tape plus about one block's gradients. Same values and gradients as `tf.variableGrads`.
 *
 * It drives tfjs-core 4.22's engine internals (the tape, `scopedRun`, `startTape`/`endTape`), as gradient
 * checkpointing does; the tape filtering is tfjs-core's `getFilteredNodesXToY`, ported. Guarded by its tests.
 */
import * as tf from '@tensorflow/tfjs-core';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  registeredVariables: Record<string, tf.Variable>;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

const engineInternals = () => tf.engine() as unknown as EngineInternals;

/** The nodes on a path from some x to y, inputs pruned to those that depend on an x (tfjs-core's getFilteredNodesXToY). */
function nodesFromXToY(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    for (const name in node.inputs) {
      if (fromX.has(node.inputs[name]!.id)) {
        for (const o of node.outputs) fromX.add(o.id);
        nodesFromX.add(node.id);
        break;
      }
    }
  }
  const toY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => toY.has(o.id))) {
      for (const name in node.inputs) {
        toY.add(node.inputs[name]!.id);
        nodesToY.add(node.id);
      }
    }
  }
  const filtered: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const name in node.inputs) if (fromX.has(node.inputs[name]!.id)) inputs[name] = node.inputs[name]!;
    filtered.push({ ...node, inputs, outputs: node.outputs });
  }
  return filtered;
}

/**
 * `engine.gradients(f, xs, dy, allowNoGradients)` with a backward pass that frees each node's output gradients and
 * saved tensors once its gradient has run. At gradient depth 0 only (a higher-order gradient needs the tape whole:
 * then it frees nothing early, as tfjs does).
 */
export function leanGradients(
  f: () => tf.Tensor,
  xs: readonly tf.Tensor[],
  dy: tf.Tensor | null = null,
  allowNoGradients = false,
): { value: tf.Tensor; grads: (tf.Tensor | undefined)[] } {
  const engine = engineInternals();
  if (xs.length === 0) throw new Error('leanGradients() received an empty list of xs');
  if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
  const tape = engine.state.activeTape!;
  const filtered = nodesFromXToY(tape, xs, y);
  if (!allowNoGradients && filtered.length === 0) {
    throw new Error('Cannot compute gradient of y=f(x) with respect to x: f encloses no operation from x to y.');
  }
  const topLevel = engine.state.gradientDepth === 0;
  return engine.tidy('backward', () => {
    const grad = new Map<number, tf.Tensor>([[y.id, dy ?? tf.ones(y.shape) /* as tfjs's engine: a constant, not an op on y */]]);
    const held = new Set<tf.Tensor>(grad.values()); // the tensors the map holds (a gradient may pass one through)
    const wanted = new Set(xs.map((x) => x.id));
    for (let i = filtered.length - 1; i >= 0; i--) {
      const node = filtered[i]!;
      const dys = node.outputs.map((o) => grad.get(o.id) ?? null);
      if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const inputGradients = node.gradient(dys);
      for (const name in node.inputs) {
        if (!(name in inputGradients)) throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`);
        let dx = engine.tidy(name, () => inputGradients[name]!());
        if (dx.dtype !== 'float32') throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
        const x = node.inputs[name]!;
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
        }
        if (held.has(dx)) dx = tf.clone(dx); // one tensor, two owners: each frees its own
        const current = grad.get(x.id);
        if (current === undefined) {
          grad.set(x.id, dx);
          held.add(dx);
        } else {
          const sum = tf.add(current, dx);
          held.delete(current);
          current.dispose();
          dx.dispose();
          grad.set(x.id, sum);
          held.add(sum);
        }
      }
      if (!topLevel) continue;
      // nothing before this node reads its outputs' gradients or what it saved
      for (const o of node.outputs) {
        const g = grad.get(o.id);
        if (g === undefined || g === dy || wanted.has(o.id)) continue; // the caller's dy is the caller's
        grad.delete(o.id);
        held.delete(g);
        g.dispose();
      }
      for (const t of node.saved ?? []) t.dispose();
      if (node.saved) node.saved.length = 0;
    }
    const grads = xs.map((x) => grad.get(x.id));
    if (topLevel) {
      for (const node of tape) for (const t of node.saved ?? []) t.dispose();
      engine.state.activeTape = null;
    }
    return { value: y, grads } as unknown as tf.TensorContainer;
  }) as unknown as { value: tf.Tensor; grads: (tf.Tensor | undefined)[] };
}

/**
 * `tf.variableGrads(f, varList)` over {@link leanGradients}: the loss and a gradient per trainable variable that the
 * loss reaches, by name; the backward pass frees each activation's gradient and saved tensors as it goes.
 */
export function leanVariableGrads(f: () => tf.Scalar, varList?: readonly tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const all = varList ?? Object.values(engineInternals().registeredVariables);
  const vars = all.filter((v) => v.trainable);
  if (vars.length === 0) throw new Error(`leanVariableGrads() expects at least one of the input variables to be trainable, but none of the ${all.length} variables is trainable.`);
  const { value, grads } = leanGradients(f, vars, null, true);
  if (!grads.some((g) => g != null)) {
    throw new Error('Cannot find a connection between any variable and the result of the loss function y=f(x).');
  }
  if (value.rank !== 0) throw new Error(`The f passed in leanVariableGrads(f) must return a scalar, but it returned a rank-${value.rank} tensor`);
  const named: tf.NamedTensorMap = {};
  vars.forEach((v, i) => {
    if (grads[i] != null) named[v.name] = grads[i]!;
  });
  return { value: value as tf.Scalar, grads: named };
}
