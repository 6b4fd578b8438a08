/**
 * What a piece of work sends to the GPU, counted on a WebGPU device: compute dispatches, command-buffer submissions,
 * pipelines and shader modules created, buffers created, data uploaded (buffers mapped at creation, as tfjs uploads a
 * tensor, and queue.writeBuffer, as it writes each dispatch's uniforms), readbacks (buffers mapped for reading, as
 * tfjs reads a tensor back) and buffer-to-buffer copies, with their bytes. The count depends only on the program and
 * the backend, not the adapter: a software adapter (llvmpipe) gives the same figures as a GPU.
 *
 * Opt-in and local: {@link countGpuWork} wraps the methods of ONE device (and of the queue, encoders and passes it
 * makes) as own properties; `stop()` puts the device's and queue's back. Work recorded on an encoder or pass made
 * before counting began is not seen, so start between steps (after a readback, which submits tfjs's pending work).
 */

/** Counts of GPU work; bytes are the sizes passed to the WebGPU calls. */
export interface GpuWorkCounts {
  /** dispatchWorkgroups (and …Indirect) calls: one kernel launch each. */
  dispatches: number;
  /** queue.submit calls, and the command buffers they carried. */
  submits: number;
  commandBuffers: number;
  /** createComputePipeline + createComputePipelineAsync calls (tfjs caches its pipelines: none after a warm-up). */
  pipelines: number;
  shaderModules: number;
  buffersCreated: number;
  bufferBytesCreated: number;
  /** Buffers created mapped (tfjs's tensor uploads and their staging buffers) and their bytes. */
  mappedUploads: number;
  mappedUploadBytes: number;
  /** queue.writeBuffer calls (tfjs: each dispatch's uniforms) and their bytes. */
  writeBuffers: number;
  writeBufferBytes: number;
  /** mapAsync(READ) calls: a readback each, the CPU waiting on the GPU. */
  readbacks: number;
  readbackBytes: number;
  /** copyBufferToBuffer calls and bytes. */
  copies: number;
  copyBytes: number;
}

/** A running count on one device. */
export interface GpuWorkCounter {
  /** The counts so far (a copy). */
  read(): GpuWorkCounts;
  /** The counts since `since` (a value `read()` returned). */
  since(since: GpuWorkCounts): GpuWorkCounts;
  /** Stops counting on the device and its queue (encoders made meanwhile keep counting into a detached record). */
  stop(): GpuWorkCounts;
}

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Obj = Record<string, unknown>;

const MAP_READ = 1; // GPUMapMode.READ and GPUBufferUsage.MAP_READ
const COPY_DST = 8; // GPUBufferUsage.COPY_DST

export function zeroGpuWork(): GpuWorkCounts {
  return {
    dispatches: 0, submits: 0, commandBuffers: 0, pipelines: 0, shaderModules: 0, buffersCreated: 0, bufferBytesCreated: 0,
    mappedUploads: 0, mappedUploadBytes: 0, writeBuffers: 0, writeBufferBytes: 0, readbacks: 0, readbackBytes: 0, copies: 0, copyBytes: 0,
  };
}

/** Wraps `obj[name]` to call `before(args)` first; returns a function that restores the original. */
function wrap(obj: Obj, name: string, before: (args: unknown[], result?: unknown) => unknown, after = false): () => void {
  const original = obj[name] as Fn | undefined;
  if (typeof original !== 'function') return () => {};
  const own = Object.prototype.hasOwnProperty.call(obj, name);
  obj[name] = function (this: unknown, ...args: unknown[]) {
    if (!after) before(args);
    const result = original.apply(this, args);
    return after ? before(args, result) ?? result : result;
  };
  return () => {
    if (own) obj[name] = original;
    else delete obj[name];
  };
}

function byteSize(data: unknown, dataOffset?: unknown, size?: unknown): number {
  if (typeof size === 'number') return size * ((data as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1);
  const d = data as { byteLength?: number; BYTES_PER_ELEMENT?: number };
  const total = d.byteLength ?? 0;
  return typeof dataOffset === 'number' ? Math.max(0, total - dataOffset * (d.BYTES_PER_ELEMENT ?? 1)) : total;
}

/**
 * Starts counting the GPU work sent through `device` (a GPUDevice: tfjs's WebGPU backend holds its own as
 * `backend.device`). Throws a TypeError when `device` is not a WebGPU device.
 */
export function countGpuWork(device: unknown): GpuWorkCounter {
  const dev = device as Obj;
  if (!dev || typeof dev.createBuffer !== 'function' || typeof dev.createCommandEncoder !== 'function' || !dev.queue) {
    throw new TypeError('countGpuWork: expected a WebGPU device (with createBuffer, createCommandEncoder and queue)');
  }
  const c = zeroGpuWork();
  let live = true;
  const count = (f: () => void) => {
    if (live) f();
  };
  const onPass = (pass: Obj) => {
    for (const name of ['dispatchWorkgroups', 'dispatchWorkgroupsIndirect']) wrap(pass, name, () => count(() => c.dispatches++));
  };
  const onEncoder = (encoder: Obj) => {
    wrap(encoder, 'beginComputePass', (_a, pass) => onPass(pass as Obj), true);
    wrap(encoder, 'copyBufferToBuffer', (a) => count(() => {
      c.copies++;
      c.copyBytes += Number(a[4] ?? 0);
    }));
  };
  // tfjs reuses its staging buffers, made before counting began: readbacks are counted on the buffers' prototype
  // (so on every device of this WebGPU implementation while counting)
  const probe = (dev.createBuffer as Fn).call(dev, { size: 4, usage: MAP_READ | COPY_DST }) as Obj;
  const bufferProto = Object.getPrototypeOf(probe) as Obj;
  (probe.destroy as Fn).call(probe);
  const originalMapAsync = bufferProto.mapAsync as Fn;
  bufferProto.mapAsync = function (this: Obj, ...a: unknown[]) {
    count(() => {
      if ((Number(a[0]) & MAP_READ) === 0) return;
      c.readbacks++;
      c.readbackBytes += typeof a[2] === 'number' ? a[2] : Number(this.size ?? 0);
    });
    return originalMapAsync.apply(this, a);
  };
  const queue = dev.queue as Obj;
  const restore = [
    () => {
      bufferProto.mapAsync = originalMapAsync;
    },
    wrap(dev, 'createComputePipeline', () => count(() => c.pipelines++)),
    wrap(dev, 'createComputePipelineAsync', () => count(() => c.pipelines++)),
    wrap(dev, 'createShaderModule', () => count(() => c.shaderModules++)),
    wrap(dev, 'createCommandEncoder', (_a, encoder) => onEncoder(encoder as Obj), true),
    wrap(dev, 'createBuffer', (a, buffer) => {
      const desc = (a[0] ?? {}) as { size?: number; mappedAtCreation?: boolean };
      count(() => {
        c.buffersCreated++;
        c.bufferBytesCreated += desc.size ?? 0;
        if (desc.mappedAtCreation) {
          c.mappedUploads++;
          c.mappedUploadBytes += desc.size ?? 0;
        }
      });
      return buffer;
    }, true),
    wrap(queue, 'submit', (a) => count(() => {
      c.submits++;
      c.commandBuffers += Array.isArray(a[0]) ? a[0].length : 0;
    })),
    wrap(queue, 'writeBuffer', (a) => count(() => {
      c.writeBuffers++;
      c.writeBufferBytes += byteSize(a[2], a[3], a[4]);
    })),
  ];
  const since = (s: GpuWorkCounts): GpuWorkCounts =>
    Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v - s[k as keyof GpuWorkCounts]])) as unknown as GpuWorkCounts;
  return {
    read: () => ({ ...c }),
    since,
    stop() {
      if (live) for (const r of restore) r();
      live = false;
      return { ...c };
    },
  };
}
