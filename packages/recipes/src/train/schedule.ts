/** A learning rate as a function of the 0-based optimizer step k, given the run's total number of steps. */
export type LrSchedule = (k: number) => number;

/**
 * The NLG schedule of spec §6.1 (ignite `PiecewiseLinear [(0, lr), (T, 0)]` wrapped by
 * `create_lr_scheduler_with_warmup(start 0, end lr, warmup_duration=W)`): lr·k/(W−1) for k = 0..W−2 (the first step has lr
 * 0), then lr·(1 − (k−(W−1))/T). With W = 500 that is lr·k/499, then lr·(1 − (k−499)/T).
 */
export function ignitePiecewiseWithWarmup(lr: number, totalSteps: number, warmup = 500): LrSchedule {
  const ramp = warmup - 1;
  return (k) => {
    if (ramp > 0 && k < ramp) return (lr * k) / ramp;
    return lr * (1 - (k - ramp) / totalSteps);
  };
}

/** ceil(0.06·total): the NLU warm-up length (spec §6.2). */
export function nluWarmupSteps(totalSteps: number, ratio = 0.06): number {
  return Math.ceil(ratio * totalSteps);
}

/**
 * Hugging Face `get_polynomial_decay_schedule_with_warmup` (spec §6.2: power 1, lr_end 1e-7): linear warm-up
 * lr·k/W for k < W, then lr_end + (lr − lr_end)·(1 − (k−W)/(T−W))^power, and lr_end after T.
 */
export function polynomialWithWarmup(lr: number, totalSteps: number, warmup: number, power = 1, lrEnd = 1e-7): LrSchedule {
  return (k) => {
    if (k < warmup) return (lr * k) / Math.max(1, warmup);
    if (k > totalSteps) return lrEnd;
    const decaySteps = totalSteps - warmup;
    const remaining = decaySteps > 0 ? 1 - (k - warmup) / decaySteps : 0;
    return (lr - lrEnd) * remaining ** power + lrEnd;
  };
}

export function constantSchedule(lr: number): LrSchedule {
  return () => lr;
}
