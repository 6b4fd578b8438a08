// @peft/sweep: the paper's grid of `peft train` runs on a BullMQ queue, and its tables. One job per file.
export * from './errors.js';
export * from './train-flags.js';
export * from './paper-defaults.js';
export * from './sweep-file.js';
export * from './plan.js';
export * from './queue.js';
export * from './run-log.js';
export * from './run-job.js';
export * from './worker.js';
export * from './status.js';
export * from './collect.js';
export * from './statistics.js';
export * from './report-columns.js';
export * from './parameter-counts.js';
export * from './report.js';
export * from './chart-spec.js';
export { registerSweepCommands } from './commands.js';
export { exitWithParentPath } from './exit-with-parent-path.js';
