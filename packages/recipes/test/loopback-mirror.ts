// A data mirror on 127.0.0.1 (ephemeral port) serving a folder in the data layout, with HTTP Range, a request log and
// faults on demand; and a tiny forwarding HTTP proxy. For the `peft data` tests.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';

export interface MirrorRequest {
  readonly url: string;
  readonly range: string | undefined;
}

export interface LoopbackMirror {
  readonly url: string;
  readonly requests: MirrorRequest[];
  /** Faults for the next requests of a path (relative, `/`-separated): cut the body after `truncateAt` bytes. */
  readonly faults: Map<string, { truncateAt?: number; once?: boolean }>;
  /** Bytes per 20 ms tick for every body (undefined: as fast as possible). */
  throttle: number | undefined;
  /** Answer every request with the whole file (200), as a server without Range support does. */
  ignoreRange: boolean;
  close(): Promise<void>;
}

export async function startMirror(root: string): Promise<LoopbackMirror> {
  const requests: MirrorRequest[] = [];
  const faults = new Map<string, { truncateAt?: number; once?: boolean }>();
  const state = { throttle: undefined as number | undefined, ignoreRange: false };
  const server = createServer((req, res) => serve(root, req, res, requests, faults, state));
  const url = await listen(server);
  return {
    url,
    requests,
    faults,
    get throttle() {
      return state.throttle;
    },
    set throttle(v) {
      state.throttle = v;
    },
    get ignoreRange() {
      return state.ignoreRange;
    },
    set ignoreRange(v) {
      state.ignoreRange = v;
    },
    close: () => closeServer(server),
  };
}

function serve(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  requests: MirrorRequest[],
  faults: Map<string, { truncateAt?: number; once?: boolean }>,
  state: { throttle: number | undefined; ignoreRange: boolean },
): void {
  const throttle = state.throttle;
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
  requests.push({ url: req.url ?? '', range: req.headers.range });
  const file = join(root, path);
  if (path.includes('..') || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const size = statSync(file).size;
  const m = state.ignoreRange ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  if (start >= size && m) {
    res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
    return;
  }
  res.writeHead(m ? 206 : 200, {
    'content-length': String(size - start),
    'accept-ranges': 'bytes',
    ...(m ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
  });
  const fault = faults.get(path);
  if (fault?.once) faults.delete(path);
  const end = fault?.truncateAt !== undefined ? Math.min(size, fault.truncateAt) : size;
  const stream = createReadStream(file, { start, end: end - 1, highWaterMark: throttle ?? 64 * 1024 });
  stream.on('data', (chunk) => {
    res.write(chunk);
    if (throttle) {
      stream.pause();
      setTimeout(() => stream.resume(), 20);
    }
  });
  stream.on('end', () => {
    // a truncated body: the connection dies before Content-Length bytes were sent
    if (end < size) res.socket?.destroy();
    else res.end();
  });
}

/**
 * A forwarding proxy: absolute-form requests for http:// URLs, and CONNECT tunnels (which undici's proxy agent opens for
 * every target); logs each as `GET <url>` or `CONNECT <host:port>`.
 */
export async function startProxy(): Promise<{ url: string; forwarded: string[]; close(): Promise<void> }> {
  const forwarded: string[] = [];
  const server = createServer((req, res) => {
    forwarded.push(`${req.method} ${req.url}`);
    const upstream = request(req.url ?? '', { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    forwarded.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const url = await listen(server);
  return { url, forwarded, close: () => closeServer(server) };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const url = await listen(server);
  await closeServer(server);
  return Number(new URL(url).port);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
