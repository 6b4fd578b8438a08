import { Redis } from 'ioredis';
import { RedisUnreachableError } from './errors.js';

/** How long a command of `peft sweep` waits for Redis to connect and answer before saying it is unreachable. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/**
 * Connects to Redis once and sends PING, within `timeoutMs` in all: resolves when it answers, rejects with a
 * RedisUnreachableError naming the URL and why (refused, timed out, no answer, an error reply) otherwise. No retries
 * and no error events left behind: what a command runs before it opens BullMQ, which would wait forever.
 */
export async function checkRedis(url: string, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
  });
  let lastError: Error | null = null;
  client.on('error', (e: Error) => (lastError = e));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnreachableError(url, `no answer to PING within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        const pong = await client.ping();
        if (pong !== 'PONG') throw new Error(`PING got ${JSON.stringify(pong)}`);
      })(),
      timeout,
    ]);
  } catch (e) {
    if (e instanceof RedisUnreachableError) throw e;
    throw new RedisUnreachableError(url, describeRedisError(lastError ?? (e as Error)), { cause: e });
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** `connect ECONNREFUSED 127.0.0.1:1`, `Command timed out`, `NOAUTH Authentication required.`: ioredis's message. */
export function describeRedisError(e: Error): string {
  const code = (e as { code?: string }).code;
  const msg = e.message.split('\n')[0]!.trim();
  if (/Stream isn't writeable|Connection is closed/i.test(msg)) return 'the connection closed';
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}
