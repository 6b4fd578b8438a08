// Preloaded (`node --require exit-with-parent.cjs …`) into every `peft train` a sweep worker starts: the child kills
// itself when its parent is gone. A worker killed with SIGKILL cannot stop its child, and an orphaned child would go
// on writing the run folder that another worker is about to resume. Node has no PR_SET_PDEATHSIG; the check runs on
// a worker thread because the training loop keeps the main thread busy for whole steps.
import { Worker } from 'node:worker_threads';

const WATCH = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.parent) process.kill(workerData.pid, 'SIGKILL');
}, workerData.everyMs);
`;

const watcher = new Worker(WATCH, { eval: true, workerData: { parent: process.ppid, pid: process.pid, everyMs: 200 } });
watcher.unref();
