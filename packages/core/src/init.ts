import { ConfigError } from './errors.js';
import { Rng } from './rng.js';

/**
 * Initialisers: each returns the float32 values of a tensor of the given shape, row-major. They draw in float64 from
 * a seeded {@link Rng} and round once, so a parameter is the same on every backend.
 */
export type Initializer = (shape: readonly number[], rng: Rng) => Float32Array;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ConfigError('shape', `invalid dimension ${d} in [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export const zeros: Initializer = (shape) => new Float32Array(sizeOf(shape));

export function constant(value: number): Initializer {
  return (shape) => new Float32Array(sizeOf(shape)).fill(value);
}
export const ones: Initializer = constant(1);

/** N(0, std²). */
export function normal(std: number): Initializer {
  return (shape, rng) => {
    const out = new Float32Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = rng.normal() * std;
    return out;
  };
}

/** U(low, high). */
export function uniform(low: number, high: number): Initializer {
  return (shape, rng) => {
    const out = new Float32Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * rng.uniform();
    return out;
  };
}

/**
 * The reference's "truncated" normal: `torch.fmod(torch.randn(shape), 2) * std`. fmod *wraps* a draw beyond ±2 back
 * into (−2, 2) (2.5 → 0.5, −3.1 → −1.1); it does not resample. Written as x − 2·trunc(x/2).
 */
export function wrappedNormal(std: number): Initializer {
  return (shape, rng) => {
    const out = new Float32Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) {
      const x = rng.normal();
      out[i] = (x - 2 * Math.trunc(x / 2)) * std;
    }
    return out;
  };
}

/**
 * PyTorch's `kaiming_uniform_(w, a)` with fan_in mode and leaky_relu gain: U(±gain·√(3/fanIn)), gain = √(2/(1+a²)).
 * With the default a = √5 (nn.Linear, loralib) the bound is exactly 1/√fanIn.
 */
export function kaimingUniform(fanIn: number, a: number = Math.sqrt(5)): Initializer {
  if (!(fanIn > 0)) throw new ConfigError('fanIn', `must be positive, got ${fanIn}`);
  const gain = Math.sqrt(2 / (1 + a * a));
  const bound = gain * Math.sqrt(3 / fanIn);
  return uniform(-bound, bound);
}

/**
 * The closed-form rule of the spec's golden vectors (§10): value[i] = float32(s · sin(0.7·i + 1.1·t + 0.3)) over the
 * row-major flat index i. Deterministic without any RNG; used to reproduce the authors' numbers exactly.
 */
export function sinusoidal(t: number, s: number): Initializer {
  return (shape) => {
    const out = new Float32Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = s * Math.sin(0.7 * i + 1.1 * t + 0.3);
    return out;
  };
}
