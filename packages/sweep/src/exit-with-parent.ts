// Preloaded (`node --require exit-with-parent.cjs …`) into every `peft train` a sweep worker starts: the child kills
// itself when its parent is gone. A worker killed with SIGKILL cannot stop its child, and an orphaned child would go
// on writing the run folder that another worker is about to resume. Node has no PR_SET_PDEATHSIG; the check runs on
// a worker thread because the training loop keeps the main thread busy for whole steps, every 20 ms so that an orphan
// does not get to write one more checkpoint (a tiny model's step takes a few ms).
//
// A worker thread inherits the process's execArgv, `--require` included, by default: the watcher would load this file
// again and start a watcher of its own, and so on without end (a thread storm: 1,000 threads and 6.8 GB in two
// minutes). So the watcher gets no execArgv, and the file does nothing off the main thread in any case (a thread that
// the training starts itself, e.g. a WASM pool, inherits the `--require` too).
import { Worker, isMainThread } from 'node:worker_threads';

const WATCH = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.parent) process.kill(workerData.pid, 'SIGKILL');
}, workerData.everyMs);
`;

if (isMainThread) {
  const watcher = new Worker(WATCH, {
    eval: true,
    execArgv: [],
    workerData: { parent: process.ppid, pid: process.pid, everyMs: 20 },
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
  });
  watcher.unref();
}
